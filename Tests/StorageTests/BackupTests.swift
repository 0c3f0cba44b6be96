import Foundation
import Synchronization
import Testing

@testable import Storage

@Suite("Backup and restore")
struct BackupTests {
    static let migrations = [
        Migration(
            version: 1, name: "events",
            sql: "CREATE TABLE events (id INTEGER PRIMARY KEY, payload BLOB NOT NULL, checksum INTEGER NOT NULL);")
    ]

    /// A deterministic payload for row `id`, and its checksum, so copies can be verified row by row.
    static func payload(_ id: Int64) -> (SQLValue, SQLValue) {
        var bytes = [UInt8](repeating: UInt8(truncatingIfNeeded: id), count: 1024)
        bytes[0] = UInt8(truncatingIfNeeded: id >> 8)
        return (.blob(bytes), .integer(id &* 7919))
    }

    static func insertEvent(_ db: DatabaseConnection) throws {
        let next = try db.queryOne("SELECT coalesce(max(id), 0) + 1 FROM events")!.int64(0)
        let (blob, checksum) = payload(next)
        try db.execute("INSERT INTO events (id, payload, checksum) VALUES (?, ?, ?)", [.integer(next), blob, checksum])
    }

    /// The number of rows, after checking that the ids are 1...n and every payload matches.
    static func verifiedRowCount(_ connection: DatabaseConnection) throws -> Int {
        let rows = try connection.query("SELECT id, payload, checksum FROM events ORDER BY id")
        var mismatches: [Int64] = []
        for (offset, row) in rows.enumerated() {
            let id = try row.int64("id")
            let (blob, checksum) = payload(id)
            if id != Int64(offset + 1) || row.values[1] != blob || row.values[2] != checksum {
                mismatches.append(id)
            }
        }
        #expect(mismatches.isEmpty, "rows with unexpected ids or contents: \(mismatches.prefix(10))")
        return rows.count
    }

    @Test("backup while another task keeps writing gives a healthy copy with the committed rows; restore puts it back")
    func backupUnderLoadAndRestore() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("live.sqlite")
        let backupPath = directory.file("backups/live-backup.sqlite")
        try FileManager.default.createDirectory(atPath: directory.file("backups"), withIntermediateDirectories: true)
        let database = try await Database.open(
            path: path, configuration: DatabaseConfiguration(backupPagesPerStep: 16), migrations: Self.migrations)

        // About 2.5 MB of data, so the copy takes dozens of steps.
        try await database.write { db in
            for _ in 0..<2000 { try Self.insertEvent(db) }
        }

        let backupRunning = Atomic<Bool>(false)
        let writesDuringBackup = Atomic<Int>(0)
        let writer = Task {
            var count = 0
            while !Task.isCancelled {
                try await database.write { try Self.insertEvent($0) }
                count += 1
                if backupRunning.load(ordering: .relaxed) { writesDuringBackup.add(1, ordering: .relaxed) }
            }
            return count
        }
        try await Task.sleep(for: .milliseconds(20))
        let committedBefore = try await database.read { try $0.queryOne("SELECT count(*) FROM events")!.int(0) }
        backupRunning.store(true, ordering: .relaxed)
        try await database.backup(to: backupPath)
        backupRunning.store(false, ordering: .relaxed)
        writer.cancel()
        let extraWrites = try await writer.value
        #expect(extraWrites > 0)
        #expect(writesDuringBackup.load(ordering: .relaxed) > 0, "writes must proceed while the backup runs")

        #expect(FileManager.default.fileExists(atPath: backupPath))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.file("backups"))
        #expect(leftovers == ["live-backup.sqlite"], "no temporary files are left behind")

        let copy = try DatabaseConnection(path: backupPath)
        #expect(try copy.integrityCheck() == [])
        let backupCount = try Self.verifiedRowCount(copy)
        #expect(backupCount >= committedBefore)
        #expect(backupCount <= 2000 + extraWrites)
        try copy.close()

        // The live database moves on, then the service stops and the backup is restored.
        try await database.write { try Self.insertEvent($0) }
        let liveCount = try await database.read { try $0.queryOne("SELECT count(*) FROM events")!.int(0) }
        #expect(liveCount > backupCount)
        await database.close()

        try Database.restore(from: backupPath, to: path)
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        let restored = try await Database.open(path: path, migrations: Self.migrations)
        let restoredCount = try await restored.read { try Self.verifiedRowCount($0) }
        #expect(restoredCount == backupCount)
        #expect(try await restored.integrityCheck() == [])
        await restored.close()
    }

    @Test("a backup replaces an older backup at the same path")
    func backupOverwrites() async throws {
        let directory = try TemporaryDirectory()
        let backupPath = directory.file("copy.sqlite")
        let database = try await Database.open(path: directory.file("live.sqlite"), migrations: Self.migrations)
        try await database.write { try Self.insertEvent($0) }
        try await database.backup(to: backupPath)
        try await database.write { try Self.insertEvent($0) }
        try await database.backup(to: backupPath)
        await database.close()
        let copy = try DatabaseConnection(path: backupPath)
        #expect(try Self.verifiedRowCount(copy) == 2)
    }

    @Test("a connection can back itself up synchronously")
    func connectionBackup() throws {
        let directory = try TemporaryDirectory()
        let connection = try DatabaseConnection(path: directory.file("live.sqlite"))
        try connection.migrate(Self.migrations)
        for _ in 0..<50 { try Self.insertEvent(connection) }
        try connection.backup(to: directory.file("copy.sqlite"), pagesPerStep: 4)
        let copy = try DatabaseConnection(path: directory.file("copy.sqlite"))
        #expect(try copy.integrityCheck() == [])
        #expect(try Self.verifiedRowCount(copy) == 50)
        #expect(try copy.schemaVersion() == 1)
    }

    @Test("restoring a damaged backup fails and leaves the database untouched")
    func restoreRejectsGarbage() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("live.sqlite")
        do {
            let connection = try DatabaseConnection(path: path)
            try connection.migrate(Self.migrations)
            try Self.insertEvent(connection)
        }
        let garbage = directory.file("garbage.sqlite")
        try Data(repeating: 0x5A, count: 16384).write(to: URL(fileURLWithPath: garbage))
        #expect(throws: StorageError.self) { try Database.restore(from: garbage, to: path) }
        #expect(throws: StorageError.self) { try Database.restore(from: directory.file("missing.sqlite"), to: path) }

        let connection = try DatabaseConnection(path: path)
        #expect(try Self.verifiedRowCount(connection) == 1)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(!files.contains { $0.contains(".restore-") }, "no temporary files are left behind")
    }
}
