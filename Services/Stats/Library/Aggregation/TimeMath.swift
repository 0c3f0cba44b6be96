import Foundation

/// Whole-hour arithmetic on Unix milliseconds.
public enum TimeMath {
    /// Milliseconds in an hour.
    public static let hourMs: Int64 = 3_600_000

    /// The start of the UTC hour holding `unixMs`.
    public static func hourFloor(_ unixMs: Int64) -> Int64 {
        unixMs - ((unixMs % hourMs) + hourMs) % hourMs
    }

    /// The first hour start at or after `unixMs`.
    public static func hourCeiling(_ unixMs: Int64) -> Int64 {
        let floor = hourFloor(unixMs)
        return floor == unixMs ? floor : floor + hourMs
    }

    /// The current time, Unix milliseconds.
    public static func currentUnixMs() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }
}
