import CSQLite

/// One online backup (`sqlite3_backup_init/step/finish`) from a live connection into a temporary
/// file, plus the checks and the rename that put a finished copy in place.
///
/// `@unchecked Sendable` because `Database` passes it between work items on its writer queue:
/// every call (init, step, finish, abandon) runs on the source connection's thread, one at a
/// time, as SQLite requires, and nothing else touches it meanwhile.
final class BackupOperation: @unchecked Sendable {
    /// How one step went.
    enum Progress {
        /// Every page has been copied; call `finish()`.
        case finished
        /// More pages remain; step again.
        case inProgress
        /// The source was locked (SQLITE_BUSY/LOCKED); wait a moment and step again.
        case busy
    }

    let temporaryPath: String
    private var destination: OpaquePointer?
    private var backup: OpaquePointer?

    /// Starts copying `source` into a fresh file at `temporaryPath`.
    init(source: DatabaseConnection, temporaryPath: String) throws {
        self.temporaryPath = temporaryPath
        let sourceHandle = try source.openHandle("sqlite3_backup_init")
        try FileOperations.removeIfPresent(temporaryPath)
        try FileOperations.removeCompanions(of: temporaryPath)

        let opened = try DatabaseConnection.openHandle(path: temporaryPath)
        guard let backup = sqlite3_backup_init(opened, "main", sourceHandle, "main") else {
            let error = StorageError(
                code: sqlite3_extended_errcode(opened), call: "sqlite3_backup_init", connection: opened)
            sqlite3_close_v2(opened)
            try? FileOperations.removeIfPresent(temporaryPath)
            throw error
        }
        self.destination = opened
        self.backup = backup
    }

    /// Safety net only: both drivers (`DatabaseConnection.backup` and `Database.backup`) always
    /// call `finish()` or `abandon()` on the source's thread before letting go of the operation.
    deinit {
        if backup != nil || destination != nil { abandon() }
    }

    /// Copies up to `pages` more pages (a negative count copies everything at once).
    func step(pages: Int32) throws -> Progress {
        guard let backup else {
            throw StorageError(code: SQLITE_MISUSE, call: "sqlite3_backup_step", message: "the backup has ended")
        }
        let code = sqlite3_backup_step(backup, pages)
        switch code {
        case SQLITE_DONE: return .finished
        case SQLITE_OK: return .inProgress
        case SQLITE_BUSY, SQLITE_LOCKED: return .busy
        default: throw StorageError(code: code, call: "sqlite3_backup_step", connection: destination)
        }
    }

    /// Pages still to copy after the last step, and the source's page count (for progress reports).
    var progress: (remaining: Int32, total: Int32) {
        guard let backup else { return (0, 0) }
        return (sqlite3_backup_remaining(backup), sqlite3_backup_pagecount(backup))
    }

    /// Ends the backup after `.finished`, closing the temporary file (which SQLite has synced).
    func finish() throws {
        guard let backup, let destination else { return }
        self.backup = nil
        self.destination = nil
        let code = sqlite3_backup_finish(backup)
        let error = code == SQLITE_OK ? nil : StorageError(code: code, call: "sqlite3_backup_finish", connection: destination)
        sqlite3_close_v2(destination)
        if let error {
            try? FileOperations.removeIfPresent(temporaryPath)
            throw error
        }
    }

    /// Stops an unfinished backup and deletes the temporary file; errors are ignored.
    func abandon() {
        if let backup { sqlite3_backup_finish(backup) }
        if let destination { sqlite3_close_v2(destination) }
        backup = nil
        destination = nil
        try? FileOperations.removeIfPresent(temporaryPath)
        try? FileOperations.removeCompanions(of: temporaryPath)
    }

    // MARK: - Putting a copy in place

    /// A temporary file name next to `path` (same directory, hence same file system for rename).
    static func temporaryPath(for path: String, purpose: String) -> String {
        var random: UInt64 = 0
        sqlite3_randomness(Int32(MemoryLayout<UInt64>.size), &random)
        return "\(path).\(purpose)-\(String(random, radix: 16))"
    }

    /// Opens the copy at `path`, runs `PRAGMA integrity_check` and throws a `StorageError`
    /// (`SQLITE_CORRUPT`) listing the problems when it is not healthy.
    static func verify(_ path: String) throws {
        let connection = try DatabaseConnection(path: path, configuration: ConnectionConfiguration(statementCacheCapacity: 0))
        defer { try? connection.close() }
        let problems = try connection.integrityCheck()
        if !problems.isEmpty {
            throw StorageError(
                code: SQLITE_CORRUPT, call: "PRAGMA integrity_check(\(path))",
                message: problems.prefix(10).joined(separator: "; "))
        }
    }

    /// Optionally verifies the finished copy at `temporaryPath`, then renames it over
    /// `destinationPath` after deleting the destination's stale `-wal`/`-shm` files (a WAL left
    /// from the old file must never be replayed into the new one), and syncs the directory.
    /// The temporary file is deleted when anything fails.
    static func install(temporaryPath: String, at destinationPath: String, verify shouldVerify: Bool) throws {
        do {
            if shouldVerify { try verify(temporaryPath) }
            try FileOperations.removeCompanions(of: temporaryPath)
            try FileOperations.removeCompanions(of: destinationPath)
            try FileOperations.rename(temporaryPath, to: destinationPath)
            try FileOperations.syncDirectory(containing: destinationPath)
        } catch {
            try? FileOperations.removeIfPresent(temporaryPath)
            try? FileOperations.removeCompanions(of: temporaryPath)
            throw error
        }
    }
}
