import ProtoRuntime
import Synchronization

/// A server's implementation of one method, with its message types erased so that the core can
/// hold the methods of every service in one table. Generated handler protocols build these.
public struct MethodHandler: Sendable {
    public let method: MethodDescriptor
    let body: Body

    enum Body: Sendable {
        case unary(@Sendable (any ProtoMessage, ServerContext) async throws -> any ProtoMessage)
        case serverStreaming(@Sendable (any ProtoMessage, any OutboundMessageSink, ServerContext) async throws -> Void)
        case clientStreaming(@Sendable (any InboundMessageSource, ServerContext) async throws -> any ProtoMessage)
        case immediateUnary(@Sendable (any ProtoMessage, ServerContext, ImmediateAnswer) -> Void)
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

    /// A method with one request and one response whose handler runs on the connection's event
    /// loop as soon as the request is in, without a task of its own, and answers through
    /// `responder` when it is ready (from any thread). For proxies, whose work per call is to pass
    /// it on: the handler must not block; it may start a task for work that waits.
    ///
    /// Interceptors that apply to the method and decide at once (`interceptImmediately`) run
    /// before it on the loop; when one needs `intercept` instead, the handler runs in a task after
    /// the interceptors, like any other.
    public static func immediateUnary<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: MethodDescriptor,
        _ handle: @escaping @Sendable (Request, ServerContext, UnaryResponder<Response>) -> Void
    ) -> MethodHandler {
        precondition(method.kind == .unary && method.requestType == Request.self)
        return MethodHandler(
            method: method,
            body: .immediateUnary { request, context, answer in
                handle(request as! Request, context, UnaryResponder(answer))
            })
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

/// How an immediate handler (`MethodHandler.immediateUnary`) ends its call: with one response or
/// one error, exactly once, from any thread; later answers are ignored. It also learns when the
/// call ends without it (the client cancelled or left, the deadline passed, the server shut down).
public struct UnaryResponder<Response: ProtoMessage>: Sendable {
    private let answer: ImmediateAnswer

    init(_ answer: ImmediateAnswer) { self.answer = answer }

    /// Answers with `response` and status OK.
    public func respond(_ response: Response) { finish(.success(response)) }

    /// Ends the call with `error` (an `RPCError` keeps its status; anything else is INTERNAL).
    public func fail(_ error: any Error) { finish(.failure(error)) }

    /// Answers with `result`.
    public func finish(_ result: Result<Response, any Error>) {
        guard answer.state.answer() else { return }
        answer.deliver(result.map { $0 })
    }

    /// Runs `action` once if the call ends before it is answered; at once if it already has.
    public func onCancel(_ action: @escaping @Sendable () -> Void) { answer.state.onCancel(action) }

    /// Whether the call already ended without an answer.
    public var isCancelled: Bool { answer.state.isCancelled }
}

/// The message-type-free half of a `UnaryResponder`: the call's state and where its answer goes.
struct ImmediateAnswer: Sendable {
    let state: ImmediateCallState
    let deliver: @Sendable (Result<any ProtoMessage, any Error>) -> Void
}

/// Where an immediate handler's call stands: waiting for its answer (with what to run if it is
/// cancelled meanwhile), answered, or cancelled.
final class ImmediateCallState: Sendable {
    private enum State {
        /// Usually one action (a proxy's forwarded call), kept without an array.
        case waiting(first: (@Sendable () -> Void)?, more: [@Sendable () -> Void])
        case answered
        case cancelled
    }

    private let state = Mutex(State.waiting(first: nil, more: []))

    /// Claims the one answer; false when the call was answered or cancelled already.
    func answer() -> Bool {
        state.withLock { state in
            guard case .waiting = state else { return false }
            state = .answered
            return true
        }
    }

    func onCancel(_ action: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { state -> Bool in
            switch state {
            case .waiting(let first, var more):
                if first == nil {
                    state = .waiting(first: action, more: more)
                } else {
                    more.append(action)
                    state = .waiting(first: first, more: more)
                }
                return false
            case .answered: return false
            case .cancelled: return true
            }
        }
        if runNow { action() }
    }

    /// Ends a call still waiting for its answer and runs its cancellation actions.
    func cancel() {
        let actions = state.withLock { state -> [@Sendable () -> Void] in
            guard case .waiting(let first, let more) = state else { return [] }
            state = .cancelled
            return (first.map { [$0] } ?? []) + more
        }
        for action in actions { action() }
    }

    var isCancelled: Bool {
        state.withLock { if case .cancelled = $0 { true } else { false } }
    }
}
