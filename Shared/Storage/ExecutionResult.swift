/// What a data-changing statement did.
public struct ExecutionResult: Sendable, Equatable {
    /// Rows inserted, updated or deleted by the statement (`sqlite3_changes64`); 0 for DDL and reads.
    public let changes: Int
    /// The connection's most recent successful INSERT rowid (`sqlite3_last_insert_rowid`); only
    /// meaningful after an INSERT into a rowid table.
    public let lastInsertRowID: Int64

    /// Creates a result.
    public init(changes: Int, lastInsertRowID: Int64) {
        self.changes = changes
        self.lastInsertRowID = lastInsertRowID
    }
}
