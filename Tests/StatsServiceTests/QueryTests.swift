import BackofficeAPI
import Foundation
import RPC
import StatsService
import TestSupport
import Testing

/// Figures, series, top lists, live counters and exports computed by the store.
@Suite(.timeLimit(.minutes(1)))
struct QueryTests {
    let hour = StatsFixture.hour
    let t0 = StatsFixture.march1 + 10 * StatsFixture.hour

    @Test func figuresOverPartialHoursCombineRollupsAndRawEvents() async throws {
        let fixture = try StatsFixture()
        let store = try await fixture.openStore()
        // Events at 10:10, 11:10, 12:10, 13:10 and 13:50.
        let times = [t0 + 10 * 60_000, t0 + hour + 10 * 60_000, t0 + 2 * hour + 10 * 60_000, t0 + 3 * hour + 10 * 60_000]
        var events: [Stats.Event] = []
        for (index, time) in times.enumerated() {
            events.append(.visit("v\(index)", at: time, visitor: "visitor-\(index % 2)"))
            events.append(.sale("s\(index)", at: time, amount: 1000 * Int64(index + 1)))
        }
        events.append(.refund("r1", at: t0 + 3 * hour + 50 * 60_000, amount: 300))
        events.append(.sale("usd", at: t0 + 2 * hour, amount: 999, currency: "USD"))
        _ = try await store.ingest(events)

        // 10:05 to 13:30: edge 10:05-11:00, whole hours 11-13, edge 13:00-13:30.
        let tally = try await store.tally(QueryRange(startUnixMs: t0 + 5 * 60_000, endUnixMs: t0 + 3 * hour + 30 * 60_000))
        #expect(tally.visits == 4)
        #expect(tally.sales == 5)
        #expect(tally.refunds == 0)
        #expect(tally.uniqueVisitors == 2)
        #expect(tally.money["EUR"] == MoneyTally(sales: 4, grossMinor: 10_000, refunds: 0, refundedMinor: 0))
        #expect(tally.money["USD"]?.grossMinor == 999)
        #expect(tally.conversionRate == 1.25)

        // 10:15 to 13:55: the first event is left out, the refund counted.
        let later = try await store.tally(QueryRange(startUnixMs: t0 + 15 * 60_000, endUnixMs: t0 + 3 * hour + 55 * 60_000))
        #expect(later.visits == 3)
        #expect(later.money["EUR"] == MoneyTally(sales: 3, grossMinor: 9_000, refunds: 1, refundedMinor: 300))
        #expect(later.money["EUR"]?.netMinor == 8_700)
        #expect(later.money["EUR"]?.averageBasketMinor == 3_000)

        // Within one hour: raw events only.
        let inside = try await store.tally(QueryRange(startUnixMs: t0 + hour, endUnixMs: t0 + hour + 20 * 60_000))
        #expect(inside.sales == 1)
    }

    @Test func wholeHourFiguresComeFromRollupsEvenAfterRawEventsExpire() async throws {
        let fixture = try StatsFixture()
        var configuration = StatsStore.Configuration()
        configuration.rawRetention = .seconds(3600)
        let store = try await fixture.openStore(configuration)
        _ = try await store.ingest((0..<20).map { .sale("s\($0)", at: t0 + Int64($0) * 60_000, amount: 100) })
        try await store.applyRetention()
        #expect(try fixture.count("stats_events") == 0)
        let tally = try await store.tally(QueryRange(startUnixMs: t0, endUnixMs: t0 + hour))
        #expect(tally.sales == 20)
        #expect(tally.money["EUR"]?.grossMinor == 2000)
    }

    @Test func aDailySeriesFollowsParisDaysAcrossTheSpringChange() async throws {
        let fixture = try StatsFixture(now: TimeBucketsTests.parisMarch31 + 10 * hour)
        let store = try await fixture.openStore()
        let march29 = TimeBucketsTests.parisMarch29
        _ = try await store.ingest([
            .sale("a", at: march29 - 30 * 60_000, amount: 100),  // 23:30 on the 28th in Paris
            .sale("b", at: march29 + 30 * 60_000, amount: 200),  // 00:30 on the 29th in Paris
            .sale("c", at: march29 + 23 * hour + 30 * 60_000, amount: 400),  // 00:30 on the 30th (CEST)
        ])
        let range = QueryRange(startUnixMs: TimeBucketsTests.parisMarch28, endUnixMs: TimeBucketsTests.parisMarch31)
        let figure = try SeriesFigure(.revenueGross, currency: "EUR")
        let paris = try TimeBuckets(range: range, width: .day, timeZone: TimeBucketsTests.paris)
        #expect(try await store.series(figure, buckets: paris).map(\.value) == [100, 200, 400])
        let utc = try TimeBuckets(range: range, width: .day, timeZone: TimeZone(secondsFromGMT: 0)!)
        #expect(try await store.series(figure, buckets: utc).map(\.value) == [0, 300, 400, 0])
        let sales = try SeriesFigure(.sales, currency: "")
        let hours = try TimeBuckets(
            range: QueryRange(startUnixMs: march29, endUnixMs: march29 + 23 * hour), width: .hour,
            timeZone: TimeBucketsTests.paris)
        let points = try await store.series(sales, buckets: hours)
        #expect(points.count == 23)
        #expect(points.map(\.value).reduce(0, +) == 1)
        #expect(points[0].value == 1)
    }

    @Test func moneyFiguresNeedACurrency() throws {
        let error = #expect(throws: RPCError.self) { try SeriesFigure(.revenueNet, currency: "") }
        #expect(error?.fieldViolations.map(\.field) == ["currency"])
        let unknown = #expect(throws: RPCError.self) { try SeriesFigure(.unrecognized(99), currency: "") }
        #expect(unknown?.fieldViolations.map(\.field) == ["figure"])
    }

    @Test func topListsRankPathsContentAndProducts() async throws {
        let fixture = try StatsFixture()
        let store = try await fixture.openStore()
        var events: [Stats.Event] = []
        for index in 0..<6 { events.append(.pageView("p\(index)", at: t0 + Int64(index), path: "/home", content: "c-1")) }
        for index in 0..<3 { events.append(.pageView("q\(index)", at: t0 + Int64(index), path: "/shop")) }
        events.append(.pageView("late", at: t0 + hour + 60_000, path: "/shop"))
        events.append(.sale("s1", at: t0, amount: 3000, items: [("SKU-A", 2, 2000), ("SKU-B", 1, 1000)]))
        events.append(.sale("s2", at: t0 + 60_000, amount: 1500, items: [("SKU-B", 3, 1500)]))
        events.append(.sale("s3", at: t0, amount: 500, currency: "USD", items: [("SKU-A", 1, 500)]))
        _ = try await store.ingest(events)
        // Whole hour 10:00-11:00 plus the raw edge 11:00-11:30.
        let range = QueryRange(startUnixMs: t0, endUnixMs: t0 + hour + 30 * 60_000)
        let paths = try await store.top(.paths, range: range, limit: 10)
        #expect(paths.map(\.key.key) == ["/home", "/shop"])
        #expect(paths.map(\.count.count) == [6, 4])
        let content = try await store.top(.content, range: range, limit: 10)
        #expect(content.map(\.key.key) == ["c-1"])
        let products = try await store.top(.products, range: range, limit: 2)
        #expect(products.map(\.key.key) == ["SKU-B", "SKU-A"])
        #expect(products.map(\.count.count) == [4, 2])
        #expect(products.map(\.count.amountMinor) == [2500, 2000])
        #expect(products.map(\.key.currency) == ["EUR", "EUR"])
    }

    @Test func liveCountersCoverTheDayInTheZoneAndTheLastFiveMinutes() async throws {
        // Now: 2026-03-29T10:00Z, 12:00 in Paris.
        let now = TimeBucketsTests.parisMarch29 + 11 * hour
        let fixture = try StatsFixture(now: now)
        let store = try await fixture.openStore()
        _ = try await store.ingest([
            .visit("yesterday-paris", at: TimeBucketsTests.parisMarch29 - 30 * 60_000, visitor: "old"),
            .visit("today-1", at: now - 2 * hour, visitor: "a"),
            .visit("today-2", at: now - 60_000, visitor: "b"),
            .pageView("today-3", at: now - 30_000, path: "/", visitor: "b"),
            .sale("today-4", at: now - 10_000, amount: 4200),
        ])
        let paris = try await store.liveSnapshot(timeZone: TimeBucketsTests.paris)
        #expect(paris.today.visits == 2)
        #expect(paris.today.sales == 1)
        #expect(paris.today.money["EUR"]?.grossMinor == 4200)
        #expect(paris.activeVisitors == 1)
        #expect(paris.asOfUnixMs == now)
        // In Tokyo (UTC+9) the visit at 22:30Z on the 28th was at 07:30 on the 29th: today.
        let tokyo = try await store.liveSnapshot(timeZone: TimeZone(identifier: "Asia/Tokyo")!)
        #expect(tokyo.today.visits == 3)
    }

    @Test func exportsEveryEventOfTheRangeInPagesOldestFirst() async throws {
        let fixture = try StatsFixture()
        let store = try await fixture.openStore()
        _ = try await store.ingest((0..<7).map { .visit("e\($0)", at: t0 + Int64($0 / 2), visitor: "v\($0)") })
        _ = try await store.ingest([.visit("outside", at: t0 + hour)])
        let pages = Locked<[[String]]>([])
        try await store.exportEvents(QueryRange(startUnixMs: t0, endUnixMs: t0 + hour), pageSize: 3) { page in
            pages.withLock { $0.append(page.map(\.eventID)) }
        }
        #expect(pages.value == [["e0", "e1", "e2"], ["e3", "e4", "e5"], ["e6"]])
    }

    @Test func soldItemsSurviveStorageWhateverTheirSkus() async throws {
        let fixture = try StatsFixture()
        let store = try await fixture.openStore()
        let skus = ["plain", "quote \" and \\ backslash", "line\nbreak\ttab\u{01}", "é ✓ 🚀"]
        _ = try await store.ingest([
            .sale("s", at: t0, amount: 10, items: skus.enumerated().map { ($1, Int64($0 + 1), Int64($0 * 100)) })
        ])
        let exported = Locked<[StatsEvent]>([])
        try await store.exportEvents(QueryRange(startUnixMs: t0, endUnixMs: t0 + 1)) { page in
            exported.withLock { $0 += page }
        }
        #expect(exported.value.first?.items.map(\.sku) == skus)
        #expect(exported.value.first?.items.map(\.quantity) == [1, 2, 3, 4])
        #expect(exported.value.first?.items.map(\.amountMinor) == [0, 100, 200, 300])
    }

    @Test func csvQuotesWhatNeedsQuoting() {
        #expect(
            CSV.line(["plain", "with,comma", "say \"hi\"", "two\nlines", " padded", ""])
                == "plain,\"with,comma\",\"say \"\"hi\"\"\",\"two\nlines\",\" padded\",")
        #expect(CSV.number(1500) == "1500")
        #expect(CSV.number(0.25) == "0.25")
    }

    @Test func rangesMustEndAfterTheyStart() {
        var range = Stats.TimeRange()
        range.startUnixMs = t0
        range.endUnixMs = t0 - 1
        let error = #expect(throws: RPCError.self) { try QueryRange.validated(range) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.fieldViolations.map(\.field) == ["range.end_unix_ms"])
        #expect(error?.fieldViolations.first?.description == "must be after range.start_unix_ms")
        let missing = #expect(throws: RPCError.self) { try QueryRange.validated(nil) }
        #expect(missing?.fieldViolations.map(\.field) == ["range"])
    }
}
