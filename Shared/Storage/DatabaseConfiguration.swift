/// Settings for a `Database`: its connections, the reader pool and backups.
public struct DatabaseConfiguration: Sendable, Equatable {
    /// Settings for every connection (busy timeout, synchronous, statement cache). `queryOnly` is
    /// ignored: the writer is read-write and readers are always query-only.
    public var connection: ConnectionConfiguration
    /// How many reader connections serve `read` concurrently (WAL lets readers run alongside the
    /// writer). Default 2, matching a 2-core machine. With 0, reads run on the writer's queue.
    public var readerCount: Int
    /// Pages copied per online-backup step; writes run between steps. Default 128 (512 KiB with
    /// SQLite's default 4 KiB pages), a few milliseconds of copying.
    public var backupPagesPerStep: Int32
    /// When true (the default), `backup(to:)` runs `PRAGMA integrity_check` on the copy before
    /// renaming it into place.
    public var verifiesBackups: Bool

    /// Creates a configuration; every parameter has the documented default.
    public init(
        connection: ConnectionConfiguration = ConnectionConfiguration(), readerCount: Int = 2,
        backupPagesPerStep: Int32 = 128, verifiesBackups: Bool = true
    ) {
        self.connection = connection
        self.readerCount = max(0, readerCount)
        self.backupPagesPerStep = max(1, backupPagesPerStep)
        self.verifiesBackups = verifiesBackups
    }
}
