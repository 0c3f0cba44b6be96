import Storage

/// The security service's database schema: every migration, oldest first.
///
/// The storage layer applies the migrations whose version is above the highest one a database
/// has recorded. So a new migration goes at the end with the next version number, and a shipped
/// migration is never renumbered or edited.
public enum SecuritySchema {
    /// The migrations, in version order.
    public static let migrations: [Migration] = AuditSchema.migrations
}
