import Synchronization

/// A unary call that a proxy passes on to another server frame for frame
/// (`MethodHandler.relayUnary`): its request stays the bytes the client sent, and the answer
/// `RPCClient.relay` gets back (response and STATUS) goes to the client as the server sent it,
/// without being decoded, re-encoded or handed through a task.
///
/// The proxy either relays it (`RPCClient.relay`, once or again after a failed attempt), or ends
/// it itself with `respond` or `fail`. When the call ends first (the client cancelled or left, the
/// deadline passed, the server shut down), the attempt in flight is cancelled and the actions
/// given to `onCancel` run.
public final class RelayedCall: @unchecked Sendable {
    // @unchecked Sendable: `upstream`, `cancelActions` and `whenEnded` are touched on `loop` only;
    // the methods callable from elsewhere hop to it, and `ended` is atomic.

    /// The call as the client made it.
    public let context: ServerContext
    /// The request's encoding, as the client sent it.
    public let request: [UInt8]
    /// The loop of the client's connection, where the call's state lives.
    public let loop: EventLoop
    private let server: ServerConnection
    let callID: UInt32
    private let ended = Atomic<Bool>(false)
    private var cancelActions: [@Sendable () -> Void] = []
    /// The forwarded attempt in flight, cancelled if the call ends first.
    var upstream: StartedCall?
    /// Runs once when the call ends, however it ends (a handler task waiting for the relay).
    var whenEnded: (() -> Void)?

    init(context: ServerContext, request: [UInt8], server: ServerConnection, callID: UInt32) {
        self.context = context
        self.request = request
        self.server = server
        self.callID = callID
        loop = server.connection.loop
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

    /// The call ended without the proxy's answer: stops the attempt in flight and runs the
    /// cancellation actions. On `loop`.
    func cancel() {
        let attempt = upstream
        let actions = cancelActions
        guard claimEnd() else { return }
        attempt?.cancel()
        for action in actions { action() }
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
