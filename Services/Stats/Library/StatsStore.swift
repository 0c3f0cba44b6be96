import Foundation
import RPC
import Storage

/// The stats service's data: events in (de-duplicated, validated, rolled up by hour in the same
/// transaction), figures out. Every public method is safe to call concurrently; writes are
/// serialized on the database's writer queue, reads run on its reader pool.
public final class StatsStore: Sendable {
    /// Limits and retention.
    public struct Configuration: Sendable, Equatable {
        /// Most events in one batch; a larger batch is refused whole (INVALID_ARGUMENT).
        public var maxBatchEvents = 10_000
        /// How long raw events are kept, by the time they occurred. Rollups are kept forever.
        public var rawRetention: Duration = .seconds(90 * 86_400)
        /// How long an accepted event id is remembered, by the time it was received: a copy of
        /// the event that arrives later than this would be counted again.
        public var dedupeRetention: Duration = .seconds(400 * 86_400)

        /// The defaults: 10,000 events per batch, raw events for 90 days, ids for 400 days.
        public init() {}
    }

    /// The database (opened with `StatsSchema.migrations`).
    public let database: Database
    /// Limits and retention.
    public let configuration: Configuration
    /// The clock, Unix milliseconds.
    public let now: @Sendable () -> Int64
    /// Signalled after every batch that accepted events (live counters listen to it).
    public let changes = ChangeFeed()

    /// A store over `database`.
    public init(
        database: Database, configuration: Configuration = Configuration(),
        now: @escaping @Sendable () -> Int64 = TimeMath.currentUnixMs
    ) {
        self.database = database
        self.configuration = configuration
        self.now = now
    }

    /// Opens (creating and migrating when needed) the database at `path`.
    public static func open(
        path: String, configuration: Configuration = Configuration(),
        now: @escaping @Sendable () -> Int64 = TimeMath.currentUnixMs
    ) async throws -> StatsStore {
        let database = try await Database.open(path: path, migrations: StatsSchema.migrations)
        return StatsStore(database: database, configuration: configuration, now: now)
    }
}

extension Duration {
    /// The duration in whole milliseconds.
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
