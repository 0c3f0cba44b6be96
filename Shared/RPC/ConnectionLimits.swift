/// Limits and timers of one connection, on either side.
public struct ConnectionLimits: Sendable {
    /// The largest frame payload accepted or sent; a peer announcing more is disconnected before
    /// anything is allocated for it.
    public var maxFrameSize: Int = 4 * 1024 * 1024
    /// Calls in flight at once on one connection; the next one gets RESOURCE_EXHAUSTED.
    public var maxConcurrentCalls: Int = 100
    /// A connection with no call in flight for this long is closed (with a GOAWAY from a server).
    public var idleTimeout: Duration? = .seconds(300)
    /// Send a PING after this long without hearing from the peer.
    public var keepaliveInterval: Duration = .seconds(30)
    /// Close the connection when a PING stays unanswered this long.
    public var keepaliveTimeout: Duration = .seconds(10)
    /// Bytes queued for a peer that reads slowly before the connection stops reading new frames
    /// from it and streaming writers wait.
    public var maxBufferedBytes: Int = 1024 * 1024
    /// Bytes of received requests queued for handlers that consume them slowly before the
    /// connection stops reading from the peer.
    public var maxQueuedInboundBytes: Int = 4 * 1024 * 1024
    /// Close the connection when the peer has not read its queued bytes for this long.
    public var writeStallTimeout: Duration = .seconds(30)

    public init() {}
}

extension Duration {
    /// Whole microseconds, rounded down, never negative.
    var wholeMicroseconds: Int64 {
        let (seconds, attoseconds) = components
        return max(0, seconds * 1_000_000 + attoseconds / 1_000_000_000_000)
    }

    /// Whole nanoseconds, never negative.
    var wholeNanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        return UInt64(max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000))
    }
}
