import ProtoRuntime
import RPC

/// A call to a method known only by its descriptor, with requests and responses as wire bytes:
/// the generated types of the method decode and encode them, so the bytes are checked on the way.
enum GenericCall {
    /// Sends `requests` (one, or several for client streaming) and hands each response's bytes to
    /// `onResponse`.
    static func perform(
        _ method: MethodDescriptor, requests: [[UInt8]], on channel: any RPCChannel, options: CallOptions,
        onResponse: @escaping @Sendable ([UInt8]) throws -> Void
    ) async throws {
        try await perform(method, method.requestType, method.responseType, requests, channel, options, onResponse)
    }

    private static func perform<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: MethodDescriptor, _ requestType: Request.Type, _ responseType: Response.Type, _ encoded: [[UInt8]],
        _ channel: any RPCChannel, _ options: CallOptions, _ onResponse: @escaping @Sendable ([UInt8]) throws -> Void
    ) async throws {
        let requests = try encoded.map { try Request(serializedBytes: $0) }
        switch method.kind {
        case .unary:
            let response: Response = try await channel.unary(method, requests.first ?? Request(), options: options)
            try onResponse(response.serializedBytes())
        case .serverStreaming:
            try await channel.serverStreaming(method, requests.first ?? Request(), options: options) { (response: Response) in
                try onResponse(response.serializedBytes())
            }
        case .clientStreaming:
            let response: Response = try await channel.clientStreaming(method, options: options) { writer in
                for request in requests { try await writer.write(request) }
            }
            try onResponse(response.serializedBytes())
        }
    }
}
