import BackofficeAPI
import Foundation
import RPC
import ServiceRuntime
import Storage
import Synchronization

/// The gateway's local, durable queue of audit records on their way to the security service.
///
/// A mutating call is written ahead: `begin` commits its record (outcome `UNKNOWN`) to SQLite
/// (`audit-spool.sqlite` in `--data-dir`) before the call is forwarded, and `finish` replaces it
/// with the outcome before the response is returned. A record that is still open when the spool
/// is opened again (the gateway was killed while the call was in flight) is released as it was,
/// outcome `UNKNOWN`, with a note: a call that may have changed something is never missing from
/// the trail. `append` records a call that was refused before it was forwarded.
///
/// A background task sends the oldest finished records in batches (`Audit.AppendBatch`) and
/// deletes them once the security service has committed them, backing off while it is
/// unreachable. A crash between the two may send a batch twice (at least once, never lost).
public final class AuditSpool: Sendable {
    /// The spool's schema.
    public static let migrations = [
        Migration(
            version: 1, name: "spool",
            sql: """
                CREATE TABLE spool (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    record BLOB NOT NULL
                );
                """),
        Migration(
            version: 2, name: "write-ahead records",
            sql: """
                ALTER TABLE spool ADD COLUMN in_flight INTEGER NOT NULL DEFAULT 0;
                """),
    ]

    /// The note a record released after a restart carries in its details.
    public static let interruptedNote = "the gateway stopped before the call ended"

    /// Sends one batch; throws when the security service did not commit it.
    public typealias Sender = @Sendable ([Audit.Record]) async throws -> Void

    private let database: Database
    private let send: Sender
    private let logger: Logger?
    /// Records per AppendBatch (the audit service takes at most 1000).
    public let batchSize: Int
    private let wakeUp = WakeUpSignal()
    private let flusher = Mutex<Task<Void, Never>?>(nil)

    /// Opens (creating) the spool at `path`.
    ///
    /// Records left open by a previous run are released with outcome `UNKNOWN` and a note.
    public static func open(path: String, batchSize: Int = 500, logger: Logger?, send: @escaping Sender) async throws -> AuditSpool {
        let database = try await Database.open(path: path, migrations: migrations)
        let released = try await database.write { connection in
            let rows = try connection.query("SELECT seq, record FROM spool WHERE in_flight = 1")
                .map { (try $0.int64("seq"), try $0.blob("record")) }
            for (seq, bytes) in rows {
                var record = try Audit.Record(serializedBytes: bytes)
                record.details["note"] = interruptedNote
                _ = try connection.execute(
                    "UPDATE spool SET record = ?, in_flight = 0 WHERE seq = ?", [.blob(record.serializedBytes()), .integer(seq)])
            }
            return rows.count
        }
        if released > 0 {
            logger?.warn("audit records of calls interrupted by a stop released with outcome UNKNOWN", ["count": released])
        }
        return AuditSpool(database: database, batchSize: batchSize, logger: logger, send: send)
    }

    private init(database: Database, batchSize: Int, logger: Logger?, send: @escaping Sender) {
        self.database = database
        self.batchSize = batchSize
        self.logger = logger
        self.send = send
    }

    /// Commits `record` to the spool and wakes the flusher.
    public func append(_ record: Audit.Record) async throws {
        let bytes = record.serializedBytes()
        try await database.write { connection in
            _ = try connection.execute("INSERT INTO spool (record) VALUES (?)", [.blob(bytes)])
        }
        wakeUp.signal()
    }

    /// Commits the record of a call about to be forwarded (its outcome `UNKNOWN` until
    /// `finish`); the flusher leaves it alone until then. Returns its place in the spool.
    public func begin(_ record: Audit.Record) async throws -> Int64 {
        var record = record
        record.outcome = StatusCode.unknown.name
        let bytes = record.serializedBytes()
        return try await database.write { connection in
            try connection.execute("INSERT INTO spool (record, in_flight) VALUES (?, 1)", [.blob(bytes)]).lastInsertRowID
        }
    }

    /// Replaces the record `begin` wrote with the finished one and lets the flusher send it.
    public func finish(_ seq: Int64, _ record: Audit.Record) async throws {
        let bytes = record.serializedBytes()
        try await database.write { connection in
            _ = try connection.execute(
                "UPDATE spool SET record = ?, in_flight = 0 WHERE seq = ?", [.blob(bytes), .integer(seq)])
        }
        wakeUp.signal()
    }

    /// Records waiting to be sent (open ones included).
    public func pendingCount() async throws -> Int {
        try await database.read { connection in
            try connection.queryOne("SELECT count(*) AS n FROM spool")?.int("n") ?? 0
        }
    }

    /// Sends what is spooled, batch after batch, until the spool is empty; returns how many records it sent.
    /// Throws the sender's error for the batch that failed (nothing of it is deleted).
    @discardableResult
    public func flushOnce() async throws -> Int {
        var sent = 0
        while true {
            let size = batchSize
            let rows = try await database.read { connection in
                try connection.query(
                    "SELECT seq, record FROM spool WHERE in_flight = 0 ORDER BY seq LIMIT ?", [.integer(Int64(size))]
                )
                .map { (try $0.int64("seq"), try $0.blob("record")) }
            }
            guard let last = rows.last?.0 else { return sent }
            let records = try rows.map { try Audit.Record(serializedBytes: $0.1) }
            try await send(records)
            try await database.write { connection in
                _ = try connection.execute("DELETE FROM spool WHERE seq <= ? AND in_flight = 0", [.integer(last)])
            }
            sent += records.count
        }
    }

    /// Starts the background flusher: after every append, and every `interval` anyway; failed
    /// sends back off exponentially up to `maximumBackoff`.
    public func startFlushing(interval: Duration = .seconds(1), maximumBackoff: Duration = .seconds(10)) {
        let task = Task { [self] in
            var backoff = Duration.milliseconds(100)
            while !Task.isCancelled {
                do {
                    let sent = try await flushOnce()
                    if sent > 0 { logger?.debug("audit records sent", ["count": sent]) }
                    backoff = .milliseconds(100)
                    await wakeUp.wait(upTo: interval)
                } catch {
                    logger?.warn(
                        "cannot send audit records; they stay spooled",
                        ["error": String(describing: error), "retry_in": String(describing: backoff)])
                    try? await Task.sleep(for: backoff)
                    backoff = min(backoff * 2, maximumBackoff)
                }
            }
        }
        flusher.withLock { $0 = task }
    }

    /// Stops the flusher (what is spooled stays for the next start) and closes the database.
    public func close() async {
        flusher.withLock { $0?.cancel() }
        await database.close()
    }
}

/// Wakes one waiting task, or the next one to wait if none is waiting yet.
final class WakeUpSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    /// Wakes the waiter (or lets the next `wait` return at once).
    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns after a `signal` or after `limit`, whichever comes first.
    func wait(upTo limit: Duration) async {
        let timer = Task { [self] in
            // A cancelled timer must not signal: that would wake the next wait at once.
            guard (try? await Task.sleep(for: limit)) != nil else { return }
            signal()
        }
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Bool in
                if state.pending {
                    state.pending = false
                    return true
                }
                state.waiter = continuation
                return false
            }
            if now { continuation.resume() }
        }
        timer.cancel()
    }
}
