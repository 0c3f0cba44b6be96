import Foundation
import SecurityService
import Storage

/// A fresh directory with an audit log's database in it, for one test: deleted when released, so
/// tests can run in parallel.
final class AuditFixture {
    /// The temporary directory.
    let directory: String
    /// The database file inside it.
    var databasePath: String { directory + "/security.sqlite" }

    init() throws {
        directory =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("audit-tests-\(UUID().uuidString)", isDirectory: true).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// Opens the log over the fixture's database.
    func openLog(now: @escaping @Sendable () -> Int64 = AuditLog.currentUnixMs) async throws -> AuditLog {
        AuditLog(database: try await Database.open(path: databasePath, migrations: AuditSchema.migrations), now: now)
    }

    /// Runs `sql` on a separate connection, as someone editing the file behind the service's back.
    func tamper(_ sql: String) throws {
        let connection = try DatabaseConnection(path: databasePath)
        _ = try connection.execute(sql)
        try connection.close()
    }

    /// Counts the rows of `audit_records`.
    func recordCount() throws -> Int {
        let connection = try DatabaseConnection(path: databasePath)
        defer { try? connection.close() }
        return try connection.queryOne("SELECT count(*) AS n FROM audit_records")?.int("n") ?? -1
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }
}

extension AuditRecord {
    /// The `index`-th record of a test: actors, methods, targets and outcomes cycle so filters
    /// have something to select.
    static func sample(_ index: Int) -> AuditRecord {
        AuditRecord(
            actor: "user-\(index % 3)", actorKind: "user", method: "backoffice.users.Users/M\(index % 4)",
            target: "t-\(index % 5)", outcome: index % 2 == 0 ? "OK" : "PERMISSION_DENIED",
            clientAddress: "127.0.0.1:5\(index)", requestID: "req-\(index)", occurredAtUnixMs: 1_000 + Int64(index) * 10,
            details: ["index": "\(index)", "note": "a/b \"quoted\" é"])
    }
}
