import Foundation

/// Retries `body` every `interval` until it returns a value, for at most `seconds`: how tests
/// wait for something another process does in its own time (an outbox relay, a log line).
public func eventually<T: Sendable>(
    _ what: String, within seconds: Double = 20, every interval: Duration = .milliseconds(100),
    _ body: () async throws -> T?
) async throws -> T {
    let deadline = Date().addingTimeInterval(seconds)
    while true {
        if let value = try await body() { return value }
        guard Date() < deadline else { throw EventuallyTimeout(what: what, seconds: seconds) }
        try await Task.sleep(for: interval)
    }
}

/// `eventually` gave up.
public struct EventuallyTimeout: Error, CustomStringConvertible {
    /// What was awaited.
    public let what: String
    /// For how long.
    public let seconds: Double
    public var description: String { "timed out after \(seconds) s waiting for \(what)" }
}
