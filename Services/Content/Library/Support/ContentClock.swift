import Foundation

/// The time the content service reads and waits on: the system clock in production, a manual
/// clock in tests of schedules.
public protocol ContentClock: Sendable {
    /// The current UTC time in Unix milliseconds.
    func nowUnixMs() -> Int64
    /// Returns once `nowUnixMs()` has reached `unixMs`; throws `CancellationError` when the task is cancelled.
    func sleep(untilUnixMs unixMs: Int64) async throws
}

/// The system clock.
public struct SystemContentClock: ContentClock {
    /// The system clock.
    public init() {}

    public func nowUnixMs() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }

    public func sleep(untilUnixMs unixMs: Int64) async throws {
        let remaining = unixMs - nowUnixMs()
        if remaining > 0 { try await Task.sleep(for: .milliseconds(remaining)) }
        try Task.checkCancellation()
    }
}
