import Foundation

/// Time as the gateway's limiters and caches see it, injectable so that tests need not wait.
public struct GatewayClock: Sendable {
    /// Milliseconds on a clock that never goes back (only differences matter).
    public let monotonicMillis: @Sendable () -> Int64
    /// Milliseconds since the Unix epoch (for expiries sent by the security service).
    public let unixMillis: @Sendable () -> Int64

    /// A clock of the caller's making.
    public init(monotonicMillis: @escaping @Sendable () -> Int64, unixMillis: @escaping @Sendable () -> Int64) {
        self.monotonicMillis = monotonicMillis
        self.unixMillis = unixMillis
    }

    /// The machine's clocks.
    public static let system = GatewayClock(
        monotonicMillis: {
            let elapsed = ContinuousClock.now - Self.origin
            return elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        },
        unixMillis: { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) })

    private static let origin = ContinuousClock.now
}
