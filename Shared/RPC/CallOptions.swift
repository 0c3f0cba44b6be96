/// How a client makes one call: its time budget and its metadata.
public struct CallOptions: Sendable {
    /// The time allowed for the call, from when it starts. `nil`: no limit of its own, though a
    /// call made while serving another inherits that call's remaining time.
    public var timeout: Duration?
    /// Metadata sent with the call.
    public var metadata: Metadata

    public init(timeout: Duration? = nil, metadata: Metadata = Metadata()) {
        self.timeout = timeout
        self.metadata = metadata
    }
}
