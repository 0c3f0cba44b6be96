import Foundation
import Storage
import Testing
import UsersService

/// The schema applies to a fresh database and again to one already migrated.
@Suite(.timeLimit(.minutes(1)))
struct UsersSchemaTests {
    @Test func migrationsApplyOnceAndAgainWithoutChange() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("users-schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("users.sqlite").path
        _ = try await Database.open(path: path, migrations: UsersSchema.migrations)
        let reopened = try await Database.open(path: path, migrations: UsersSchema.migrations)
        #expect(try await reopened.integrityCheck().isEmpty)
    }
}
