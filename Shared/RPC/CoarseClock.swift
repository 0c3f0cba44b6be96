import Glibc

/// The kernel's coarse clocks, in milliseconds: read without a system call or a time-stamp
/// counter, exact to a scheduler tick (`resolutionMillis`, a few milliseconds). For what is read
/// on every call and needs no finer time: token buckets, one-second caches, signature expiries.
public enum CoarseClock {
    /// Milliseconds on a clock that never goes back (only differences matter).
    public static func monotonicMillis() -> Int64 { millis(CLOCK_MONOTONIC_COARSE) }

    /// Milliseconds since the Unix epoch; may lag the exact time by up to `resolutionMillis`.
    public static func unixMillis() -> Int64 { millis(CLOCK_REALTIME_COARSE) }

    /// How far a reading may lag behind the time, rounded up to whole milliseconds.
    public static let resolutionMillis: Int64 = {
        var resolution = timespec()
        guard clock_getres(CLOCK_MONOTONIC_COARSE, &resolution) == 0 else { return 10 }
        return (Int64(resolution.tv_sec) * 1_000_000_000 + Int64(resolution.tv_nsec) + 999_999) / 1_000_000
    }()

    private static func millis(_ clock: clockid_t) -> Int64 {
        var now = timespec()
        clock_gettime(clock, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
