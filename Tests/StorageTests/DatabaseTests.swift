import Dispatch
import Foundation
import Testing

@testable import Storage

@Suite("Database (async façade)")
struct DatabaseTests {
    static let migrations = [
        Migration(
            version: 1, name: "counter",
            sql: """
                CREATE TABLE counter (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL);
                INSERT INTO counter (id, value) VALUES (1, 0);
                CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
                """)
    ]

    @Test("200 concurrent increments end at exactly 200, with reads in between")
    func concurrentWrites() async throws {
        let directory = try TemporaryDirectory()
        let database = try await Database.open(path: directory.file("db.sqlite"), migrations: Self.migrations)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<200 {
                group.addTask {
                    try await database.write { db in
                        let current = try db.queryOne("SELECT value FROM counter WHERE id = 1")!.int64("value")
                        try db.execute("UPDATE counter SET value = ? WHERE id = 1", [.integer(current + 1)])
                    }
                }
                if index % 4 == 0 {
                    group.addTask {
                        let value = try await database.read { db in
                            try db.queryOne("SELECT value FROM counter")!.int64(0)
                        }
                        #expect((0...200).contains(value))
                    }
                }
            }
            try await group.waitForAll()
        }
        let final = try await database.read { try $0.queryOne("SELECT value FROM counter")!.int64(0) }
        #expect(final == 200)
        #expect(try await database.schemaVersion() == 1)
        #expect(try await database.integrityCheck() == [])
        await database.close()
    }

    @Test("bodies run on the database's own dispatch queues, not on the caller's")
    func bodiesRunOnOwnQueues() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("db.sqlite")
        let database = try await Database.open(path: path, migrations: Self.migrations)
        let writeLabel = try await database.write { _ in DispatchQueue.getSpecific(key: Database.queueLabelKey) }
        let readLabel = try await database.read { _ in DispatchQueue.getSpecific(key: Database.queueLabelKey) }
        #expect(DispatchQueue.getSpecific(key: Database.queueLabelKey) == nil)  // the test's own thread
        #expect(writeLabel == "storage.writer:\(path)")
        #expect(readLabel == "storage.readers:\(path)")
        await database.close()
    }

    @Test("a throwing write body rolls back; errors reach the caller")
    func writeRollsBack() async throws {
        let directory = try TemporaryDirectory()
        let database = try await Database.open(path: directory.file("db.sqlite"), migrations: Self.migrations)
        try await database.write { try $0.execute("INSERT INTO items (name) VALUES ('first')") }
        let error = await #expect(throws: StorageError.self) {
            try await database.write { db in
                try db.execute("INSERT INTO items (name) VALUES ('second')")
                try db.execute("INSERT INTO items (name) VALUES ('first')")
            }
        }
        #expect(error?.isUniqueConstraintViolation == true)
        let names = try await database.read { db in try db.query("SELECT name FROM items").map { try $0.string(0) } }
        #expect(names == ["first"])
        await database.close()
    }

    @Test("reads run on query-only connections")
    func readsAreReadOnly() async throws {
        let directory = try TemporaryDirectory()
        let database = try await Database.open(path: directory.file("db.sqlite"), migrations: Self.migrations)
        let error = await #expect(throws: StorageError.self) {
            try await database.read { try $0.execute("INSERT INTO items (name) VALUES ('sneaky')") }
        }
        #expect(error?.isReadOnly == true)
        await database.close()
    }

    @Test("a database without readers reads on the writer")
    func noReaders() async throws {
        let directory = try TemporaryDirectory()
        let database = try await Database.open(
            path: directory.file("db.sqlite"), configuration: DatabaseConfiguration(readerCount: 0),
            migrations: Self.migrations)
        try await database.write { try $0.execute("INSERT INTO items (name) VALUES ('x')") }
        #expect(try await database.read { try $0.queryOne("SELECT count(*) FROM items")!.int(0) } == 1)
        await database.close()
    }

    @Test("close waits for work in flight, then refuses new work")
    func closeWaits() async throws {
        let directory = try TemporaryDirectory()
        let database = try await Database.open(path: directory.file("db.sqlite"), migrations: Self.migrations)
        let slowWrite = Task {
            try await database.write { db in
                usleep(200_000)
                return try db.execute("INSERT INTO items (name) VALUES ('slow')").changes
            }
        }
        let slowRead = Task {
            try await database.read { db in
                usleep(150_000)
                return try db.queryOne("SELECT count(*) FROM counter")!.int(0)
            }
        }
        try await Task.sleep(for: .milliseconds(50))  // let both start
        await database.close()
        #expect(try await slowWrite.value == 1)
        #expect(try await slowRead.value == 1)

        let error = await #expect(throws: StorageError.self) { try await database.read { _ in 0 } }
        #expect(error?.isMisuse == true)
        await #expect(throws: StorageError.self) { try await database.write { _ in 0 } }
        await database.close()  // idempotent

        let reopened = try DatabaseConnection(path: directory.file("db.sqlite"))
        #expect(try reopened.queryOne("SELECT name FROM items")?.string(0) == "slow")
    }
}
