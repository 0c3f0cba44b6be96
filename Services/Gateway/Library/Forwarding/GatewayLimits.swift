/// The limits the gateway applies to every call, on top of the server's per-connection ones
/// (`--max-frame-size`, `--max-concurrent-calls`).
public struct GatewayLimits: Sendable {
    /// The deadline given to calls that set none.
    public var defaultDeadline: Duration = .seconds(30)
    /// The longest deadline a client may ask for; longer ones are refused with INVALID_ARGUMENT.
    public var maximumDeadline: Duration = .seconds(300)
    /// Calls one principal may have in flight at once (anonymous callers count per address).
    public var maxCallsPerPrincipal = 64
    /// Token bucket per authenticated principal: calls per second and burst.
    public var principalRate = 500.0
    public var principalBurst = 1000.0
    /// Token bucket per client address (host, any port): calls per second and burst.
    public var addressRate = 2000.0
    public var addressBurst = 4000.0
    /// Attempts of a read-only call when an instance is unavailable (1 = no retry).
    public var maxAttempts = 2
    /// How long a health check may take.
    public var healthCheckTimeout: Duration = .milliseconds(500)

    public init() {}
}
