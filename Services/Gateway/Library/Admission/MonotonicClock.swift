import Foundation
import Glibc

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

    /// The machine's clocks. The monotonic one is the kernel's coarse clock: read without a
    /// system call or a time-stamp counter, every call reads it a few times, and it is exact to
    /// a scheduler tick (a few milliseconds), which is all that token buckets and one-second
    /// caches need.
    public static let system = GatewayClock(
        monotonicMillis: {
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC_COARSE, &now)
            return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
        },
        unixMillis: { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) },
        resolutionMillis: coarseResolutionMillis)

    /// The coarse clock's step, rounded up to whole milliseconds.
    private static let coarseResolutionMillis: Int64 = {
        var resolution = timespec()
        guard clock_getres(CLOCK_MONOTONIC_COARSE, &resolution) == 0 else { return 10 }
        return (Int64(resolution.tv_sec) * 1_000_000_000 + Int64(resolution.tv_nsec) + 999_999) / 1_000_000
    }()
}
