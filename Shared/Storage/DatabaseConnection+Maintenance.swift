import CSQLite

extension DatabaseConnection {
    /// Runs `PRAGMA integrity_check` and returns the problems it reports.
    ///
    /// An empty array means the database is healthy (SQLite's single "ok" row is not returned).
    /// At most `maxProblems` messages are collected.
    public func integrityCheck(maxProblems: Int = 100) throws -> [String] {
        let rows = try query("PRAGMA integrity_check(\(max(1, maxProblems)))")
        let messages = try rows.map { try $0.string(0) }
        return messages == ["ok"] ? [] : messages
    }

    /// Copies this live database to `path` with SQLite's online backup API, `pagesPerStep` pages
    /// at a time, into a temporary file that is verified with `integrity_check` (when `verify`)
    /// and then renamed into place, so `path` only ever holds a complete copy.
    ///
    /// This blocks the calling thread until the copy is done; from async code use
    /// `Database.backup(to:)`, which lets writes run between steps.
    public func backup(to path: String, pagesPerStep: Int32 = 128, verify: Bool = true) throws {
        let temporaryPath = BackupOperation.temporaryPath(for: path, purpose: "backup")
        let operation = try BackupOperation(source: self, temporaryPath: temporaryPath)
        do {
            while true {
                switch try operation.step(pages: pagesPerStep) {
                case .finished: try operation.finish()
                case .inProgress: continue
                case .busy:
                    sqlite3_sleep(5)
                    continue
                }
                break
            }
        } catch {
            operation.abandon()
            throw error
        }
        try BackupOperation.install(temporaryPath: temporaryPath, at: path, verify: verify)
    }
}
