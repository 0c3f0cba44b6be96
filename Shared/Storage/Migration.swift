/// One step of a database's schema history: a version number, a name and the SQL script that
/// moves the schema from the previous version to this one.
///
/// A service keeps its migrations in an append-only list with increasing versions starting at 1.
/// Never edit or renumber a migration that has shipped: add a new one. Each migration runs in its
/// own transaction, so its SQL must not contain BEGIN/COMMIT, and PRAGMAs that are no-ops inside
/// a transaction (such as `foreign_keys`) have no effect there.
public struct Migration: Sendable, Equatable {
    /// The schema version this migration produces (1, 2, 3, ...).
    public let version: Int
    /// A short human-readable name, recorded in `schema_migrations`.
    public let name: String
    /// The SQL script (one or more statements).
    public let sql: String

    /// Creates a migration.
    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}
