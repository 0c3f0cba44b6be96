import CSQLite

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An error reported by SQLite (or by the storage layer on SQLite's behalf), carrying the result
/// code, the call that failed and SQLite's message.
///
/// Services map these to their own status codes with the helpers, for example
/// `isUniqueConstraintViolation` to ALREADY_EXISTS, `isForeignKeyViolation` to FAILED_PRECONDITION
/// and `isBusy` to UNAVAILABLE.
public struct StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The extended result code (for example `ExtendedCode.constraintUnique`, 2067). Connections enable
    /// extended result codes, so this is as specific as SQLite can be.
    public let extendedCode: Int32
    /// The call or operation that failed, for example `sqlite3_step` or `Database.write`.
    public let call: String
    /// SQLite's message (`sqlite3_errmsg`, or `sqlite3_errstr` when no connection is available).
    public let message: String
    /// The SQL being run, when the failure concerns one statement.
    public let sql: String?

    /// Creates an error from its parts; `code` may be a primary or an extended result code.
    public init(code: Int32, call: String, message: String, sql: String? = nil) {
        self.extendedCode = code
        self.call = call
        self.message = message
        self.sql = sql
    }

    /// The primary result code (the low 8 bits of the extended code), for example `SQLITE_CONSTRAINT`.
    public var primaryCode: Int32 { extendedCode & 0xFF }

    /// True for any constraint failure (UNIQUE, PRIMARY KEY, FOREIGN KEY, NOT NULL, CHECK, ...).
    public var isConstraintViolation: Bool { primaryCode == SQLITE_CONSTRAINT }

    /// True when a UNIQUE or PRIMARY KEY constraint rejected the row: map to ALREADY_EXISTS.
    public var isUniqueConstraintViolation: Bool {
        extendedCode == ExtendedCode.constraintUnique || extendedCode == ExtendedCode.constraintPrimaryKey
            || extendedCode == ExtendedCode.constraintRowID
    }

    /// True when a FOREIGN KEY constraint rejected the change (missing parent or existing children).
    public var isForeignKeyViolation: Bool { extendedCode == ExtendedCode.constraintForeignKey }

    /// True when a NOT NULL constraint rejected the row.
    public var isNotNullViolation: Bool { extendedCode == ExtendedCode.constraintNotNull }

    /// True when a CHECK constraint rejected the row.
    public var isCheckViolation: Bool { extendedCode == ExtendedCode.constraintCheck }

    /// True when the database stayed locked past the busy timeout (`SQLITE_BUSY` or `SQLITE_LOCKED`):
    /// a transient condition, map to UNAVAILABLE and let the caller retry.
    public var isBusy: Bool { primaryCode == SQLITE_BUSY || primaryCode == SQLITE_LOCKED }

    /// True when the file is damaged or not a database (`SQLITE_CORRUPT`, `SQLITE_NOTADB`).
    public var isCorruption: Bool { primaryCode == SQLITE_CORRUPT || primaryCode == SQLITE_NOTADB }

    /// True when a write was attempted on a read-only connection (for example inside `Database.read`).
    public var isReadOnly: Bool { primaryCode == SQLITE_READONLY }

    /// True for API misuse, including use of a closed `Database`.
    public var isMisuse: Bool { primaryCode == SQLITE_MISUSE }

    /// A readable one-line description: call, code names and message, plus the SQL when known.
    public var description: String {
        var text = "\(call) failed with SQLite code \(primaryCode)"
        if extendedCode != primaryCode { text += " (extended \(extendedCode))" }
        text += ": \(message)"
        if let sql { text += " [SQL: \(sql)]" }
        return text
    }

    // MARK: - The one helper that turns SQLite result codes into errors

    /// Throws a `StorageError` unless `code` is `SQLITE_OK`.
    ///
    /// The message is taken from the connection when one is given and it reports the same
    /// primary code (it then describes this failure), otherwise from `sqlite3_errstr`.
    static func check(
        _ code: Int32, _ call: @autoclosure () -> String, connection: OpaquePointer?, sql: String? = nil
    ) throws {
        guard code != SQLITE_OK else { return }
        throw StorageError(code: code, call: call(), connection: connection, sql: sql)
    }

    /// Builds the error for a failed SQLite call (see `check`).
    init(code: Int32, call: String, connection: OpaquePointer?, sql: String? = nil) {
        var extended = code
        var message: String
        if let connection, sqlite3_errcode(connection) & 0xFF == code & 0xFF {
            extended = sqlite3_extended_errcode(connection)
            message = String(cString: sqlite3_errmsg(connection))
        } else {
            message = String(cString: sqlite3_errstr(code))
        }
        if message.isEmpty { message = String(cString: sqlite3_errstr(code)) }
        self.init(code: extended, call: call, message: message, sql: sql)
    }

    /// The error for using a `Database` after `close()` began.
    static func closed(_ call: String) -> StorageError {
        StorageError(code: SQLITE_MISUSE, call: call, message: "the database is closed")
    }

    /// The error for a failed file-system call, carrying `errno`'s text (code `SQLITE_IOERR`).
    static func fileSystem(_ call: String, path: String, errno number: Int32) -> StorageError {
        StorageError(code: SQLITE_IOERR, call: call, message: "\(path): \(String(cString: strerror(number)))")
    }
}

/// SQLite's extended constraint codes. sqlite3.h defines them as expressions
/// (`SQLITE_CONSTRAINT | (8<<8)`), which Swift does not import, so they are spelled out here.
private enum ExtendedCode {
    static let constraintCheck = SQLITE_CONSTRAINT | (1 << 8)
    static let constraintForeignKey = SQLITE_CONSTRAINT | (3 << 8)
    static let constraintNotNull = SQLITE_CONSTRAINT | (5 << 8)
    static let constraintPrimaryKey = SQLITE_CONSTRAINT | (6 << 8)
    static let constraintUnique = SQLITE_CONSTRAINT | (8 << 8)
    static let constraintRowID = SQLITE_CONSTRAINT | (10 << 8)
}
