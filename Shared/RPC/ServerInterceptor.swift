/// Code that runs around every handler of a server: authentication checks, logging, metrics.
///
/// An interceptor may reject the call by throwing (usually an `RPCError`), attach values to the
/// context before calling `next`, or observe what `next` throws. Interceptors run in the order
/// they were given to the server, the first one outermost.
public protocol ServerInterceptor: Sendable {
    func intercept(
        context: ServerContext, next: (ServerContext) async throws -> Void
    ) async throws

    /// Whether the interceptor runs around calls of `method`; every method by default. A relayed
    /// call (`MethodHandler.relayUnary`) goes on without a task only when no interceptor applies
    /// to its method, or when those that do all decide at once (`interceptImmediately`).
    func applies(to method: MethodDescriptor) -> Bool

    /// For an interceptor that needs nothing after the handler and never waits (a signature
    /// check): decides before the handler's task starts, on the connection's loop. Returns the
    /// context the handler runs with, throws to refuse the call, or returns `nil` (the default)
    /// to run `intercept` around the handler instead. Only interceptors ahead of any that return
    /// `nil` are asked, so the order of the server's interceptors holds.
    func interceptImmediately(_ context: ServerContext) throws -> ServerContext?
}

extension ServerInterceptor {
    public func applies(to method: MethodDescriptor) -> Bool { true }
    public func interceptImmediately(_ context: ServerContext) throws -> ServerContext? { nil }
}

/// How one call ended, reported once per call to the server's observers (metrics, access logs).
/// The call's method, peer and metadata are read from the call when an observer asks for them:
/// making a summary retains the call, not each of its strings.
public struct CallSummary: Sendable {
    public let code: StatusCode
    public let message: String
    /// From the call's arrival to its status being queued for sending.
    public let durationNanoseconds: UInt64
    /// The error the handler threw, for the server's own logs; never sent.
    public let cause: (any Error)?
    private let source: Source

    /// Where the call's own fields are.
    private enum Source {
        /// A call that was read and routed.
        case call(ServerCall)
        /// A call refused before it was (by the name its CALL frame gave, from `peer`).
        case refused(method: String, listedMethod: MethodDescriptor?, peer: String)
    }

    /// A call that was routed and ended with `code`.
    init(_ call: ServerCall, code: StatusCode, message: String, durationNanoseconds: UInt64, cause: (any Error)?) {
        self.code = code
        self.message = message
        self.durationNanoseconds = durationNanoseconds
        self.cause = cause
        source = .call(call)
    }

    /// A call refused with `code` before it was routed.
    init(refused method: String, listedMethod: MethodDescriptor?, peer: String, code: StatusCode, message: String) {
        self.code = code
        self.message = message
        durationNanoseconds = 0
        cause = nil
        source = .refused(method: method, listedMethod: listedMethod, peer: peer)
    }

    /// The method's full name, as the call named it.
    public var method: String {
        switch source {
        case .call(let call): call.method.fullName
        case .refused(let method, _, _): method
        }
    }

    /// The method's descriptor when the server lists the method (the same object for every call
    /// of it while the server runs); `nil` for a name no service lists (answered UNIMPLEMENTED, or
    /// by a fallback such as the gateway's refusal), which is whatever the client sent: an
    /// observer that keeps something per method must not keep it per such name.
    public var listedMethod: MethodDescriptor? {
        switch source {
        case .call(let call): call.route.listedMethod
        case .refused(_, let listedMethod, _): listedMethod
        }
    }

    /// The client's address, `host:port`.
    public var peer: String {
        switch source {
        case .call(let call): call.peer
        case .refused(_, _, let peer): peer
        }
    }

    /// The metadata the call came with (empty for a call refused before it was read).
    public var metadata: Metadata {
        switch source {
        case .call(let call): call.metadata
        case .refused: Metadata()
        }
    }

    /// The client's request id, looked up only by an observer that wants it.
    public var requestID: String? { metadata[Metadata.Keys.requestID] }
}

/// Receives a summary of every call a server finishes. Called on the connection's event loop:
/// keep it quick and non-blocking. A class: the server hands every call to each observer, and a
/// reference is one retain where a struct's fields would be one each.
public protocol ServerCallObserver: AnyObject, Sendable {
    func callDidEnd(_ summary: CallSummary)
}
