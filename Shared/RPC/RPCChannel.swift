import ProtoRuntime

/// Something that carries calls to a server: a client connection pool, or an in-process route.
/// Generated `...Client` structs call through a channel.
public protocol RPCChannel: Sendable {
    /// Sends one request and waits for one response.
    func unary<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: MethodDescriptor, _ request: Request, options: CallOptions
    ) async throws -> Response

    /// Sends one request and hands each response to `onResponse` as it arrives; returns once the
    /// server has ended the stream with OK, throws `RPCError` otherwise.
    func serverStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: MethodDescriptor, _ request: Request, options: CallOptions,
        onResponse: @escaping @Sendable (Response) async throws -> Void
    ) async throws

    /// Lets `requests` write any number of requests, half-closes when it returns, then waits for
    /// the one response.
    func clientStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: MethodDescriptor, options: CallOptions,
        requests: @escaping @Sendable (RequestWriter<Request>) async throws -> Void
    ) async throws -> Response
}
