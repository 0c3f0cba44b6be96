import Foundation
import RPC

/// Time as the gateway's limiters and caches see it, injectable so that tests need not wait.
public struct GatewayClock: Sendable {
    /// Milliseconds on a clock that never goes back (only differences matter).
    public let monotonicMillis: @Sendable () -> Int64
    /// Milliseconds since the Unix epoch (for expiries sent by the security service).
    public let unixMillis: @Sendable () -> Int64
    /// How far `monotonicMillis` may lag behind the time: expiries that must not be late
    /// (a cached credential's second) are shortened by this much.
    public let resolutionMillis: Int64

    /// A clock of the caller's making.
    public init(
        monotonicMillis: @escaping @Sendable () -> Int64, unixMillis: @escaping @Sendable () -> Int64, resolutionMillis: Int64 = 0
    ) {
        self.monotonicMillis = monotonicMillis
        self.unixMillis = unixMillis
        self.resolutionMillis = resolutionMillis
    }

    /// The machine's clocks; the monotonic one is the kernel's coarse clock (`CoarseClock`):
    /// every call reads it a few times, and token buckets and one-second caches need nothing finer.
    public static let system = GatewayClock(
        monotonicMillis: CoarseClock.monotonicMillis,
        unixMillis: { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) },
        resolutionMillis: CoarseClock.resolutionMillis)
}
