import Storage

/// The stats service's database schema: every migration, oldest first. A new migration goes at the
/// end with the next version number; a shipped one is never renumbered or edited.
public enum StatsSchema {
    /// The migrations, in version order.
    public static let migrations: [Migration] = []
}
