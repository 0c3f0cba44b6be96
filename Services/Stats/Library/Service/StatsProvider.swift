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
        var response = Stats.SummaryResponse()
        response.current = Self.figures(try await store.tally(range), range: range)
        if request.compareWithPrevious {
            response.previous = Self.figures(try await store.tally(range.previous), range: range.previous)
        }
        return response
    }

    public func getSeries(_ request: Stats.SeriesRequest, context: ServerContext) async throws -> Stats.SeriesResponse {
        throw RPCError(.unimplemented, "not yet")
    }

    public func getTop(_ request: Stats.TopRequest, context: ServerContext) async throws -> Stats.TopResponse {
        throw RPCError(.unimplemented, "not yet")
    }

    public func watchLive(
        _ request: Stats.LiveRequest, responses: ResponseWriter<Stats.LiveCounters>, context: ServerContext
    ) async throws {
        throw RPCError(.unimplemented, "not yet")
    }

    public func exportEvents(
        _ request: Stats.ExportEventsRequest, responses: ResponseWriter<Stats.CsvLine>, context: ServerContext
    ) async throws {
        throw RPCError(.unimplemented, "not yet")
    }

    public func exportSeries(
        _ request: Stats.SeriesRequest, responses: ResponseWriter<Stats.CsvLine>, context: ServerContext
    ) async throws {
        throw RPCError(.unimplemented, "not yet")
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
