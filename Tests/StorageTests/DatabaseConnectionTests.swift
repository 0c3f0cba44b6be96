import Foundation
import Testing

@testable import Storage

@Suite("DatabaseConnection")
struct DatabaseConnectionTests {
    @Test("opening sets WAL, foreign keys, busy timeout and synchronous")
    func openAppliesPragmas() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("pragmas.sqlite")
        let connection = try DatabaseConnection(path: path)
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(try connection.queryOne("PRAGMA journal_mode")?.string(0) == "wal")
        #expect(try connection.queryOne("PRAGMA foreign_keys")?.int64(0) == 1)
        #expect(try connection.queryOne("PRAGMA busy_timeout")?.int64(0) == 5000)
        #expect(try connection.queryOne("PRAGMA synchronous")?.int64(0) == Int64(SynchronousMode.normal.rawValue))

        let custom = try DatabaseConnection(
            path: path, configuration: ConnectionConfiguration(busyTimeoutMilliseconds: 1234, synchronous: .full))
        #expect(try custom.queryOne("PRAGMA busy_timeout")?.int64(0) == 1234)
        #expect(try custom.queryOne("PRAGMA synchronous")?.int64(0) == 2)
        #expect(try custom.queryOne("PRAGMA query_only")?.int64(0) == 0)
    }

    @Test("every SQLValue type round-trips, including NULL, empty blob, unicode and Int64 extremes")
    func valuesRoundTrip() throws {
        let directory = try TemporaryDirectory()
        let connection = try DatabaseConnection(path: directory.file("values.sqlite"))
        // A column without a declared type has no affinity, so values are stored as bound.
        try connection.execute("CREATE TABLE cells (id INTEGER PRIMARY KEY, value)")
        let values: [SQLValue] = [
            .null, .integer(0), .integer(Int64.min), .integer(Int64.max), .integer(-1),
            .real(3.141592653589793), .real(-0.5), .real(Double.greatestFiniteMagnitude), .real(Double.infinity),
            .text(""), .text("plain"), .text("héllo wörld — 日本語 🌍👩‍👩‍👧"), .text("nul\u{0}inside"),
            .blob([]), .blob([0, 1, 2, 254, 255]), .blob(Array(repeating: 0xAB, count: 100_000)),
        ]
        for value in values {
            try connection.execute("INSERT INTO cells (value) VALUES (?)", [value])
        }
        let rows = try connection.query("SELECT value, typeof(value) AS kind FROM cells ORDER BY id")
        #expect(rows.map { $0.values[0] } == values)
        #expect(try rows[0].string("kind") == "null")
        #expect(try rows[13].string("kind") == "blob")  // empty blob is a blob, not NULL
        #expect(try rows[9].string("kind") == "text")  // empty text is text, not NULL

        // Typed getters by name and by index.
        #expect(try rows[2].int64("value") == Int64.min)
        #expect(try rows[3].int64(0) == Int64.max)
        #expect(try rows[5].double("value") == 3.141592653589793)
        #expect(try rows[11].string("value") == "héllo wörld — 日本語 🌍👩‍👩‍👧")
        #expect(try rows[12].string(0) == "nul\u{0}inside")
        #expect(try rows[13].blob("value") == [])
        #expect(try rows[14].blob(0) == [0, 1, 2, 254, 255])
        #expect(try rows[0].get("value", as: String?.self) == nil)
        #expect(try rows[10].get("value", as: String?.self) == "plain")
        #expect(try rows[0].isNull("value"))
        #expect(try rows[1].double("value") == 0)  // INTEGER widens to Double
        #expect(try rows[4].bool(0) == true)
        #expect(try rows[1].get("VALUE", as: Int.self) == 0)  // names match case-insensitively
    }

    @Test("wrong-type getters and missing columns throw clear errors")
    func rowAccessErrors() throws {
        let directory = try TemporaryDirectory()
        let connection = try DatabaseConnection(path: directory.file("errors.sqlite"))
        let row = try #require(try connection.queryOne("SELECT 42 AS answer, 'text' AS label, NULL AS absent"))

        #expect(throws: RowError.typeMismatch(column: "answer", expected: "String", actual: "INTEGER")) {
            try row.string("answer")
        }
        #expect(throws: RowError.typeMismatch(column: "label", expected: "Int64", actual: "TEXT")) {
            try row.int64("label")
        }
        #expect(throws: RowError.typeMismatch(column: "absent", expected: "Int64", actual: "NULL")) {
            try row.int64("absent")
        }
        #expect(throws: RowError.typeMismatch(column: "label", expected: "Array<UInt8>", actual: "TEXT")) {
            try row.blob(1)
        }
        #expect(throws: RowError.columnNotFound(name: "missing", available: ["answer", "label", "absent"])) {
            try row.int64("missing")
        }
        #expect(throws: RowError.columnIndexOutOfRange(index: 3, columnCount: 3)) {
            try row.int64(3)
        }
        let error = RowError.typeMismatch(column: "answer", expected: "String", actual: "INTEGER")
        #expect(error.description.contains("answer"))
    }

    @Test("execute reports changes and last rowid; named and positional bindings work")
    func executeAndBindings() throws {
        let directory = try TemporaryDirectory()
        let connection = try DatabaseConnection(path: directory.file("exec.sqlite"))
        let created = try connection.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER)")
        #expect(created.changes == 0)

        let first = try connection.execute("INSERT INTO people (name, age) VALUES (?, ?)", ["ada", 36])
        #expect(first == ExecutionResult(changes: 1, lastInsertRowID: 1))
        let second = try connection.execute(
            "INSERT INTO people (name, age) VALUES (:name, @age)", named: ["name": "grace", "@age": 85])
        #expect(second.lastInsertRowID == 2)
        try connection.execute("INSERT INTO people (name, age) VALUES ($name, $age)", named: ["name": "linus", "age": nil])

        let updated = try connection.execute("UPDATE people SET age = coalesce(age, 0) + 1")
        #expect(updated.changes == 3)
        // A query after the UPDATE reports no changes of its own.
        #expect(try connection.execute("SELECT count(*) FROM people").changes == 0)

        let grace = try #require(try connection.queryOne("SELECT * FROM people WHERE name = :name", named: ["name": "grace"]))
        #expect(try grace.int("age") == 86)
        #expect(grace.columnNames == ["id", "name", "age"])
        #expect(try connection.queryOne("SELECT * FROM people WHERE name = ?", ["nobody"]) == nil)
        #expect(try connection.query("SELECT name FROM people ORDER BY id").map { try $0.string(0) } == ["ada", "grace", "linus"])

        // Binding mistakes are reported, not silently ignored.
        #expect(throws: StorageError.self) { try connection.execute("INSERT INTO people (name) VALUES (?)", []) }
        #expect(throws: StorageError.self) { try connection.execute("INSERT INTO people (name) VALUES (?)", ["a", "b"]) }
        #expect(throws: StorageError.self) {
            try connection.execute("INSERT INTO people (name) VALUES (:name)", named: ["nme": "typo"])
        }
        #expect(throws: StorageError.self) {
            try connection.execute("INSERT INTO people (name) VALUES (:name)", named: ["name": "x", "extra": 1])
        }
        // Statements are cached by SQL text and reused.
        #expect(connection.cachedStatementCount > 0)
    }

    @Test("SQL errors carry code, call, message and SQL; several statements need executeScript")
    func sqlErrors() throws {
        let directory = try TemporaryDirectory()
        let connection = try DatabaseConnection(path: directory.file("sqlerrors.sqlite"))
        let error = try #require(throws: StorageError.self) { try connection.query("SELECT * FROM missing_table") }
        #expect(error.primaryCode == 1)  // SQLITE_ERROR
        #expect(error.message.contains("no such table"))
        #expect(error.call == "sqlite3_prepare_v3")
        #expect(error.sql == "SELECT * FROM missing_table")

        let multiple = try #require(throws: StorageError.self) {
            try connection.execute("CREATE TABLE a (x); CREATE TABLE b (y)")
        }
        #expect(multiple.message.contains("executeScript"))
        // A trailing comment or semicolon is still one statement.
        try connection.execute("CREATE TABLE c (z); -- trailing comment")

        try connection.executeScript(
            """
            -- a migration-style script
            CREATE TABLE a (x INTEGER);
            INSERT INTO a VALUES (1);
            INSERT INTO a VALUES (2);
            """)
        #expect(try connection.queryOne("SELECT sum(x) AS total FROM a")?.int("total") == 3)
        let scriptError = try #require(throws: StorageError.self) {
            try connection.executeScript("INSERT INTO a VALUES (3); INSERT INTO nope VALUES (4);")
        }
        #expect(scriptError.message.contains("no such table"))
    }

    @Test("integrity check of a healthy database is empty")
    func integrityCheck() throws {
        let directory = try TemporaryDirectory()
        let connection = try DatabaseConnection(path: directory.file("healthy.sqlite"))
        try connection.execute("CREATE TABLE t (x)")
        #expect(try connection.integrityCheck() == [])
    }

    @Test("a closed connection refuses work")
    func closedConnection() throws {
        let directory = try TemporaryDirectory()
        let connection = try DatabaseConnection(path: directory.file("closed.sqlite"))
        try connection.close()
        try connection.close()
        #expect(connection.isClosed)
        let error = try #require(throws: StorageError.self) { try connection.query("SELECT 1") }
        #expect(error.isMisuse)
    }

    @Test("a file that is not a database is reported")
    func notADatabase() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("garbage.sqlite")
        try Data(repeating: 0x42, count: 8192).write(to: URL(fileURLWithPath: path))
        let error = try #require(throws: StorageError.self) { try DatabaseConnection(path: path) }
        #expect(error.isCorruption)
    }
}
