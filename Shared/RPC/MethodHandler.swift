import ProtoRuntime

/// A server's implementation of one method, with its message types erased so that the core can
/// hold the methods of every service in one table. Generated handler protocols build these.
public struct MethodHandler: Sendable {
    public let method: MethodDescriptor
    let body: Body

    enum Body: Sendable {
        case unary(@Sendable (any ProtoMessage, ServerContext) async throws -> any ProtoMessage)
        case serverStreaming(@Sendable (any ProtoMessage, any OutboundMessageSink, ServerContext) async throws -> Void)
        case clientStreaming(@Sendable (any InboundMessageSource, ServerContext) async throws -> any ProtoMessage)
        case relayUnary(@Sendable (RelayedCall) -> Void)
    }

    /// Decodes one request of this method.
    func decodeRequest(_ bytes: UnsafeRawBufferPointer) throws(ProtoDecodingError) -> any ProtoMessage {
        try method.requestType.init(serializedBytes: bytes)
    }

    /// A method with one request and one response.
    public static func unary<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: MethodDescriptor,
        _ handle: @escaping @Sendable (Request, ServerContext) async throws -> Response
    ) -> MethodHandler {
        precondition(method.kind == .unary && method.requestType == Request.self)
        return MethodHandler(
            method: method,
            body: .unary { request, context in
                try await handle(request as! Request, context)
            })
    }

    /// A unary method that a proxy passes on frame for frame: the handler gets the call as a
    /// `RelayedCall` on the connection's event loop as soon as its request is in, and relays it
    /// with `RPCClient.relay` (the answer goes back to the client as the server sent it) or ends
    /// it with `respond` or `fail`. The handler must not block.
    ///
    /// `method` carries raw messages (`MethodDescriptor.raw`). Interceptors that apply to it and
    /// decide at once (`interceptImmediately`) run before it on the loop; when one needs
    /// `intercept`, the handler runs after the interceptors, which see no response.
    public static func relayUnary(_ method: MethodDescriptor, _ handle: @escaping @Sendable (RelayedCall) -> Void) -> MethodHandler {
        precondition(method.kind == .unary && method.requestType == RawMessage.self)
        return MethodHandler(method: method, body: .relayUnary(handle))
    }

    /// A method with one request and a stream of responses.
    public static func serverStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: MethodDescriptor,
        _ handle: @escaping @Sendable (Request, ResponseWriter<Response>, ServerContext) async throws -> Void
    ) -> MethodHandler {
        precondition(method.kind == .serverStreaming && method.requestType == Request.self)
        return MethodHandler(
            method: method,
            body: .serverStreaming { request, sink, context in
                try await handle(request as! Request, ResponseWriter(sink: sink), context)
            })
    }

    /// A method with a stream of requests and one response.
    public static func clientStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: MethodDescriptor,
        _ handle: @escaping @Sendable (RequestStream<Request>, ServerContext) async throws -> Response
    ) -> MethodHandler {
        precondition(method.kind == .clientStreaming && method.requestType == Request.self)
        return MethodHandler(
            method: method,
            body: .clientStreaming { source, context in
                try await handle(RequestStream(source: source), context)
            })
    }
}

/// A service implementation that a server can host: the handlers of all its methods.
/// Generated `...Handler` protocols provide `methodHandlers` for their conformers.
public protocol RPCService: Sendable {
    /// The service's name and methods.
    static var serviceDescriptor: ServiceDescriptor { get }
    /// One handler per method of the service.
    var methodHandlers: [MethodHandler] { get }
}

/// A service that also answers methods it does not list: a proxy that forwards calls by name.
/// The server asks it for a handler when a call names a method no service lists; `nil` leaves the
/// call to end with UNIMPLEMENTED.
public protocol UnknownMethodService: RPCService {
    /// The handler for `fullName` (`package.Service/Method`), or `nil` when it is not served.
    func handler(forUnknownMethod fullName: String) -> MethodHandler?
}
