import Foundation
import Storage
import Testing
import ContentService

/// The schema applies to a fresh database and again to one already migrated.
@Suite(.timeLimit(.minutes(1)))
struct ContentSchemaTests {
    @Test func migrationsApplyOnceAndAgainWithoutChange() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("content-schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("content.sqlite").path
        _ = try await Database.open(path: path, migrations: ContentSchema.migrations)
        let reopened = try await Database.open(path: path, migrations: ContentSchema.migrations)
        #expect(try await reopened.integrityCheck().isEmpty)
    }
}
