import BackofficeAPI
import RPC
import Storage

/// What became of one event of a batch.
public enum IngestOutcome: Sendable, Equatable {
    /// Stored and counted.
    case accepted
    /// Its id was accepted before; ignored.
    case duplicate
    /// Invalid, for this reason.
    case rejected(String)
}

extension StatsStore {
    /// Records `events` in one transaction: each valid event whose id was never accepted is
    /// stored and added to its hour's rollups; the others are answered duplicate or rejected.
    /// Results are in request order. A batch over `maxBatchEvents` is refused whole with
    /// INVALID_ARGUMENT (field `events`) and nothing is stored.
    public func ingest(_ events: [Stats.Event]) async throws -> [IngestOutcome] {
        guard events.count <= configuration.maxBatchEvents else {
            throw RPCError.invalidArgument([
                FieldViolation(
                    field: "events",
                    description: "a batch holds at most \(configuration.maxBatchEvents) events, not \(events.count)")
            ])
        }
        let receivedAt = now()
        var outcomes = [IngestOutcome](repeating: .accepted, count: events.count)
        var valid: [(index: Int, event: StatsEvent)] = []
        valid.reserveCapacity(events.count)
        for (index, event) in events.enumerated() {
            switch EventValidation.validate(event, nowUnixMs: receivedAt) {
            case .success(let stored): valid.append((index, stored))
            case .failure(let rejection): outcomes[index] = .rejected(rejection.reason)
            }
        }
        guard !valid.isEmpty else { return outcomes }
        let toStore = valid.map(\.event)
        // Work that needs no database is done here, outside the writer's queue, assuming no
        // duplicates (the common case); `store` redoes the rollups when some were.
        let rollups = Self.rollups(of: toStore)
        let items = toStore.map(\.encodedItems)
        let accepted = try await database.write { db in
            try Self.store(toStore, items: items, rollups: rollups, receivedAt: receivedAt, in: db)
        }
        for (position, entry) in valid.enumerated() where !accepted[position] {
            outcomes[entry.index] = .duplicate
        }
        if accepted.contains(true) { changes.signal() }
        return outcomes
    }

    /// Inserts the events whose ids are new and rolls them up; whether each was new.
    ///
    /// Rows go in by multi-row statements (`MultiRowStatement`); `INSERT OR IGNORE ... RETURNING`
    /// names the ids that were new, and the first occurrence of a new id in the batch is the one
    /// accepted.
    private static func store(
        _ events: [StatsEvent], items: [String], rollups: [Int64: HourRollup], receivedAt: Int64,
        in db: DatabaseConnection
    ) throws -> [Bool] {
        var newIDs = Set<String>()
        for row in try seenInsert.run(
            rowCount: events.count, in: db,
            values: { index, bindings in
                bindings.append(.text(events[index].eventID))
                bindings.append(.integer(receivedAt))
            })
        {
            newIDs.insert(try row.string(0))
        }
        let accepted = events.map { newIDs.remove($0.eventID) != nil }
        let fresh = events.indices.filter { accepted[$0] }
        try eventInsert.run(rowCount: fresh.count, in: db) { index, bindings in
            let event = events[fresh[index]]
            bindings += [
                .text(event.eventID), .integer(event.kind.rawValue), .integer(event.occurredAtUnixMs),
                .text(event.visitorID), .text(event.sessionID), .text(event.path), .text(event.contentID),
                .integer(event.amountMinor), .text(event.currency), .text(event.orderID), .text(event.name),
                .text(items[fresh[index]]),
            ]
        }
        let hours = fresh.count == events.count ? rollups : Self.rollups(of: fresh.map { events[$0] })
        for (hour, rollup) in hours { try rollup.save(hour: hour, in: db) }
        return accepted
    }

    /// What `events` add to the rollups, by UTC hour.
    private static func rollups(of events: [StatsEvent]) -> [Int64: HourRollup] {
        var hours: [Int64: HourRollup] = [:]
        for event in events { hours[event.hourStartUnixMs, default: HourRollup()].add(event) }
        return hours
    }

    private static let seenInsert = MultiRowStatement(
        "INSERT OR IGNORE INTO stats_seen_events (event_id, received_at_unix_ms) VALUES", columns: 2,
        tail: "RETURNING event_id")
    private static let eventInsert = MultiRowStatement(
        """
        INSERT INTO stats_events (event_id, type, occurred_at_unix_ms, visitor_id, session_id, path, content_id,
            amount_minor, currency, order_id, name, items) VALUES
        """, columns: 12)
}

/// What one batch adds to one hour's rollups.
struct HourRollup: Sendable {
    static let topUpsert = MultiRowStatement(
        "INSERT INTO stats_hourly_top (kind, hour_start_unix_ms, key, currency, count, amount_minor) VALUES",
        columns: 6,
        tail: """
            ON CONFLICT (kind, hour_start_unix_ms, key, currency) DO UPDATE SET count = count + excluded.count,
                amount_minor = amount_minor + excluded.amount_minor
            """)

    var tally = Tally()
    var top = TopTally()

    mutating func add(_ event: StatsEvent) {
        tally.add(event)
        top.add(event)
    }

    /// Adds this to the hour's rows.
    func save(hour: Int64, in db: DatabaseConnection) throws {
        try db.execute(
            """
            INSERT INTO stats_hourly (hour_start_unix_ms, visits, page_views, sales, refunds, signups, custom_events)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (hour_start_unix_ms) DO UPDATE SET visits = visits + excluded.visits,
                page_views = page_views + excluded.page_views, sales = sales + excluded.sales,
                refunds = refunds + excluded.refunds, signups = signups + excluded.signups,
                custom_events = custom_events + excluded.custom_events
            """,
            [
                .integer(hour), .integer(tally.visits), .integer(tally.pageViews), .integer(tally.sales),
                .integer(tally.refunds), .integer(tally.signups), .integer(tally.customEvents),
            ])
        if let visitors = tally.visitors {
            var sketch = visitors
            let stored = try db.queryOne(
                "SELECT visitors FROM stats_hourly WHERE hour_start_unix_ms = ?", [.integer(hour)])
            if case .blob(let bytes)? = try stored?.value(at: 0) { sketch.merge(serialized: bytes) }
            try db.execute(
                "UPDATE stats_hourly SET visitors = ? WHERE hour_start_unix_ms = ?",
                [.blob(sketch.serialized), .integer(hour)])
        }
        for (currency, money) in tally.money {
            try db.execute(
                """
                INSERT INTO stats_hourly_money (hour_start_unix_ms, currency, sales, gross_minor, refunds, refunded_minor)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (hour_start_unix_ms, currency) DO UPDATE SET sales = sales + excluded.sales,
                    gross_minor = gross_minor + excluded.gross_minor, refunds = refunds + excluded.refunds,
                    refunded_minor = refunded_minor + excluded.refunded_minor
                """,
                [
                    .integer(hour), .text(currency), .integer(money.sales), .integer(money.grossMinor),
                    .integer(money.refunds), .integer(money.refundedMinor),
                ])
        }
        let entries = Array(top.counts)
        try Self.topUpsert.run(rowCount: entries.count, in: db) { index, bindings in
            let (key, count) = entries[index]
            bindings += [
                .integer(key.kind.rawValue), .integer(hour), .text(key.key), .text(key.currency), .integer(count.count),
                .integer(count.amountMinor),
            ]
        }
    }
}
