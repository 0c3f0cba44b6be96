import CProtobufC
import Glibc
import ProtoRuntime

/// A message kept as its wire encoding, never decoded: what a proxy such as the gateway reads
/// from one connection and writes to another. Any bytes decode; encoding writes them back as
/// they came.
///
/// Calls carry raw messages when their `MethodDescriptor` names `RawMessage` as both message
/// types (`method.raw`): a server hosting `MethodHandler`s built on such a descriptor hands the
/// handler the request's bytes, and a client calling with it returns the response's bytes.
public struct RawMessage: ProtoMessage {
    /// The message's wire encoding.
    public var bytes: [UInt8]

    /// An empty message (the encoding of any message with every field at its default).
    public init() { bytes = [] }

    /// A message whose encoding is `bytes`.
    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// A name of its own: raw messages have no schema.
    public static let protoName = "backoffice.rpc.RawMessage"

    /// A descriptor without fields: a raw message's schema is whatever the method's real type is.
    public static var protobufDescriptor: UnsafePointer<ProtobufCMessageDescriptor> { fieldlessDescriptor }

    // Built once, never written after.
    nonisolated(unsafe) private static let fieldlessDescriptor: UnsafePointer<ProtobufCMessageDescriptor> = {
        let descriptor = UnsafeMutablePointer<ProtobufCMessageDescriptor>.allocate(capacity: 1)
        descriptor.initialize(to: ProtobufCMessageDescriptor())
        descriptor.pointee.magic = UInt32(PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC)
        descriptor.pointee.name = UnsafePointer(strdup(protoName))
        descriptor.pointee.short_name = UnsafePointer(strdup("RawMessage"))
        descriptor.pointee.c_name = UnsafePointer(strdup("RawMessage"))
        descriptor.pointee.package_name = UnsafePointer(strdup("backoffice.rpc"))
        return UnsafePointer(descriptor)
    }()

    /// Appends the bytes as they are.
    public func serialize(into buffer: inout [UInt8]) {
        buffer.append(contentsOf: bytes)
    }

    /// Keeps a copy of `bytes`; never fails.
    public init(serializedBytes bytes: UnsafeRawBufferPointer) throws(ProtoDecodingError) {
        self.bytes = Array(bytes)
    }
}

extension MethodDescriptor {
    /// The same method (name, kind) carrying `RawMessage`s: for forwarding calls without decoding
    /// them.
    public var raw: MethodDescriptor {
        MethodDescriptor(service: service, name: name, kind: kind, requestType: RawMessage.self, responseType: RawMessage.self)
    }
}
