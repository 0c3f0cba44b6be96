import Testing

@testable import Storage

@Suite("Migrations")
struct MigrationTests {
    static let base = [
        Migration(version: 1, name: "create users", sql: "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"),
        Migration(
            version: 2, name: "add email",
            sql: """
                ALTER TABLE users ADD COLUMN email TEXT;
                CREATE UNIQUE INDEX users_email ON users (email);
                """),
    ]

    @Test("migrations apply in version order and are recorded")
    func applyInOrder() throws {
        let directory = try TemporaryDirectory()
        let connection = try DatabaseConnection(path: directory.file("m.sqlite"))
        #expect(try connection.schemaVersion() == 0)
        let applied = try connection.migrate(Self.base.reversed())  // order of the list does not matter
        #expect(applied.map(\.version) == [1, 2])
        #expect(try connection.schemaVersion() == 2)
        let records = try connection.query("SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
        #expect(try records.map { try $0.int("version") } == [1, 2])
        #expect(try records.map { try $0.string("name") } == ["create users", "add email"])
        #expect(try records.allSatisfy { try $0.string("applied_at").hasSuffix("Z") })
        try connection.execute("INSERT INTO users (name, email) VALUES ('ada', 'ada@example.com')")
    }

    @Test("already-applied migrations are skipped on reopen; new ones are applied")
    func skipApplied() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("m.sqlite")
        try DatabaseConnection(path: path).migrate(Self.base)

        let reopened = try DatabaseConnection(path: path)
        #expect(try reopened.migrate(Self.base).isEmpty)
        let third = Migration(version: 3, name: "add created", sql: "ALTER TABLE users ADD COLUMN created TEXT;")
        #expect(try reopened.migrate(Self.base + [third]).map(\.version) == [3])
        #expect(try reopened.schemaVersion() == 3)
        #expect(try reopened.query("SELECT * FROM schema_migrations").count == 3)
    }

    @Test("a failing migration rolls back and leaves the previous version")
    func failingMigrationRollsBack() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("m.sqlite")
        let broken = Migration(
            version: 3, name: "broken",
            sql: """
                CREATE TABLE audit (id INTEGER PRIMARY KEY);
                INSERT INTO no_such_table VALUES (1);
                """)
        let connection = try DatabaseConnection(path: path)
        let error = try #require(throws: MigrationError.self) { try connection.migrate(Self.base + [broken]) }
        guard case .migrationFailed(let version, let name, let underlying) = error else {
            Issue.record("unexpected error \(error)")
            return
        }
        #expect(version == 3)
        #expect(name == "broken")
        #expect((underlying as? StorageError)?.message.contains("no such table") == true)
        #expect(!connection.isInTransaction)

        let fresh = try DatabaseConnection(path: path)
        #expect(try fresh.schemaVersion() == 2)
        #expect(try fresh.queryOne("SELECT name FROM sqlite_schema WHERE name = 'audit'") == nil)
    }

    @Test("a database newer than the code is refused")
    func newerDatabaseRefused() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("m.sqlite")
        let third = Migration(version: 3, name: "future", sql: "CREATE TABLE future (x);")
        try DatabaseConnection(path: path).migrate(Self.base + [third])

        let error = try #require(throws: MigrationError.self) { try DatabaseConnection(path: path).migrate(Self.base) }
        guard case .databaseNewerThanCode(let databaseVersion, let latestKnown) = error else {
            Issue.record("unexpected error \(error)")
            return
        }
        #expect(databaseVersion == 3)
        #expect(latestKnown == 2)
        #expect(error.description.contains("refusing"))

        // Database.open refuses it the same way.
        await #expect(throws: MigrationError.self) { try await Database.open(path: path, migrations: Self.base) }
    }

    @Test("duplicate or non-positive versions are rejected")
    func invalidLists() throws {
        let directory = try TemporaryDirectory()
        let connection = try DatabaseConnection(path: directory.file("m.sqlite"))
        #expect(throws: MigrationError.self) {
            try connection.migrate([Self.base[0], Migration(version: 1, name: "again", sql: "SELECT 1;")])
        }
        #expect(throws: MigrationError.self) {
            try connection.migrate([Migration(version: 0, name: "zero", sql: "SELECT 1;")])
        }
        #expect(try connection.schemaVersion() == 0)
    }
}
