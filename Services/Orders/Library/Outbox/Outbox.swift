import BackofficeAPI
import Storage
import Synchronization

/// The transactional outbox: events for statistics are inserted by the same transaction as the
/// change they describe (so either both exist or neither), and `OutboxRelay` delivers them.
enum Outbox {
    /// Queues `event` inside the caller's transaction. An event id already queued is ignored.
    static func enqueue(_ connection: DatabaseConnection, _ event: Stats.Event) throws {
        try connection.execute(
            "INSERT OR IGNORE INTO outbox(event_id, payload, created_at_unix_ms) VALUES (?, ?, ?)",
            [.text(event.eventId), .blob(event.serializedBytes()), .integer(event.occurredAtUnixMs)])
    }
}

/// Wakes the relay when a transaction queued events: at most one wake-up is kept pending.
public final class OutboxSignal: Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    /// A signal nobody has raised yet.
    public init() {
        (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Tells the relay there is something to send.
    public func notify() { continuation.yield() }

    /// The wake-ups, for the one relay that waits on them.
    var wakeUps: AsyncStream<Void> { stream }
}
