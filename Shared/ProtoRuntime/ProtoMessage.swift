import CProtobufC

/// A protobuf message as a Swift value type, encoded and decoded through libprotobuf-c.
///
/// Generated code conforms every message of `Protos/` to this protocol; nobody writes a
/// conformance by hand. Values are plain structs: copying one copies the message.
public protocol ProtoMessage: Sendable, Equatable {
    /// A message with every field at its proto3 default.
    init()

    /// The fully qualified proto name, e.g. `backoffice.echo.EchoRequest`.
    static var protoName: String { get }

    /// The libprotobuf-c descriptor of this message type: field names, numbers, types and nested
    /// descriptors, for reflection and JSON conversion.
    static var protobufDescriptor: UnsafePointer<ProtobufCMessageDescriptor> { get }

    /// Appends the message's wire encoding to `buffer`.
    func serialize(into buffer: inout [UInt8])

    /// Decodes a message from its wire encoding; throws `ProtoDecodingError` for bytes that are
    /// not a valid encoding of this message type.
    init(serializedBytes bytes: UnsafeRawBufferPointer) throws(ProtoDecodingError)
}

extension ProtoMessage {
    /// The message's wire encoding.
    public func serializedBytes() -> [UInt8] {
        var buffer: [UInt8] = []
        serialize(into: &buffer)
        return buffer
    }

    /// Decodes a message from its wire encoding held in an array.
    public init(serializedBytes bytes: [UInt8]) throws(ProtoDecodingError) {
        let decoded = bytes.withUnsafeBytes { raw in Result { () throws(ProtoDecodingError) in try Self(serializedBytes: raw) } }
        self = try decoded.get()
    }
}

/// The bytes handed to a decoder are not a valid encoding of the expected message type.
public struct ProtoDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The proto name of the message that was expected.
    public let messageName: String
    /// How many bytes were offered.
    public let byteCount: Int

    public init(messageName: String, byteCount: Int) {
        self.messageName = messageName
        self.byteCount = byteCount
    }

    public var description: String { "\(byteCount) bytes are not a valid \(messageName)" }
}
