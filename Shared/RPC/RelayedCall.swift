import Synchronization

/// A unary call that a proxy passes on to another server frame for frame
/// (`MethodHandler.relayUnary`): its request stays the bytes the client sent, and the answer
/// `RPCClient.relay` gets back (response and STATUS) goes to the client as the server sent it,
/// without being decoded, re-encoded or handed through a task.
///
/// One object carries the call from its CALL frame to its STATUS: the server connection keeps it
/// as the call in flight, and a forwarded attempt on a connection of the same loop is kept by that
/// connection as the attempt itself. No server context is made unless the proxy asks for one.
///
/// The proxy either relays it (`RPCClient.relay`, once or again after a failed attempt), or ends
/// it itself with `respond` or `fail`. When the call ends first (the client cancelled or left, the
/// deadline passed, the server shut down), the attempt in flight is cancelled and the actions
/// given to `onCancel` run.
public final class RelayedCall: ServerCall, CallDescription, @unchecked Sendable {
    // @unchecked Sendable: everything but `ended` is touched on `loop` only; the methods callable
    // from elsewhere hop to it, and `ended` is atomic. For the same reason the fields a relay
    // touches on every call are not checked for exclusive access at run time: none is reached
    // again while one of its own accesses is under way.

    /// The request's encoding, as the client sent it (set once, before the proxy gets the call).
    @exclusivity(unchecked) public private(set) var request: [UInt8] = []
    /// The loop of the client's connection, where the call's state lives.
    public let loop: EventLoop
    private let server: ServerConnection
    private let ended = Atomic<Bool>(false)
    @exclusivity(unchecked) private var cancelActions: [@Sendable () -> Void] = []
    private var builtContext: ServerContext?
    /// Whether the request came.
    @exclusivity(unchecked) private(set) var hasRequest = false
    /// The forwarded attempt in flight, cancelled if the call ends first.
    @exclusivity(unchecked) var upstream: StartedCall?
    /// Who learns how the attempt in flight ended, when it is kept by a connection of this loop
    /// (`ClientTransport.openRelay`).
    @exclusivity(unchecked) var attemptCompletion: (@Sendable (RelayAttempt) -> Void)?
    /// Whether that attempt's response went to the client already: from then on the attempt can
    /// only end the call.
    @exclusivity(unchecked) var responsePassedOn = false
    /// Runs once when the call ends, however it ends (a handler task waiting for the relay).
    @exclusivity(unchecked) var whenEnded: (() -> Void)?
    /// The task running interceptors that need one, before the proxy gets the call.
    var interceptorTask: Task<Void, Never>?

    /// A call whose CALL frame came in the loop's current pass: it arrived when the loop woke up
    /// (a proxy passes on many calls per pass, and reads no clock for each).
    init(id: UInt32, route: ServerRouter.Route, metadata: Metadata, timeout: Duration?, server: ServerConnection) {
        self.server = server
        loop = server.connection.loop
        super.init(
            id: id, route: route, metadata: metadata, peer: server.connection.peerDescription, timeout: timeout,
            arrivedAt: loop.wokeAt)
    }

    /// The call as a handler's context (for interceptors, or a proxy that serves it from a task),
    /// made when first asked for. Ask for it first on `loop`.
    public internal(set) var context: ServerContext {
        get {
            if let builtContext { return builtContext }
            let context = ServerContext(method: method, metadata: metadata, deadline: continuousDeadline, peer: peer, callID: id)
            builtContext = context
            return context
        }
        set { builtContext = newValue }
    }

    /// Makes the call end within `timeout` from now, if it had longer. On `loop`.
    func limitDeadline(to timeout: Duration) {
        server.limitDeadline(of: self, to: timeout)
    }

    /// Keeps the request; false when one came already. On `loop`.
    func receive(_ request: UnsafeRawBufferPointer) -> Bool {
        guard !hasRequest else { return false }
        hasRequest = true
        self.request = Array(request)
        return true
    }

    /// Whether the call has ended: answered, failed, or given up by the client.
    public var isEnded: Bool { ended.load(ordering: .acquiring) }

    /// Answers with `response` (a message's encoding) and status OK; from any thread. Ignored
    /// once the call has ended.
    public func respond(_ response: [UInt8]) {
        onLoop { self.server.endRelayed(self, .respond(response)) }
    }

    /// Ends the call with `error` (an `RPCError` keeps its status; anything else is INTERNAL);
    /// from any thread. Ignored once the call has ended.
    public func fail(_ error: any Error) {
        let rpcError = RPCError(converting: error)
        onLoop { self.server.endRelayed(self, .fail(rpcError, cause: error is RPCError ? nil : error)) }
    }

    /// Runs `action` once if the call ends without an answer from the proxy; at once when it
    /// already has. On `loop`.
    public func onCancel(_ action: @escaping @Sendable () -> Void) {
        if isEnded {
            action()
        } else {
            cancelActions.append(action)
        }
    }

    /// Passes the server's response on to the client at once, before its STATUS. On `loop`.
    func passOnResponse(_ response: UnsafeRawBufferPointer) {
        server.writeRelayedResponse(self, response)
    }

    /// Passes a server's answer on as it came (`response` only with status OK): its STATUS payload,
    /// whose `code` and `message` the client decoded. On `loop` with the payload in hand;
    /// elsewhere it is copied and handed over.
    func passOn(response: [UInt8]?, status: UnsafeRawBufferPointer, code: StatusCode, message: String) {
        if loop.inEventLoop {
            server.endRelayed(self, .passOn(response: response, status: status, code: code, message: message))
        } else {
            let status = Array(status)
            loop.execute {
                status.withUnsafeBytes {
                    self.server.endRelayed(self, .passOn(response: response, status: $0, code: code, message: message))
                }
            }
        }
    }

    /// The attempt kept on this loop got the server's STATUS, `code` (`payload` as it came): the
    /// answer goes on to the client, unless nothing went yet and the attempt failed (UNAVAILABLE,
    /// or OK without a response), which the proxy may try again elsewhere. On `loop`.
    func attemptAnswered(status payload: UnsafeRawBufferPointer, _ status: Wire.Status, code: StatusCode) {
        guard responsePassedOn || (code != .ok && code != .unavailable) else {
            attemptFailed(
                code == .ok ? .okWithoutResponse(method) : RPCError(status: status, code: code))
            return
        }
        let completion = attemptCompletion
        attemptCompletion = nil
        passOn(response: nil, status: payload, code: code, message: status.message)
        completion?(.answered(code))
    }

    /// The attempt kept on this loop failed with `error` (cancelled, connection lost, the
    /// server's failure): the proxy learns it, or, when the response went on already, the call
    /// ends with it. On `loop`.
    func attemptFailed(_ error: RPCError) {
        guard let completion = attemptCompletion else { return }
        attemptCompletion = nil
        Self.attemptFailed(error, responsePassedOn: responsePassedOn, call: self, completion: completion)
    }

    /// How an attempt that failed with `error` ends: when the response went on already, its
    /// client has it and no other attempt may answer again, so the call ends with the failure;
    /// otherwise the proxy learns it and may try again.
    static func attemptFailed(
        _ error: RPCError, responsePassedOn: Bool, call: RelayedCall?, completion: @Sendable (RelayAttempt) -> Void
    ) {
        if responsePassedOn, let call {
            call.fail(error)
            completion(.answered(error.code))
        } else {
            completion(.failed(error))
        }
    }

    /// Claims the end of the call: true the first time. On `loop`.
    func claimEnd() -> Bool {
        guard !ended.exchange(true, ordering: .acquiringAndReleasing) else { return false }
        upstream = nil
        cancelActions = []
        if let whenEnded {
            self.whenEnded = nil
            whenEnded()
        }
        return true
    }

    override var relayed: RelayedCall? { self }

    /// The call ended without the proxy's answer, for `reason`: stops the attempt in flight (which
    /// fails with `reason`) and runs the cancellation actions. On `loop`.
    override func stop(_ reason: RPCError) {
        interceptorTask?.cancel()
        let attempt = upstream
        let actions = cancelActions
        guard claimEnd() else { return }
        attempt?.cancel(reason)
        for action in actions { action() }
    }

    override func didEnd() {
        interceptorTask = nil
        _ = claimEnd()
    }

    private func onLoop(_ body: @escaping @Sendable () -> Void) {
        if loop.inEventLoop { body() } else { loop.execute(body) }
    }
}

/// How one forwarded attempt of a `RelayedCall` ended (`RPCClient.relay`).
public enum RelayAttempt: Sendable {
    /// The server answered, and its answer went to the client as it came; `code` is its status.
    /// (Also when the response went on and the attempt failed before its STATUS came: the call
    /// ended with that failure, `code`.)
    case answered(StatusCode)
    /// Nothing went to the client: the attempt failed on the way (no connection, connection lost,
    /// deadline, cancellation) or the server said UNAVAILABLE. The proxy may try again elsewhere,
    /// or end the call with `fail`.
    case failed(RPCError)
}

/// How the proxy ends a relayed call, or what its server answered.
enum RelayedAnswer {
    case passOn(response: [UInt8]?, status: UnsafeRawBufferPointer, code: StatusCode, message: String)
    case respond([UInt8])
    case fail(RPCError, cause: (any Error)?)
}
