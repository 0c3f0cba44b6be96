/// What a server knows of a call from its CALL frame: the method, the metadata, who sent it and the
/// time it has left. `ServerContext` (a handler's view) and `RelayedCall` (a proxy's) both are one,
/// so checks made before a call is served work on either.
public protocol CallDescription {
    var method: MethodDescriptor { get }
    var metadata: Metadata { get }
    /// The client's address, `host:port`.
    var peer: String { get }
    /// The time left before the deadline, never negative; `nil` without a deadline.
    var remainingTime: Duration? { get }
}

extension CallDescription {
    /// The caller's request id, if it sent one.
    public var requestID: String? { metadata[Metadata.Keys.requestID] }
}

extension ServerContext: CallDescription {}

/// What a server connection keeps of one call in flight, whichever way it is served: by a handler
/// in a task (`ServerConnection`'s own kind), or by a proxy that relays it frame for frame
/// (`RelayedCall`, a subclass, so that a relayed call is one object from its CALL frame to its
/// STATUS). Confined to the connection's loop.
public class ServerCall: @unchecked Sendable {
    // @unchecked Sendable: the fields are touched on the connection's loop only.

    let id: UInt32
    /// The method's handler, the server's interceptors that apply to it, and whether the server
    /// lists it.
    let route: ServerRouter.Route
    /// The metadata of the CALL frame.
    public let metadata: Metadata
    /// The client's address, `host:port`.
    public let peer: String
    let startedAt: MonotonicTime
    /// When the call's deadline passes, if it has one (the connection's sweep ends it then), and
    /// how long it was given.
    var deadline: MonotonicTime?
    var timeout = Duration.zero
    /// The handler was started (with its one request, for a unary or server-streaming call).
    var started = false

    /// A call that arrived at `now` (the clock read by default).
    init(
        id: UInt32, route: ServerRouter.Route, metadata: Metadata, peer: String, timeout: Duration?,
        arrivedAt now: MonotonicTime = .now()
    ) {
        self.id = id
        self.route = route
        self.metadata = metadata
        self.peer = peer
        startedAt = now
        if let timeout {
            self.timeout = timeout
            deadline = now.advanced(by: timeout)
        }
    }

    /// The method the call names.
    public var method: MethodDescriptor { route.method }

    /// The time left before the deadline, never negative; `nil` without a deadline.
    public var remainingTime: Duration? {
        guard let deadline else { return nil }
        return .nanoseconds(Int64(deadline.nanoseconds(since: MonotonicTime.now())))
    }

    /// The deadline on the continuous clock, for a `ServerContext`.
    var continuousDeadline: ContinuousClock.Instant? {
        remainingTime.map { ContinuousClock.now.advanced(by: $0) }
    }

    /// The call as a relayed one, if it is (a virtual call, where a cast would look the type up).
    var relayed: RelayedCall? { nil }

    /// Stops whatever serves the call, which ended first (cancelled, deadline, disconnect) for
    /// `reason`.
    func stop(_ reason: RPCError) {}

    /// The call has ended and been forgotten: drops what it still holds.
    func didEnd() {}
}
