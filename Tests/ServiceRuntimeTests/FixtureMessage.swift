import CProtobufC
import Foundation
import GeneratedProtoC
import ProtoRuntime
import RPC

/// A message type for building `MethodDescriptor`s and `ServerContext`s in tests. The generated
/// Swift messages live in BackofficeAPI, which these tests do not need; this one carries raw
/// bytes and borrows the C descriptor of `backoffice.echo.EchoRequest`.
struct FixtureMessage: ProtoMessage {
    /// The message's encoding, kept as is.
    var bytes: [UInt8] = []

    static var protoName: String { "backoffice.echo.EchoRequest" }

    static var protobufDescriptor: UnsafePointer<ProtobufCMessageDescriptor> {
        withUnsafePointer(to: backoffice__echo__echo_request__descriptor) { $0 }
    }

    func serialize(into buffer: inout [UInt8]) { buffer.append(contentsOf: bytes) }

    init() {}

    init(serializedBytes bytes: UnsafeRawBufferPointer) throws(ProtoDecodingError) {
        self.bytes = Array(bytes)
    }

    /// A unary method of the echo service using this type both ways.
    static let unaryMethod = MethodDescriptor(
        service: "backoffice.echo.Echo", name: "Unary", kind: .unary,
        requestType: FixtureMessage.self, responseType: FixtureMessage.self)

    /// A server context for a call of `unaryMethod`.
    static func context(metadata: Metadata) -> ServerContext {
        ServerContext(method: unaryMethod, metadata: metadata, deadline: nil, peer: "127.0.0.1:5555", callID: 1)
    }
}
