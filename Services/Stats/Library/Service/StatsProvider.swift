import BackofficeAPI
import Foundation
import RPC

/// Serves `backoffice.stats.Stats`: figures, series, top lists, live counters and CSV exports
/// over a `StatsStore`. Needs `stats.read`.
public struct StatsProvider: Stats.StatsHandler {
    /// Where the figures come from.
    public let store: StatsStore
    /// How often live counters are pushed when nothing changes.
    public let liveInterval: Duration

    /// A provider over `store`, pushing live counters at least every `liveInterval`.
    public init(store: StatsStore, liveInterval: Duration = .seconds(5)) {
        self.store = store
        self.liveInterval = liveInterval
    }

    /// The figures of the range, and of the previous equal range when asked.
    public func getSummary(_ request: Stats.SummaryRequest, context: ServerContext) async throws -> Stats.SummaryResponse {
        try CallerCheck.require(.statsRead, context)
        let range = try QueryRange.validated(request.range)
        let ranges = request.compareWithPrevious ? [range, range.previous] : [range]
        let tallies = try await store.tallies(ranges)
        var response = Stats.SummaryResponse()
        response.current = Self.figures(tallies[0], range: range)
        if request.compareWithPrevious { response.previous = Self.figures(tallies[1], range: range.previous) }
        return response
    }

    /// One figure in calendar buckets of the requested zone.
    public func getSeries(_ request: Stats.SeriesRequest, context: ServerContext) async throws -> Stats.SeriesResponse {
        try CallerCheck.require(.statsRead, context)
        let (_, points) = try await series(request)
        var response = Stats.SeriesResponse()
        response.points = points.map { point in
            var message = Stats.SeriesPoint()
            message.startUnixMs = point.bucket.startUnixMs
            message.endUnixMs = point.bucket.endUnixMs
            message.label = point.bucket.label
            message.value = point.value
            return message
        }
        return response
    }

    /// The top list of the range; limit 1 to 100, 0 meaning 10.
    public func getTop(_ request: Stats.TopRequest, context: ServerContext) async throws -> Stats.TopResponse {
        try CallerCheck.require(.statsRead, context)
        let range = try QueryRange.validated(request.range)
        var violations: [FieldViolation] = []
        let kind = TopListKind(rawValue: Int64(request.kind.rawValue))
        if kind == nil {
            violations.append(FieldViolation(field: "kind", description: "is required (a known TOP_KIND_*)"))
        }
        if request.limit < 0 || request.limit > Self.maxTopLimit {
            violations.append(FieldViolation(field: "limit", description: "must be 1 to \(Self.maxTopLimit) (0 means 10)"))
        }
        guard let kind, violations.isEmpty else { throw RPCError.invalidArgument(violations) }
        let limit = request.limit == 0 ? Self.defaultTopLimit : Int(request.limit)
        var response = Stats.TopResponse()
        response.entries = try await store.top(kind, range: range, limit: limit).map { entry in
            var message = Stats.TopEntry()
            message.key = entry.key.key
            message.currency = entry.key.currency
            message.count = entry.count.count
            message.amountMinor = entry.count.amountMinor
            return message
        }
        return response
    }

    /// Pushes the day's counters at once, then whenever events are accepted (at most one push per
    /// `minimumLiveSpacing`) and at least every `liveInterval`, until the client cancels (or the
    /// connection goes).
    public func watchLive(
        _ request: Stats.LiveRequest, responses: ResponseWriter<Stats.LiveCounters>, context: ServerContext
    ) async throws {
        try CallerCheck.require(.statsRead, context)
        let zone = try TimeBuckets.timeZone(named: request.timeZone)
        let updates = store.changes.updates(tick: liveInterval)
        try await responses.write(Self.counters(try await store.liveSnapshot(timeZone: zone)))
        for await _ in updates {
            try Task.checkCancellation()
            try await responses.write(Self.counters(try await store.liveSnapshot(timeZone: zone)))
            // Under heavy ingestion, changes coalesce into at most one push per spacing.
            try await Task.sleep(for: Self.minimumLiveSpacing)
        }
        try Task.checkCancellation()
    }

    /// The raw events of the range as CSV lines, header first.
    public func exportEvents(
        _ request: Stats.ExportEventsRequest, responses: ResponseWriter<Stats.CsvLine>, context: ServerContext
    ) async throws {
        try CallerCheck.require(.statsRead, context)
        let range = try QueryRange.validated(request.range)
        try await responses.write(Self.csv(Self.eventHeader))
        try await store.exportEvents(range) { events in
            for event in events { try await responses.write(Self.csv(Self.eventFields(event))) }
        }
    }

    /// A series as CSV lines, header first.
    public func exportSeries(
        _ request: Stats.SeriesRequest, responses: ResponseWriter<Stats.CsvLine>, context: ServerContext
    ) async throws {
        try CallerCheck.require(.statsRead, context)
        let (figure, points) = try await series(request)
        try await responses.write(Self.csv(["start_unix_ms", "end_unix_ms", "start", figure.columnName]))
        for point in points {
            try await responses.write(
                Self.csv([
                    String(point.bucket.startUnixMs), String(point.bucket.endUnixMs), point.bucket.label,
                    CSV.number(point.value),
                ]))
        }
    }

    // MARK: - Shared steps

    /// The least time between two live pushes.
    public static let minimumLiveSpacing: Duration = .milliseconds(200)

    /// Most entries of a top list.
    public static let maxTopLimit: Int32 = 100
    /// Entries of a top list when the request says 0.
    public static let defaultTopLimit = 10

    /// Validates a series request (range, figure, currency, bucket, zone) and computes it.
    private func series(_ request: Stats.SeriesRequest) async throws -> (SeriesFigure, [SeriesPoint]) {
        let range = try QueryRange.validated(request.range)
        let figure = try SeriesFigure(request.figure, currency: request.currency)
        let zone = try TimeBuckets.timeZone(named: request.timeZone)
        let buckets = try TimeBuckets(range: range, width: request.bucket, timeZone: zone)
        return (figure, try await store.series(figure, buckets: buckets))
    }

    /// The columns of an events export.
    static let eventHeader = [
        "event_id", "type", "occurred_at_unix_ms", "visitor_id", "session_id", "path", "content_id", "amount_minor",
        "currency", "order_id", "name", "items",
    ]

    /// An event's fields in `eventHeader` order; items as `sku*quantity*amount` joined by `;`.
    static func eventFields(_ event: StatsEvent) -> [String] {
        [
            event.eventID, event.kind.name, String(event.occurredAtUnixMs), event.visitorID, event.sessionID,
            event.path, event.contentID, String(event.amountMinor), event.currency, event.orderID, event.name,
            event.items.map { "\($0.sku)*\($0.quantity)*\($0.amountMinor)" }.joined(separator: ";"),
        ]
    }

    static func csv(_ fields: [String]) -> Stats.CsvLine {
        var line = Stats.CsvLine()
        line.line = CSV.line(fields)
        return line
    }

    static func counters(_ snapshot: LiveSnapshot) -> Stats.LiveCounters {
        var counters = Stats.LiveCounters()
        counters.asOfUnixMs = snapshot.asOfUnixMs
        counters.visitsToday = snapshot.today.visits
        counters.salesToday = snapshot.today.sales
        counters.revenueToday = currencyFigures(snapshot.today.money)
        counters.activeVisitors = snapshot.activeVisitors
        return counters
    }

    // MARK: - Conversions

    /// The message for `tally` over `range`.
    static func figures(_ tally: Tally, range: QueryRange) -> Stats.Figures {
        var figures = Stats.Figures()
        figures.range = range.message
        figures.visits = tally.visits
        figures.uniqueVisitors = tally.uniqueVisitors
        figures.pageViews = tally.pageViews
        figures.sales = tally.sales
        figures.refunds = tally.refunds
        figures.signups = tally.signups
        figures.customEvents = tally.customEvents
        figures.revenue = currencyFigures(tally.money)
        figures.conversionRate = tally.conversionRate
        return figures
    }

    /// Money by currency, ordered by currency code.
    static func currencyFigures(_ money: [String: MoneyTally]) -> [Stats.CurrencyFigures] {
        money.keys.sorted().map { currency in
            let tally = money[currency] ?? MoneyTally()
            var figures = Stats.CurrencyFigures()
            figures.currency = currency
            figures.sales = tally.sales
            figures.grossMinor = tally.grossMinor
            figures.refunds = tally.refunds
            figures.refundedMinor = tally.refundedMinor
            figures.netMinor = tally.netMinor
            figures.averageBasketMinor = tally.averageBasketMinor
            return figures
        }
    }
}
