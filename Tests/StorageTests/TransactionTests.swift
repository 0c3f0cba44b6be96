import Testing

@testable import Storage

/// An error a test body throws on purpose to trigger a rollback.
private struct Abort: Error, Equatable {}

@Suite("Transactions and constraint errors")
struct TransactionTests {
    private func makeConnection(_ directory: TemporaryDirectory) throws -> DatabaseConnection {
        let connection = try DatabaseConnection(path: directory.file("tx.sqlite"))
        try connection.executeScript(
            """
            CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);
            CREATE TABLE sessions (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts(id));
            """)
        return connection
    }

    @Test("a transaction commits when the body returns")
    func commits() throws {
        let directory = try TemporaryDirectory()
        let connection = try makeConnection(directory)
        let id = try connection.transaction(.immediate) { db in
            try db.execute("INSERT INTO accounts (email) VALUES (?)", ["a@example.com"]).lastInsertRowID
        }
        #expect(!connection.isInTransaction)
        let other = try DatabaseConnection(path: directory.file("tx.sqlite"))
        #expect(try other.queryOne("SELECT email FROM accounts WHERE id = ?", [.integer(id)])?.string(0) == "a@example.com")
    }

    @Test("a transaction rolls back and rethrows when the body throws")
    func rollsBack() throws {
        let directory = try TemporaryDirectory()
        let connection = try makeConnection(directory)
        #expect(throws: Abort()) {
            try connection.transaction(.immediate) { db in
                try db.execute("INSERT INTO accounts (email) VALUES (?)", ["gone@example.com"])
                throw Abort()
            }
        }
        #expect(!connection.isInTransaction)
        let fresh = try DatabaseConnection(path: directory.file("tx.sqlite"))
        #expect(try fresh.queryOne("SELECT count(*) FROM accounts")?.int(0) == 0)
    }

    @Test("a nested transaction is a savepoint: its rollback keeps the outer work")
    func nestedSavepoint() throws {
        let directory = try TemporaryDirectory()
        let connection = try makeConnection(directory)
        try connection.transaction(.immediate) { db in
            try db.execute("INSERT INTO accounts (email) VALUES ('outer@example.com')")
            #expect(throws: Abort()) {
                try db.transaction { inner in
                    try inner.execute("INSERT INTO accounts (email) VALUES ('inner@example.com')")
                    throw Abort()
                }
            }
            try db.transaction { inner in
                try inner.execute("INSERT INTO accounts (email) VALUES ('kept@example.com')")
                try inner.transaction { deepest in
                    try deepest.execute("INSERT INTO accounts (email) VALUES ('deepest@example.com')")
                }
            }
            #expect(db.isInTransaction)
        }
        let emails = try connection.query("SELECT email FROM accounts ORDER BY id").map { try $0.string(0) }
        #expect(emails == ["outer@example.com", "kept@example.com", "deepest@example.com"])
    }

    @Test("unique, foreign-key and not-null violations are recognised")
    func constraintErrors() throws {
        let directory = try TemporaryDirectory()
        let connection = try makeConnection(directory)
        try connection.execute("INSERT INTO accounts (email) VALUES ('dup@example.com')")

        let duplicate = try #require(throws: StorageError.self) {
            try connection.execute("INSERT INTO accounts (email) VALUES ('dup@example.com')")
        }
        #expect(duplicate.isUniqueConstraintViolation)
        #expect(duplicate.isConstraintViolation)
        #expect(!duplicate.isForeignKeyViolation)
        #expect(!duplicate.isBusy)
        #expect(duplicate.primaryCode == 19)  // SQLITE_CONSTRAINT
        #expect(duplicate.extendedCode == 2067)  // SQLITE_CONSTRAINT_UNIQUE
        #expect(duplicate.message.contains("UNIQUE"))
        #expect(duplicate.call == "sqlite3_step")

        let primaryKey = try #require(throws: StorageError.self) {
            try connection.execute("INSERT INTO accounts (id, email) VALUES (1, 'other@example.com')")
        }
        #expect(primaryKey.isUniqueConstraintViolation)

        let orphan = try #require(throws: StorageError.self) {
            try connection.execute("INSERT INTO sessions (account_id) VALUES (999)")
        }
        #expect(orphan.isForeignKeyViolation)
        #expect(!orphan.isUniqueConstraintViolation)

        let missing = try #require(throws: StorageError.self) {
            try connection.execute("INSERT INTO accounts (email) VALUES (NULL)")
        }
        #expect(missing.isNotNullViolation)

        // A constraint error inside a transaction rolls the whole transaction back.
        #expect(throws: StorageError.self) {
            try connection.transaction(.immediate) { db in
                try db.execute("INSERT INTO accounts (email) VALUES ('new@example.com')")
                try db.execute("INSERT INTO accounts (email) VALUES ('dup@example.com')")
            }
        }
        #expect(try connection.queryOne("SELECT count(*) FROM accounts")?.int(0) == 1)
    }
}
