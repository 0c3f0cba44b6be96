import CProtobufC

/// A generated message that converts to and from its protoc-c struct. The generic helpers of
/// `ProtoCodec`, `ProtoArena` and `ProtoFromC` work through this protocol, so generated code only
/// states what is specific to one message: which struct, which `__init` function, which fields.
///
/// This protocol and those helpers are public for the generated code of other modules, not for
/// hand-written code. They are not `package`: the compiler neither inlines nor specializes
/// `@inlinable package` functions whose bodies use C declarations, and these are the hot path of
/// every call.
public protocol ProtoCBridged: ProtoMessage {
    /// The protoc-c struct of the message, e.g. `Backoffice__Echo__EchoRequest`.
    associatedtype CMessage

    /// Sets `message` to protoc-c's defaults (the generated `<message>__init` function), which also
    /// stores the descriptor pointer in `message.base`.
    static func cInitialize(_ message: UnsafeMutablePointer<CMessage>)

    /// Converts a struct that protobuf-c unpacked to the Swift value; throws when a string field
    /// is not UTF-8, which protobuf-c does not check.
    init(cMessage: UnsafePointer<CMessage>) throws(ProtoFromC.InvalidUTF8)

    /// Copies the message into `message`, already set by `cInitialize`. Every pointer it stores
    /// (strings, bytes, arrays, submessages) points into `arena`, which outlives the pack.
    func fillC(_ message: UnsafeMutablePointer<CMessage>, arena: inout ProtoArena)
}
