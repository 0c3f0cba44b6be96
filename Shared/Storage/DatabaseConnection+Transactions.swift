import CSQLite

extension DatabaseConnection {
    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws and
    /// rethrows the body's error.
    ///
    /// At the top level this is `BEGIN <kind>` ... `COMMIT`. Called while a transaction is already
    /// open (nested use), it becomes a `SAVEPOINT`: the inner body's changes are undone if it
    /// throws, while the outer transaction continues; `kind` is then ignored. If COMMIT itself
    /// fails, the transaction is rolled back and the commit error is thrown.
    @discardableResult
    public func transaction<T>(_ kind: TransactionKind = .deferred, _ body: (DatabaseConnection) throws -> T) throws -> T {
        if isInTransaction {
            return try savepoint(body)
        }
        try execute(kind.beginStatement)
        let result: T
        do {
            result = try body(self)
        } catch {
            rollbackQuietly()
            throw error
        }
        do {
            try execute("COMMIT")
        } catch {
            rollbackQuietly()
            throw error
        }
        return result
    }

    private func savepoint<T>(_ body: (DatabaseConnection) throws -> T) throws -> T {
        savepointDepth += 1
        defer { savepointDepth -= 1 }
        let name = "storage_savepoint_\(savepointDepth)"
        try execute("SAVEPOINT \(name)")
        let result: T
        do {
            result = try body(self)
        } catch {
            // SQLite may already have rolled the whole transaction back (for example after
            // SQLITE_FULL); then there is no savepoint left to roll back to.
            if isInTransaction {
                _ = try? execute("ROLLBACK TO \(name)")
                _ = try? execute("RELEASE \(name)")
            }
            throw error
        }
        try execute("RELEASE \(name)")
        return result
    }

    /// Rolls back the open transaction, if any. A failure here must not hide the error that
    /// caused the rollback, so it is ignored (the connection then still reports the transaction).
    private func rollbackQuietly() {
        if isInTransaction { _ = try? execute("ROLLBACK") }
    }
}
