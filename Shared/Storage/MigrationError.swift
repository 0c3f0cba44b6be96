/// Why migrating a database at open time failed.
public enum MigrationError: Error, Sendable, CustomStringConvertible {
    /// The migration list is invalid: a version below 1 or the same version twice.
    case invalidMigrationList(reason: String)
    /// The database records a schema version this code does not know (a newer release of the
    /// service migrated it). The database is left untouched; run the newer code or restore a backup.
    case databaseNewerThanCode(databaseVersion: Int, latestKnownVersion: Int)
    /// A migration's SQL failed; its transaction was rolled back, so the database stays at the
    /// previous version. `underlying` is the `StorageError` from SQLite.
    case migrationFailed(version: Int, name: String, underlying: any Error)

    /// A readable one-line description.
    public var description: String {
        switch self {
        case .invalidMigrationList(let reason):
            "invalid migration list: \(reason)"
        case .databaseNewerThanCode(let databaseVersion, let latestKnownVersion):
            "the database is at schema version \(databaseVersion) but this code only knows versions up to "
                + "\(latestKnownVersion); refusing to open it"
        case .migrationFailed(let version, let name, let underlying):
            "migration \(version) (\(name)) failed and was rolled back: \(underlying)"
        }
    }
}
