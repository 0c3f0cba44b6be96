extension DatabaseConnection {
    /// Applies the migrations the database has not seen yet, in version order, each in its own
    /// IMMEDIATE transaction together with its row in `schema_migrations(version, name, applied_at)`.
    ///
    /// Migrations at or below the recorded version are skipped. A database whose recorded
    /// version is above every known migration is refused with
    /// `MigrationError.databaseNewerThanCode`; a failing migration is rolled back and reported as
    /// `MigrationError.migrationFailed`, leaving the database at the previous version (migrations
    /// before it in the same call stay applied). Returns the migrations that were applied now.
    @discardableResult
    public func migrate(_ migrations: [Migration]) throws -> [Migration] {
        let ordered = migrations.sorted { $0.version < $1.version }
        if let invalid = ordered.first(where: { $0.version < 1 }) {
            throw MigrationError.invalidMigrationList(reason: "version \(invalid.version) of '\(invalid.name)' is below 1")
        }
        for (previous, next) in zip(ordered, ordered.dropFirst()) where previous.version == next.version {
            throw MigrationError.invalidMigrationList(
                reason: "version \(next.version) is used by both '\(previous.name)' and '\(next.name)'")
        }
        let latestKnown = ordered.last?.version ?? 0

        let current = try transaction(.immediate) { connection -> Int in
            try connection.execute(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    applied_at TEXT NOT NULL
                )
                """)
            return try connection.recordedSchemaVersion()
        }
        if current > latestKnown {
            throw MigrationError.databaseNewerThanCode(databaseVersion: current, latestKnownVersion: latestKnown)
        }

        var applied: [Migration] = []
        for migration in ordered where migration.version > current {
            do {
                try transaction(.immediate) { connection in
                    try connection.executeScript(migration.sql)
                    try connection.execute(
                        """
                        INSERT INTO schema_migrations (version, name, applied_at)
                        VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
                        """,
                        [.integer(Int64(migration.version)), .text(migration.name)])
                }
            } catch {
                throw MigrationError.migrationFailed(version: migration.version, name: migration.name, underlying: error)
            }
            applied.append(migration)
        }
        return applied
    }

    /// The highest version recorded in `schema_migrations`, or 0 when no migration ever ran.
    public func schemaVersion() throws -> Int {
        let exists =
            try queryOne(
                "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'") != nil
        return exists ? try recordedSchemaVersion() : 0
    }

    private func recordedSchemaVersion() throws -> Int {
        try queryOne("SELECT coalesce(max(version), 0) AS version FROM schema_migrations")?.int("version") ?? 0
    }
}
