import Storage

/// What a figures query needs beyond the counters.
struct TallyNeeds: Sendable {
    /// Load visitor sketches (unique visitors).
    var visitors = true
    /// Load money by currency.
    var money = true
}

extension StatsStore {
    /// The figures of `range`: hourly rollups for its whole hours, raw events for the partial
    /// hours at its edges (those are missing once the raw events passed their retention).
    public func tally(_ range: QueryRange) async throws -> Tally {
        try await tallies([range])[0]
    }

    /// The figures of each range, all read in one transaction (one snapshot).
    public func tallies(_ ranges: [QueryRange]) async throws -> [Tally] {
        try await database.read { db in try ranges.map { try Self.tally($0, needs: TallyNeeds(), in: db) } }
    }

    /// `tally(_:)` inside a read transaction, loading only what `needs` says.
    static func tally(_ range: QueryRange, needs: TallyNeeds, in db: DatabaseConnection) throws -> Tally {
        let (hours, edges) = range.split
        var total = try hours.map { try rolledUpTotal($0, needs: needs, in: db) } ?? Tally()
        for edge in edges { try forEachEvent(in: edge, db: db) { total.add($0, countingVisitors: needs.visitors) } }
        return total
    }

    /// The sum of the rollups of the whole hours of `hours`, added up by SQLite, with the hourly
    /// visitor sketches merged straight from their stored bytes.
    private static func rolledUpTotal(_ hours: QueryRange, needs: TallyNeeds, in db: DatabaseConnection) throws -> Tally {
        let bounds: [SQLValue] = [.integer(hours.startUnixMs), .integer(hours.endUnixMs)]
        var tally = Tally()
        if let row = try db.queryOne(
            """
            SELECT COALESCE(SUM(visits), 0), COALESCE(SUM(page_views), 0), COALESCE(SUM(sales), 0),
                COALESCE(SUM(refunds), 0), COALESCE(SUM(signups), 0), COALESCE(SUM(custom_events), 0)
            FROM stats_hourly WHERE hour_start_unix_ms >= ? AND hour_start_unix_ms < ?
            """, bounds)
        {
            tally.visits = try row.int64(0)
            tally.pageViews = try row.int64(1)
            tally.sales = try row.int64(2)
            tally.refunds = try row.int64(3)
            tally.signups = try row.int64(4)
            tally.customEvents = try row.int64(5)
        }
        for row in try db.query(
            """
            SELECT currency, SUM(sales), SUM(gross_minor), SUM(refunds), SUM(refunded_minor)
            FROM stats_hourly_money WHERE hour_start_unix_ms >= ? AND hour_start_unix_ms < ? GROUP BY currency
            """, bounds)
        {
            tally.money[try row.string(0)] = MoneyTally(
                sales: try row.int64(1), grossMinor: try row.int64(2), refunds: try row.int64(3),
                refundedMinor: try row.int64(4))
        }
        guard needs.visitors else { return tally }
        var visitors = HyperLogLog()
        var sawVisitors = false
        for row in try db.query(
            """
            SELECT visitors FROM stats_hourly
            WHERE hour_start_unix_ms >= ? AND hour_start_unix_ms < ? AND visitors IS NOT NULL
            """, bounds)
        {
            if case .blob(let bytes) = try row.value(at: 0), visitors.merge(serialized: bytes) { sawVisitors = true }
        }
        if sawVisitors { tally.visitors = visitors }
        return tally
    }

    /// The tallies of `range` in `count` buckets: each rolled-up hour goes to `bucketOf(its
    /// start)`, each raw edge to `bucketOf(the edge's start)`; nil drops it.
    static func bucketed(
        _ range: QueryRange, needs: TallyNeeds, count: Int, bucketOf: (Int64) -> Int?, in db: DatabaseConnection
    ) throws -> [Tally] {
        var tallies = [Tally](repeating: Tally(), count: count)
        let (hours, edges) = range.split
        if let hours {
            let bounds: [SQLValue] = [.integer(hours.startUnixMs), .integer(hours.endUnixMs)]
            let visitorsColumn = needs.visitors ? "visitors" : "NULL"
            for row in try db.query(
                """
                SELECT hour_start_unix_ms, visits, page_views, sales, refunds, signups, custom_events, \(visitorsColumn)
                FROM stats_hourly WHERE hour_start_unix_ms >= ? AND hour_start_unix_ms < ?
                """, bounds)
            {
                guard let index = bucketOf(try row.int64(0)) else { continue }
                tallies[index].visits += try row.int64(1)
                tallies[index].pageViews += try row.int64(2)
                tallies[index].sales += try row.int64(3)
                tallies[index].refunds += try row.int64(4)
                tallies[index].signups += try row.int64(5)
                tallies[index].customEvents += try row.int64(6)
                if case .blob(let bytes) = try row.value(at: 7) {
                    if tallies[index].visitors == nil { tallies[index].visitors = HyperLogLog() }
                    tallies[index].visitors?.merge(serialized: bytes)
                }
            }
            if needs.money {
                for row in try db.query(
                    """
                    SELECT hour_start_unix_ms, currency, sales, gross_minor, refunds, refunded_minor
                    FROM stats_hourly_money WHERE hour_start_unix_ms >= ? AND hour_start_unix_ms < ?
                    """, bounds)
                {
                    guard let index = bucketOf(try row.int64(0)) else { continue }
                    tallies[index].money[try row.string(1), default: MoneyTally()].merge(
                        MoneyTally(
                            sales: try row.int64(2), grossMinor: try row.int64(3), refunds: try row.int64(4),
                            refundedMinor: try row.int64(5)))
                }
            }
        }
        for edge in edges {
            guard let index = bucketOf(edge.startUnixMs) else { continue }
            try forEachEvent(in: edge, db: db) { tallies[index].add($0, countingVisitors: needs.visitors) }
        }
        return tallies
    }

    /// The columns of `stats_events`, in the order `event(from:)` reads them.
    static let eventColumns =
        "event_id, type, occurred_at_unix_ms, visitor_id, session_id, path, content_id, amount_minor, currency, order_id, name, items"

    /// Calls `body` with every raw event of `range`, oldest first.
    static func forEachEvent(
        in range: QueryRange, db: DatabaseConnection, _ body: (StatsEvent) throws -> Void
    ) throws {
        for row in try db.query(
            """
            SELECT \(eventColumns) FROM stats_events
            WHERE occurred_at_unix_ms >= ? AND occurred_at_unix_ms < ? ORDER BY occurred_at_unix_ms, seq
            """, [.integer(range.startUnixMs), .integer(range.endUnixMs)])
        {
            try body(try event(from: row))
        }
    }

    /// The event a `stats_events` row (selected with `eventColumns`) holds.
    static func event(from row: Row) throws -> StatsEvent {
        let kind = StatsEventKind(rawValue: try row.int64(1)) ?? .custom
        var event = StatsEvent(eventID: try row.string(0), kind: kind, occurredAtUnixMs: try row.int64(2))
        event.visitorID = try row.string(3)
        event.sessionID = try row.string(4)
        event.path = try row.string(5)
        event.contentID = try row.string(6)
        event.amountMinor = try row.int64(7)
        event.currency = try row.string(8)
        event.orderID = try row.string(9)
        event.name = try row.string(10)
        event.items = StatsEvent.decodeItems(try row.string(11))
        return event
    }
}
