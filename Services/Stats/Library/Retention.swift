import RPC
import ServiceRuntime
import Storage

/// What a retention pass deleted.
public struct RetentionReport: Sendable, Equatable {
    /// Raw events that occurred before the raw retention.
    public var rawEventsDeleted = 0
    /// Event ids received before the de-duplication retention.
    public var eventIDsForgotten = 0

    /// A report of these counts.
    public init(rawEventsDeleted: Int = 0, eventIDsForgotten: Int = 0) {
        self.rawEventsDeleted = rawEventsDeleted
        self.eventIDsForgotten = eventIDsForgotten
    }
}

/// A problem with the configured limits.
public struct StatsConfigurationError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

extension StatsStore.Configuration {
    /// Throws unless the limits make sense: a positive batch limit, positive retentions, and ids
    /// remembered at least as long as raw events are kept.
    public func validate() throws {
        if maxBatchEvents < 1 { throw StatsConfigurationError(description: "--max-batch-events must be at least 1") }
        if rawRetention <= .zero { throw StatsConfigurationError(description: "--raw-retention must be positive") }
        if dedupeRetention < rawRetention {
            throw StatsConfigurationError(description: "--dedupe-retention must be at least --raw-retention")
        }
    }
}

extension StatsStore {
    /// Rows deleted per transaction, so that ingestion keeps going during a large pass.
    static let retentionChunk = 10_000

    /// Deletes raw events that occurred more than `rawRetention` ago and event ids received more
    /// than `dedupeRetention` ago. Rollups are never deleted.
    @discardableResult
    public func applyRetention() async throws -> RetentionReport {
        let now = now()
        let rawCutoff = now - configuration.rawRetention.wholeMilliseconds
        let idCutoff = now - configuration.dedupeRetention.wholeMilliseconds
        var report = RetentionReport()
        report.rawEventsDeleted = try await deleteInChunks(
            "DELETE FROM stats_events WHERE seq IN (SELECT seq FROM stats_events WHERE occurred_at_unix_ms < ? LIMIT ?)",
            cutoff: rawCutoff)
        report.eventIDsForgotten = try await deleteInChunks(
            """
            DELETE FROM stats_seen_events WHERE event_id IN
                (SELECT event_id FROM stats_seen_events WHERE received_at_unix_ms < ? LIMIT ?)
            """, cutoff: idCutoff)
        return report
    }

    private func deleteInChunks(_ sql: String, cutoff: Int64) async throws -> Int {
        var total = 0
        while true {
            let deleted = try await database.write { db in
                try db.execute(sql, [.integer(cutoff), .integer(Int64(Self.retentionChunk))]).changes
            }
            total += deleted
            if deleted < Self.retentionChunk { return total }
        }
    }
}

/// Runs `applyRetention` at start and then every interval, for the life of the process.
public enum RetentionJob {
    /// Starts the background task.
    public static func start(store: StatsStore, every interval: Duration, logger: Logger) {
        Task.detached {
            while !Task.isCancelled {
                do {
                    let report = try await store.applyRetention()
                    if report.rawEventsDeleted > 0 || report.eventIDsForgotten > 0 {
                        logger.info(
                            "retention pass",
                            [
                                "raw_events_deleted": String(report.rawEventsDeleted),
                                "event_ids_forgotten": String(report.eventIDsForgotten),
                            ])
                    }
                } catch {
                    logger.error("retention pass failed", ["error": String(describing: error)])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
