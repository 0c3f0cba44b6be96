import BackofficeAPI
import Foundation
import Storage

/// One bucket of a series and its value.
public struct SeriesPoint: Sendable, Equatable {
    public var bucket: TimeBuckets.Bucket
    public var value: Double
}

/// The day's live counters.
public struct LiveSnapshot: Sendable, Equatable {
    public var asOfUnixMs: Int64
    /// Since midnight in the requested zone (to the end of that day).
    public var today: Tally
    /// Distinct visitors with an event in the last five minutes.
    public var activeVisitors: Int64
}

extension StatsStore {
    /// How far back "active" visitors go.
    public static let activeWindowMs: Int64 = 5 * 60_000

    /// `figure` over `buckets`: one point per bucket, zero where nothing happened. A rolled-up
    /// hour counts in the bucket where it starts (only matters in zones whose offset is not a
    /// whole number of hours).
    public func series(_ figure: SeriesFigure, buckets: TimeBuckets) async throws -> [SeriesPoint] {
        guard let first = buckets.buckets.first, let last = buckets.buckets.last else { return [] }
        let range = QueryRange(startUnixMs: first.startUnixMs, endUnixMs: last.endUnixMs)
        let tallies = try await database.read { db in
            try Self.bucketed(
                range, needs: figure.needs, count: buckets.buckets.count, bucketOf: buckets.index(of:), in: db)
        }
        return zip(buckets.buckets, tallies).map { SeriesPoint(bucket: $0, value: figure.value(of: $1)) }
    }

    /// The `limit` highest entries of `kind` over `range`: rollups for whole hours, raw events
    /// at the edges.
    public func top(_ kind: TopListKind, range: QueryRange, limit: Int) async throws -> [(key: TopKey, count: TopCount)] {
        try await database.read { db in
            let (hours, edges) = range.split
            var top = TopTally()
            if let hours {
                for row in try db.query(
                    """
                    SELECT key, currency, SUM(count), SUM(amount_minor) FROM stats_hourly_top
                    WHERE kind = ? AND hour_start_unix_ms >= ? AND hour_start_unix_ms < ?
                    GROUP BY key, currency
                    """, [.integer(kind.rawValue), .integer(hours.startUnixMs), .integer(hours.endUnixMs)])
                {
                    top.add(
                        TopKey(kind: kind, key: try row.string(0), currency: try row.string(1)),
                        count: try row.int64(2), amount: try row.int64(3))
                }
            }
            for edge in edges { try Self.forEachEvent(in: edge, db: db) { top.add($0) } }
            return top.ranked(kind, limit: limit)
        }
    }

    /// The counters of the current day in `timeZone`, and the visitors active in the last five
    /// minutes.
    public func liveSnapshot(timeZone: TimeZone) async throws -> LiveSnapshot {
        let now = now()
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let day = calendar.dateInterval(of: .day, for: Date(timeIntervalSince1970: Double(now) / 1000))
        let start = day.map { Int64(($0.start.timeIntervalSince1970 * 1000).rounded()) } ?? TimeMath.hourFloor(now)
        let end = day.map { Int64(($0.end.timeIntervalSince1970 * 1000).rounded()) } ?? now + 1
        let today = QueryRange(startUnixMs: start, endUnixMs: end)
        return try await database.read { db in
            let tally = try Self.tally(today, needs: TallyNeeds(visitors: false, money: true), in: db)
            let active =
                try db.queryOne(
                    """
                    SELECT COUNT(DISTINCT visitor_id) FROM stats_events
                    WHERE occurred_at_unix_ms >= ? AND occurred_at_unix_ms <= ? AND visitor_id != ''
                    """, [.integer(now - Self.activeWindowMs), .integer(now)]
                )?.int64(0) ?? 0
            return LiveSnapshot(asOfUnixMs: now, today: tally, activeVisitors: active)
        }
    }

    /// Raw events of `range` read per page, oldest first: calls `body` with each page of at most
    /// `pageSize` events (each page read in its own transaction).
    public func exportEvents(
        _ range: QueryRange, pageSize: Int = 1000, _ body: ([StatsEvent]) async throws -> Void
    ) async throws {
        var after: (time: Int64, seq: Int64) = (range.startUnixMs, -1)
        while true {
            let cursor = after
            let page = try await database.read { db in
                try db.query(
                    """
                    SELECT \(Self.eventColumns), seq FROM stats_events
                    WHERE (occurred_at_unix_ms > ? OR (occurred_at_unix_ms = ? AND seq > ?)) AND occurred_at_unix_ms < ?
                    ORDER BY occurred_at_unix_ms, seq LIMIT ?
                    """,
                    [
                        .integer(cursor.time), .integer(cursor.time), .integer(cursor.seq), .integer(range.endUnixMs),
                        .integer(Int64(pageSize)),
                    ]
                ).map { (try Self.event(from: $0), try $0.int64(12)) }
            }
            guard let last = page.last else { return }
            try await body(page.map(\.0))
            if page.count < pageSize { return }
            after = (last.0.occurredAtUnixMs, last.1)
        }
    }
}
