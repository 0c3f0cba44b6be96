import Foundation
import Storage
import Testing
import StatsService

/// The schema applies to a fresh database and again to one already migrated.
@Suite(.timeLimit(.minutes(1)))
struct StatsSchemaTests {
    @Test func migrationsApplyOnceAndAgainWithoutChange() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stats-schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("stats.sqlite").path
        _ = try await Database.open(path: path, migrations: StatsSchema.migrations)
        let reopened = try await Database.open(path: path, migrations: StatsSchema.migrations)
        #expect(try await reopened.integrityCheck().isEmpty)
    }
}
