/// Settings applied to each `DatabaseConnection` when it opens.
///
/// Every connection also uses `journal_mode=WAL` and `foreign_keys=ON`; those are not optional.
public struct ConnectionConfiguration: Sendable, Equatable {
    /// How long a statement waits for a lock held by another connection before failing with
    /// SQLITE_BUSY (`PRAGMA busy_timeout`), in milliseconds. Default 5000.
    public var busyTimeoutMilliseconds: Int32
    /// `PRAGMA synchronous`; see `SynchronousMode` for what each level survives. Default `.normal`.
    public var synchronous: SynchronousMode
    /// How many prepared statements the connection keeps, keyed by SQL text (least recently used
    /// ones are finalized first). Default 64; 0 disables the cache.
    public var statementCacheCapacity: Int
    /// When true the connection refuses writes (`PRAGMA query_only=ON`); `Database` readers use it.
    public var queryOnly: Bool

    /// Creates a configuration; every parameter has the documented default.
    public init(
        busyTimeoutMilliseconds: Int32 = 5000, synchronous: SynchronousMode = .normal,
        statementCacheCapacity: Int = 64, queryOnly: Bool = false
    ) {
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        self.synchronous = synchronous
        self.statementCacheCapacity = statementCacheCapacity
        self.queryOnly = queryOnly
    }
}
