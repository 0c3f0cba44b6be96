import CSQLite
import Dispatch

/// A service's database: the Sendable, async façade over one SQLite file that request handlers use.
///
/// It owns one writer connection, which runs on its own serial dispatch queue, and a small pool of
/// query-only reader connections (WAL lets them read while the writer writes). `write` bodies run
/// one at a time inside an IMMEDIATE transaction; `read` bodies run concurrently, each inside a
/// DEFERRED transaction so all its queries see one snapshot. Bodies never run on the caller's
/// thread: callers (network event loops) only enqueue work and await its result.
///
/// A body's work is not cancelled with the calling task: once queued, a transaction runs to
/// completion (or failure) so the database never sees half a request.
///
/// ```swift
/// let database = try await Database.open(path: "/var/lib/users/users.sqlite", migrations: UserSchema.migrations)
/// let id = try await database.write { db in
///     try db.execute("INSERT INTO users(name) VALUES (?)", [.text(name)]).lastInsertRowID
/// }
/// ```
public final class Database: Sendable {
    /// The database file's path.
    public let path: String
    /// The settings the database was opened with.
    public let configuration: DatabaseConfiguration

    private let writerQueue: DispatchQueue
    private let readerQueue: DispatchQueue
    private let writer: ConnectionSlot
    private let readers: [ConnectionSlot]
    private let state: Locked<State>

    private struct State: Sendable {
        var isClosed = false
        var inFlight = 0
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
        var idleReaders: [ConnectionSlot]
        var readerWaiters: [@Sendable (ConnectionSlot) -> Void] = []
    }

    private init(
        path: String, configuration: DatabaseConfiguration, writerQueue: DispatchQueue, writer: ConnectionSlot,
        readers: [ConnectionSlot]
    ) {
        self.path = path
        self.configuration = configuration
        self.writerQueue = writerQueue
        self.readerQueue = DispatchQueue(label: "storage.readers:\(path)", attributes: .concurrent)
        readerQueue.setSpecific(key: Database.queueLabelKey, value: readerQueue.label)
        self.writer = writer
        self.readers = readers
        self.state = Locked(State(idleReaders: readers))
    }

    /// Opens (creating if needed) the database at `path`, applies `migrations` (see
    /// `DatabaseConnection.migrate`) on the writer connection, then opens the readers.
    ///
    /// All of this runs on the writer's queue. Throws `StorageError` when the file cannot be
    /// opened and `MigrationError` when migrating fails or the database is newer than the code.
    public static func open(
        path: String, configuration: DatabaseConfiguration = DatabaseConfiguration(), migrations: [Migration] = []
    ) async throws -> Database {
        let writerQueue = DispatchQueue(label: "storage.writer:\(path)")
        writerQueue.setSpecific(key: Database.queueLabelKey, value: writerQueue.label)
        var writerSettings = configuration.connection
        writerSettings.queryOnly = false
        var readerSettings = configuration.connection
        readerSettings.queryOnly = true

        let (writer, readers) = try await ResultHandoff<(ConnectionSlot, [ConnectionSlot])>.await { handoff, continuation in
            writerQueue.async { [writerSettings, readerSettings] in
                let result = Result {
                    let connection = try DatabaseConnection(path: path, configuration: writerSettings)
                    try connection.migrate(migrations)
                    var readers: [ConnectionSlot] = []
                    for _ in 0..<configuration.readerCount {
                        readers.append(ConnectionSlot(try DatabaseConnection(path: path, configuration: readerSettings)))
                    }
                    return (ConnectionSlot(connection), readers)
                }
                handoff.deliver(result, resuming: continuation)
            }
        }
        return Database(
            path: path, configuration: configuration, writerQueue: writerQueue, writer: writer, readers: readers)
    }

    // MARK: - Work

    /// Runs `body` on the writer connection inside an IMMEDIATE transaction and returns its
    /// result: committed when the body returns, rolled back (and the error rethrown) when it throws.
    ///
    /// Writes are serialized on the writer's queue, so a body never waits for SQLite's write lock
    /// held by another body of this `Database`. Keep bodies short and free of network calls.
    @discardableResult
    public func write<T: Sendable>(_ body: @escaping @Sendable (DatabaseConnection) throws -> T) async throws -> T {
        try admit("Database.write")
        return try await ResultHandoff<T>.await { handoff, continuation in
            writerQueue.async { [self] in
                let result = Result { try writer.connection.transaction(.immediate, body) }
                finish()
                handoff.deliver(result, resuming: continuation)
            }
        }
    }

    /// Runs `body` on a reader connection inside a DEFERRED (read) transaction and returns its
    /// result. Readers are query-only: a write inside `read` fails with a `StorageError` whose
    /// `isReadOnly` is true. When every reader is busy, the body waits its turn (first come,
    /// first served) without blocking any thread.
    public func read<T: Sendable>(_ body: @escaping @Sendable (DatabaseConnection) throws -> T) async throws -> T {
        try admit("Database.read")
        return try await ResultHandoff<T>.await { handoff, continuation in
            guard !readers.isEmpty else {
                writerQueue.async { [self] in
                    let result = Result { try writer.connection.transaction(.deferred, body) }
                    finish()
                    handoff.deliver(result, resuming: continuation)
                }
                return
            }
            checkOutReader { [self] slot in
                readerQueue.async { [self] in
                    let result = Result { try slot.connection.transaction(.deferred, body) }
                    checkInReader(slot)
                    finish()
                    handoff.deliver(result, resuming: continuation)
                }
            }
        }
    }

    /// The schema version recorded by migrations (0 when none ran).
    public func schemaVersion() async throws -> Int {
        try await read { try $0.schemaVersion() }
    }

    /// Runs `PRAGMA integrity_check` on a reader; an empty array means healthy (see
    /// `DatabaseConnection.integrityCheck`).
    public func integrityCheck() async throws -> [String] {
        try await read { try $0.integrityCheck() }
    }

    // MARK: - Backup and restore

    /// Copies the live database to `destinationPath` while it keeps serving requests.
    ///
    /// Uses SQLite's online backup API from the writer connection, `backupPagesPerStep` pages per
    /// step, each step a separate item on the writer's queue, so writes run between steps (and,
    /// being made on the same connection, are carried into the copy instead of restarting it).
    /// The copy is written to a temporary file beside the destination, checked with
    /// `PRAGMA integrity_check` (unless `verifiesBackups` is off), then renamed into place; the
    /// destination therefore never holds a partial copy. The copy is the database as of the final
    /// step: every write that completed before `backup(to:)` was called is in it, and so is every
    /// write that ran between steps. Cancelling the calling task abandons the copy.
    public func backup(to destinationPath: String) async throws {
        try admit("Database.backup")
        defer { finish() }
        let temporaryPath = BackupOperation.temporaryPath(for: destinationPath, purpose: "backup")
        let operation = try await onWriterQueue { connection in
            try BackupOperation(source: connection, temporaryPath: temporaryPath)
        }
        do {
            var done = false
            let pages = configuration.backupPagesPerStep
            while !done {
                try Task.checkCancellation()
                switch try await onWriterQueue({ _ in try operation.step(pages: pages) }) {
                case .finished: done = true
                case .inProgress: break
                case .busy: try await Task.sleep(for: .milliseconds(5))
                }
            }
            try await onWriterQueue { _ in try operation.finish() }
        } catch {
            _ = try? await onWriterQueue { _ in operation.abandon() }
            throw error
        }
        let verify = configuration.verifiesBackups
        try await onBackgroundQueue {
            try BackupOperation.install(temporaryPath: temporaryPath, at: destinationPath, verify: verify)
        }
    }

    /// Replaces the database at `databasePath` with the backup at `backupPath`. Only for a stopped
    /// service: no `Database` may have `databasePath` open.
    ///
    /// The backup is copied (and fsynced) to a temporary file beside the database and checked
    /// with `PRAGMA integrity_check`; then the database's stale `-wal`/`-shm` files are deleted
    /// (replaying an old WAL into the restored file would corrupt it) and the copy is renamed
    /// over the database file. A bad backup throws before anything is replaced. This call blocks
    /// its thread; it is meant for startup code and tools, not request handlers.
    public static func restore(from backupPath: String, to databasePath: String) throws {
        guard FileOperations.exists(backupPath) else {
            throw StorageError(code: SQLITE_CANTOPEN, call: "Database.restore", message: "no backup at \(backupPath)")
        }
        let temporaryPath = BackupOperation.temporaryPath(for: databasePath, purpose: "restore")
        do {
            try FileOperations.copy(backupPath, to: temporaryPath)
        } catch {
            try? FileOperations.removeIfPresent(temporaryPath)
            throw error
        }
        try BackupOperation.install(temporaryPath: temporaryPath, at: databasePath, verify: true)
    }

    // MARK: - Closing

    /// Stops accepting work, waits for the work in flight (queued and running bodies, backups) to
    /// finish, then closes every connection (the writer last, which checkpoints the WAL).
    /// Later calls to `read`/`write`/`backup` throw a `StorageError` whose `isMisuse` is true.
    /// Calling `close()` again waits the same way and does nothing more.
    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle = state.withLock { state -> Bool in
                state.isClosed = true
                if state.inFlight == 0 { return true }
                state.closeWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            writerQueue.async { [self] in
                for reader in readers { reader.close() }
                writer.close()
                continuation.resume()
            }
        }
    }

    // MARK: - Internals

    /// Tags the database's queues with their labels, so code (and tests) can tell which queue
    /// it is running on: `DispatchQueue.getSpecific(key: Database.queueLabelKey)`.
    static let queueLabelKey = DispatchSpecificKey<String>()

    /// Counts one more piece of work in flight, or throws when the database is closed.
    private func admit(_ call: String) throws {
        try state.withLock { state in
            if state.isClosed { throw StorageError.closed(call) }
            state.inFlight += 1
        }
    }

    /// Ends one piece of work and wakes `close()` when it was the last one after closing began.
    private func finish() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.inFlight -= 1
            guard state.isClosed, state.inFlight == 0 else { return [] }
            let waiters = state.closeWaiters
            state.closeWaiters = []
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Gives `job` an idle reader now, or queues it for the next reader checked in.
    private func checkOutReader(_ job: @escaping @Sendable (ConnectionSlot) -> Void) {
        let slot = state.withLock { state -> ConnectionSlot? in
            if let slot = state.idleReaders.popLast() { return slot }
            state.readerWaiters.append(job)
            return nil
        }
        if let slot { job(slot) }
    }

    /// Hands `slot` to the longest-waiting job, or returns it to the idle pool.
    private func checkInReader(_ slot: ConnectionSlot) {
        let next = state.withLock { state -> (@Sendable (ConnectionSlot) -> Void)? in
            if !state.readerWaiters.isEmpty { return state.readerWaiters.removeFirst() }
            state.idleReaders.append(slot)
            return nil
        }
        next?(slot)
    }

    /// Runs `body` with the writer connection on the writer's queue, outside any transaction.
    private func onWriterQueue<T: Sendable>(_ body: @escaping @Sendable (DatabaseConnection) throws -> T) async throws -> T {
        try await ResultHandoff<T>.await { handoff, continuation in
            writerQueue.async { [writer] in
                handoff.deliver(Result { try body(writer.connection) }, resuming: continuation)
            }
        }
    }

    /// Runs file work (verification, renames) on a background queue, off both the caller's
    /// thread and the writer's queue.
    private func onBackgroundQueue(_ body: @escaping @Sendable () throws -> Void) async throws {
        try await ResultHandoff<Void>.await { handoff, continuation in
            DispatchQueue.global(qos: .utility).async {
                handoff.deliver(Result { try body() }, resuming: continuation)
            }
        }
    }
}
