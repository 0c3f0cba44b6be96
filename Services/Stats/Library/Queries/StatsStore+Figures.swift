import Storage

/// What a figures query needs beyond the counters.
struct TallyNeeds: Sendable {
    /// Load visitor sketches (unique visitors).
    var visitors = true
    /// Load money by currency.
    var money = true
}

/// A stretch of time and what it counted: one rolled-up hour, or the raw events of a range's edge.
struct TallyPiece: Sendable {
    var startUnixMs: Int64
    var tally: Tally
}

extension StatsStore {
    /// The figures of `range`: hourly rollups for its whole hours, raw events for the partial
    /// hours at its edges (those are missing once the raw events passed their retention).
    public func tally(_ range: QueryRange) async throws -> Tally {
        try await database.read { db in
            var total = Tally()
            for piece in try Self.pieces(range, needs: TallyNeeds(), in: db) { total.merge(piece.tally) }
            return total
        }
    }

    /// The tallies of `range` piece by piece, in time order: one per rolled-up hour (hours without
    /// events are absent) and one per raw edge.
    static func pieces(_ range: QueryRange, needs: TallyNeeds, in db: DatabaseConnection) throws -> [TallyPiece] {
        let (hours, edges) = range.split
        var pieces: [TallyPiece] = []
        if let hours { pieces += try rolledUp(hours, needs: needs, in: db) }
        for edge in edges {
            var tally = Tally()
            try forEachEvent(in: edge, db: db) { tally.add($0, countingVisitors: needs.visitors) }
            pieces.append(TallyPiece(startUnixMs: edge.startUnixMs, tally: tally))
        }
        return pieces.sorted { $0.startUnixMs < $1.startUnixMs }
    }

    /// The rollups of the whole hours of `hours`.
    private static func rolledUp(_ hours: QueryRange, needs: TallyNeeds, in db: DatabaseConnection) throws -> [TallyPiece] {
        let bounds: [SQLValue] = [.integer(hours.startUnixMs), .integer(hours.endUnixMs)]
        let visitorsColumn = needs.visitors ? "visitors" : "NULL"
        var pieces: [TallyPiece] = []
        var indexByHour: [Int64: Int] = [:]
        for row in try db.query(
            """
            SELECT hour_start_unix_ms, visits, page_views, sales, refunds, signups, custom_events, \(visitorsColumn)
            FROM stats_hourly WHERE hour_start_unix_ms >= ? AND hour_start_unix_ms < ? ORDER BY hour_start_unix_ms
            """, bounds)
        {
            var tally = Tally()
            tally.visits = try row.int64(1)
            tally.pageViews = try row.int64(2)
            tally.sales = try row.int64(3)
            tally.refunds = try row.int64(4)
            tally.signups = try row.int64(5)
            tally.customEvents = try row.int64(6)
            if case .blob(let bytes) = try row.value(at: 7), let sketch = HyperLogLog(serialized: bytes) {
                tally.visitors = sketch
            }
            let hour = try row.int64(0)
            indexByHour[hour] = pieces.count
            pieces.append(TallyPiece(startUnixMs: hour, tally: tally))
        }
        guard needs.money else { return pieces }
        for row in try db.query(
            """
            SELECT hour_start_unix_ms, currency, sales, gross_minor, refunds, refunded_minor
            FROM stats_hourly_money WHERE hour_start_unix_ms >= ? AND hour_start_unix_ms < ?
            """, bounds)
        {
            guard let index = indexByHour[try row.int64(0)] else { continue }
            pieces[index].tally.money[try row.string(1)] = MoneyTally(
                sales: try row.int64(2), grossMinor: try row.int64(3), refunds: try row.int64(4),
                refundedMinor: try row.int64(5))
        }
        return pieces
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
