import Foundation
import Synchronization

/// Records what happened inside a server handler so a test can assert it from outside
/// ("started", "cancelled"...), waiting a bounded time for an event to show up.
public final class EventProbe: Sendable {
    private let events = Mutex<[String]>([])

    public init() {}

    /// Records one event.
    public func record(_ event: String) {
        events.withLock { $0.append(event) }
    }

    /// Everything recorded so far, in order.
    public var recorded: [String] { events.withLock { $0 } }

    /// Waits up to `timeout` seconds for `event` to be recorded; true when it was.
    public func waitFor(_ event: String, timeout: Double = 5) async -> Bool {
        await waitFor(oneOf: [event], timeout: timeout)
    }

    /// Waits up to `timeout` seconds for any of `events` to be recorded; true when one was.
    public func waitFor(oneOf events: Set<String>, timeout: Double = 5) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if recorded.contains(where: events.contains) { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return recorded.contains(where: events.contains)
    }
}
