import CSQLite

/// One compiled SQL statement (`sqlite3_stmt`), owned by a `DatabaseConnection` and used only on
/// that connection's thread. Binding, stepping and reading columns go through here.
final class PreparedStatement {
    let handle: OpaquePointer
    let sql: String
    private let connection: OpaquePointer
    private var finalized = false

    /// Compiles `sql`, which must hold exactly one statement (trailing whitespace, semicolons and
    /// comments are fine). `persistent` hints SQLite that the statement will be cached and reused.
    init(sql: String, connection: OpaquePointer, persistent: Bool) throws {
        var statement: OpaquePointer?
        var trailingStatement = false
        let flags: UInt32 = persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
        let code = sql.withCString { text -> Int32 in
            var tail: UnsafePointer<CChar>?
            let code = sqlite3_prepare_v3(connection, text, -1, flags, &statement, &tail)
            if code == SQLITE_OK, let tail, tail.pointee != 0 {
                // Something follows the first statement: reject it if it is another statement
                // (comments and whitespace compile to nothing).
                var extra: OpaquePointer?
                if sqlite3_prepare_v2(connection, tail, -1, &extra, nil) != SQLITE_OK || extra != nil {
                    trailingStatement = true
                }
                sqlite3_finalize(extra)
            }
            return code
        }
        try StorageError.check(code, "sqlite3_prepare_v3", connection: connection, sql: sql)
        guard let statement else {
            throw StorageError(code: SQLITE_MISUSE, call: "sqlite3_prepare_v3", message: "the SQL holds no statement", sql: sql)
        }
        if trailingStatement {
            sqlite3_finalize(statement)
            throw StorageError(
                code: SQLITE_MISUSE, call: "sqlite3_prepare_v3",
                message: "the SQL holds more than one statement; use executeScript for scripts", sql: sql)
        }
        self.handle = statement
        self.sql = sql
        self.connection = connection
    }

    deinit { finalize() }

    /// Releases the statement; later use is a programming error.
    func finalize() {
        guard !finalized else { return }
        finalized = true
        sqlite3_finalize(handle)
    }

    // MARK: Binding

    /// Binds values to `?`/`?NNN` parameters by position; the count must match exactly.
    func bind(_ values: [SQLValue]) throws {
        let expected = Int(sqlite3_bind_parameter_count(handle))
        guard values.count == expected else {
            throw StorageError(
                code: SQLITE_RANGE, call: "sqlite3_bind",
                message: "the statement has \(expected) parameters but \(values.count) values were bound", sql: sql)
        }
        for (offset, value) in values.enumerated() {
            try bind(value, at: Int32(offset + 1))
        }
    }

    /// Binds values to `:name`, `@name` or `$name` parameters. Keys may be given with or without
    /// the prefix. Every parameter must get a value and every key must name a parameter.
    func bind(_ named: [String: SQLValue]) throws {
        let count = sqlite3_bind_parameter_count(handle)
        var used = Set<String>()
        for index in stride(from: Int32(1), through: count, by: 1) {
            guard let rawName = sqlite3_bind_parameter_name(handle, index) else {
                throw StorageError(
                    code: SQLITE_RANGE, call: "sqlite3_bind",
                    message: "parameter \(index) is positional (?) but values were bound by name", sql: sql)
            }
            let fullName = String(cString: rawName)
            let bareName = String(fullName.dropFirst())
            let key: String
            if named[fullName] != nil {
                key = fullName
            } else if named[bareName] != nil {
                key = bareName
            } else {
                throw StorageError(
                    code: SQLITE_RANGE, call: "sqlite3_bind", message: "no value was bound for parameter \(fullName)",
                    sql: sql)
            }
            used.insert(key)
            try bind(named[key]!, at: index)
        }
        let unused = Set(named.keys).subtracting(used)
        if !unused.isEmpty {
            throw StorageError(
                code: SQLITE_RANGE, call: "sqlite3_bind",
                message: "values were bound for unknown parameters: \(unused.sorted().joined(separator: ", "))", sql: sql)
        }
    }

    private func bind(_ value: SQLValue, at index: Int32) throws {
        let code: Int32
        switch value {
        case .null:
            code = sqlite3_bind_null(handle, index)
        case .integer(let number):
            code = sqlite3_bind_int64(handle, index, number)
        case .real(let number):
            code = sqlite3_bind_double(handle, index, number)
        case .text(var text):
            if text.isEmpty {
                // An empty string binds as '' (not NULL): give SQLite a real, empty C string.
                code = sqlite3_bind_text64(handle, index, "", 0, csqlite_transient(), UInt8(SQLITE_UTF8))
            } else {
                // Bound with its byte length, so text containing NUL characters survives intact.
                code = text.withUTF8 { bytes in
                    let chars = UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self)
                    return sqlite3_bind_text64(
                        handle, index, chars, sqlite3_uint64(bytes.count), csqlite_transient(), UInt8(SQLITE_UTF8))
                }
            }
        case .blob(let bytes):
            if bytes.isEmpty {
                // sqlite3_bind_blob with a NULL pointer would bind NULL; a zero-length zeroblob is X''.
                code = sqlite3_bind_zeroblob(handle, index, 0)
            } else {
                code = bytes.withUnsafeBytes { raw in
                    sqlite3_bind_blob64(handle, index, raw.baseAddress, sqlite3_uint64(raw.count), csqlite_transient())
                }
            }
        }
        try StorageError.check(code, "sqlite3_bind (parameter \(index))", connection: connection, sql: sql)
    }

    // MARK: Stepping and reading

    /// Advances to the next row: true when a row is available, false when the statement is done.
    func step() throws -> Bool {
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw StorageError(code: code, call: "sqlite3_step", connection: connection, sql: sql)
        }
    }

    /// The result columns' names, read fresh (a schema change can alter `SELECT *`).
    func makeLayout() -> RowLayout {
        let count = sqlite3_column_count(handle)
        return RowLayout(
            names: (0..<count).map { column in
                sqlite3_column_name(handle, column).map { String(cString: $0) } ?? "column\(column)"
            })
    }

    /// The current row's values (valid after `step()` returned true).
    func currentRow(layout: RowLayout) -> Row {
        let count = Int32(layout.names.count)
        var values: [SQLValue] = []
        values.reserveCapacity(Int(count))
        for column in 0..<count {
            values.append(value(at: column))
        }
        return Row(layout: layout, values: values)
    }

    private func value(at column: Int32) -> SQLValue {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_INTEGER:
            return .integer(sqlite3_column_int64(handle, column))
        case SQLITE_FLOAT:
            return .real(sqlite3_column_double(handle, column))
        case SQLITE_TEXT:
            // column_text first, then column_bytes, as SQLite documents.
            guard let text = sqlite3_column_text(handle, column) else { return .text("") }
            let length = Int(sqlite3_column_bytes(handle, column))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: length), as: UTF8.self))
        case SQLITE_BLOB:
            guard let blob = sqlite3_column_blob(handle, column) else { return .blob([]) }
            let length = Int(sqlite3_column_bytes(handle, column))
            return .blob(Array(UnsafeRawBufferPointer(start: blob, count: length)))
        default:
            return .null
        }
    }

    /// Returns the statement to its initial state and drops bindings, releasing any read lock.
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }
}
