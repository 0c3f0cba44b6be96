import CSQLite

/// One SQLite connection to a database file.
///
/// A connection is not Sendable: use it from one thread at a time (it is opened with
/// `SQLITE_OPEN_NOMUTEX`, SQLite's multi-thread mode). Services do not normally create connections
/// themselves; `Database` owns them and passes one to each `read`/`write` body.
///
/// On open the connection creates the file if needed and applies `journal_mode=WAL`,
/// `foreign_keys=ON`, `busy_timeout` and `synchronous` from its `ConnectionConfiguration`
/// (see `SynchronousMode` for what survives a crash or power loss). Statements are prepared once
/// and cached by SQL text. Values are bound by position (`[SQLValue]`) or by name
/// (`[String: SQLValue]`), and results come back as `Row`s.
public final class DatabaseConnection {
    /// The database file's path, as given.
    public let path: String
    /// The settings the connection was opened with.
    public let configuration: ConnectionConfiguration

    private var handle: OpaquePointer?
    private let cache: StatementCache
    var savepointDepth = 0

    /// Opens (creating it if needed) the SQLite file at `path` for reading and writing, with
    /// extended result codes; the caller owns and closes the handle.
    static func openHandle(path: String) throws -> OpaquePointer {
        var opened: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let code = sqlite3_open_v2(path, &opened, flags, nil)
        guard code == SQLITE_OK, let opened else {
            let error = StorageError(code: code, call: "sqlite3_open_v2(\(path))", connection: opened)
            sqlite3_close_v2(opened)
            throw error
        }
        return opened
    }

    /// Opens (creating if needed) the database at `path` and applies the configuration.
    ///
    /// Throws a `StorageError` when the file cannot be opened or is not a database, or when
    /// WAL mode or foreign keys cannot be enabled.
    public init(path: String, configuration: ConnectionConfiguration = ConnectionConfiguration()) throws {
        self.path = path
        self.configuration = configuration
        self.cache = StatementCache(capacity: configuration.statementCacheCapacity)

        handle = try Self.openHandle(path: path)
        do {
            try configure()
        } catch {
            sqlite3_close_v2(handle)
            handle = nil
            throw error
        }
    }

    deinit {
        cache.removeAll()
        if let handle { sqlite3_close_v2(handle) }
    }

    private func configure() throws {
        let handle = try openHandle("configure")
        sqlite3_extended_result_codes(handle, 1)
        try StorageError.check(
            sqlite3_busy_timeout(handle, max(0, configuration.busyTimeoutMilliseconds)), "sqlite3_busy_timeout",
            connection: handle)
        let mode = try queryOne("PRAGMA journal_mode = WAL")?.string(0).lowercased()
        guard mode == "wal" else {
            throw StorageError(
                code: SQLITE_CANTOPEN, call: "PRAGMA journal_mode = WAL",
                message: "\(path) cannot use WAL mode (journal mode is \(mode ?? "unknown"))")
        }
        try execute("PRAGMA synchronous = \(configuration.synchronous.pragmaKeyword)")
        try execute("PRAGMA foreign_keys = ON")
        guard try queryOne("PRAGMA foreign_keys")?.int64(0) == 1 else {
            throw StorageError(
                code: SQLITE_ERROR, call: "PRAGMA foreign_keys = ON",
                message: "this SQLite build does not enforce foreign keys")
        }
        if configuration.queryOnly { try execute("PRAGMA query_only = ON") }
    }

    /// The open `sqlite3*`, or a `StorageError` naming `call` when the connection is closed.
    func openHandle(_ call: String) throws -> OpaquePointer {
        guard let handle else { throw StorageError(code: SQLITE_MISUSE, call: call, message: "the connection is closed") }
        return handle
    }

    /// True once `close()` has run.
    public var isClosed: Bool { handle == nil }

    /// Finalizes cached statements and closes the connection. Calling it again does nothing.
    /// The last connection to close checkpoints the WAL into the database file.
    public func close() throws {
        guard let handle else { return }
        cache.removeAll()
        self.handle = nil
        try StorageError.check(sqlite3_close_v2(handle), "sqlite3_close_v2", connection: nil)
    }

    // MARK: - Statements

    /// Runs one statement that changes data (or DDL, or a PRAGMA), binding `bindings` to its `?`
    /// parameters in order, and reports the rows changed and the last inserted rowid.
    /// Any rows the statement returns are discarded.
    @discardableResult
    public func execute(_ sql: String, _ bindings: [SQLValue] = []) throws -> ExecutionResult {
        try withStatement(sql) { statement in
            try statement.bind(bindings)
            return try run(statement)
        }
    }

    /// Runs one statement with `:name` / `@name` / `$name` parameters bound from `bindings`
    /// (keys with or without the prefix); every parameter needs a value and every key a parameter.
    @discardableResult
    public func execute(_ sql: String, named bindings: [String: SQLValue]) throws -> ExecutionResult {
        try withStatement(sql) { statement in
            try statement.bind(bindings)
            return try run(statement)
        }
    }

    /// Runs one query and returns all its rows.
    public func query(_ sql: String, _ bindings: [SQLValue] = []) throws -> [Row] {
        try withStatement(sql) { statement in
            try statement.bind(bindings)
            return try collect(statement, limit: Int.max)
        }
    }

    /// Runs one query with named parameters and returns all its rows.
    public func query(_ sql: String, named bindings: [String: SQLValue]) throws -> [Row] {
        try withStatement(sql) { statement in
            try statement.bind(bindings)
            return try collect(statement, limit: Int.max)
        }
    }

    /// Runs one query and returns its first row, or nil when there is none (later rows are not read).
    public func queryOne(_ sql: String, _ bindings: [SQLValue] = []) throws -> Row? {
        try withStatement(sql) { statement in
            try statement.bind(bindings)
            return try collect(statement, limit: 1).first
        }
    }

    /// Runs one query with named parameters and returns its first row, or nil when there is none.
    public func queryOne(_ sql: String, named bindings: [String: SQLValue]) throws -> Row? {
        try withStatement(sql) { statement in
            try statement.bind(bindings)
            return try collect(statement, limit: 1).first
        }
    }

    /// Runs a script of several `;`-separated statements without parameters (schema migrations,
    /// fixtures), stopping at the first failure. Statements are not cached. The script is not
    /// wrapped in a transaction; call it inside `transaction` to make it atomic.
    public func executeScript(_ sql: String) throws {
        let handle = try openHandle("executeScript")
        try sql.withCString { start in
            var cursor: UnsafePointer<CChar>? = start
            while let current = cursor, current.pointee != 0 {
                var statement: OpaquePointer?
                var tail: UnsafePointer<CChar>?
                let code = sqlite3_prepare_v2(handle, current, -1, &statement, &tail)
                guard code == SQLITE_OK else {
                    let failing = String(cString: current)
                    throw StorageError(code: code, call: "sqlite3_prepare_v2", connection: handle, sql: failing)
                }
                cursor = tail
                guard let statement else { continue }  // whitespace or a comment
                defer { sqlite3_finalize(statement) }
                var stepCode = sqlite3_step(statement)
                while stepCode == SQLITE_ROW { stepCode = sqlite3_step(statement) }
                if stepCode != SQLITE_DONE {
                    let failing = sqlite3_sql(statement).map { String(cString: $0) }
                    throw StorageError(code: stepCode, call: "sqlite3_step", connection: handle, sql: failing)
                }
            }
        }
    }

    /// True while a transaction is open on this connection (SQLite is not in autocommit mode).
    public var isInTransaction: Bool {
        guard let handle else { return false }
        return sqlite3_get_autocommit(handle) == 0
    }

    /// The rowid of the most recent successful INSERT on this connection.
    public var lastInsertRowID: Int64 {
        guard let handle else { return 0 }
        return sqlite3_last_insert_rowid(handle)
    }

    /// The number of prepared statements currently cached.
    public var cachedStatementCount: Int { cache.count }

    // MARK: - Internals

    /// Runs `body` with the cached (or newly prepared) statement for `sql`, resetting it afterwards
    /// so it holds no locks and no bindings between uses.
    private func withStatement<T>(_ sql: String, _ body: (PreparedStatement) throws -> T) throws -> T {
        let handle = try openHandle("prepare")
        let statement: PreparedStatement
        if let cached = cache.statement(for: sql) {
            statement = cached
        } else {
            statement = try PreparedStatement(sql: sql, connection: handle, persistent: cache.capacity > 0)
            cache.insert(statement)
        }
        defer { statement.reset() }
        return try body(statement)
    }

    private func run(_ statement: PreparedStatement) throws -> ExecutionResult {
        let handle = try openHandle("execute")
        let totalBefore = sqlite3_total_changes64(handle)
        while try statement.step() {}
        // sqlite3_changes64 still reports the previous INSERT/UPDATE/DELETE after DDL or a query,
        // so only trust it when this statement changed something.
        let changed = sqlite3_total_changes64(handle) != totalBefore
        return ExecutionResult(
            changes: changed ? Int(sqlite3_changes64(handle)) : 0, lastInsertRowID: sqlite3_last_insert_rowid(handle))
    }

    private func collect(_ statement: PreparedStatement, limit: Int) throws -> [Row] {
        var rows: [Row] = []
        var layout: RowLayout?
        while rows.count < limit, try statement.step() {
            let current = layout ?? statement.makeLayout()
            layout = current
            rows.append(statement.currentRow(layout: current))
        }
        return rows
    }
}

/// Connections are deliberately not Sendable: one sqlite3 handle in multi-thread mode must not be
/// used by two threads at once. `Database` hands them across threads under its own rules.
@available(*, unavailable)
extension DatabaseConnection: Sendable {}
