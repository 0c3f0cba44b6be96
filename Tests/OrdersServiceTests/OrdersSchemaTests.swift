import Foundation
import Storage
import Testing
import OrdersService

/// The schema applies to a fresh database and again to one already migrated.
@Suite(.timeLimit(.minutes(1)))
struct OrdersSchemaTests {
    @Test func migrationsApplyOnceAndAgainWithoutChange() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("orders-schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("orders.sqlite").path
        _ = try await Database.open(path: path, migrations: OrdersSchema.migrations)
        let reopened = try await Database.open(path: path, migrations: OrdersSchema.migrations)
        #expect(try await reopened.integrityCheck().isEmpty)
    }
}
