import BackofficeAPI
import Foundation
import RPC
import ServiceRuntime
import StatsService
import Testing
import TestSupport

/// `backoffice-stats` as a real process: live counters, series, top lists, exports and the
/// refusals of bad queries, over TCP with signed calls.
@Suite(.timeLimit(.minutes(1)))
struct StatsProcessQueryTests {
    let t0 = StatsFixture.march1 + 10 * StatsFixture.hour
    let orders = StatsProcessFixture.ordersService
    let analyst = StatsProcessFixture.analyst

    private func range(_ start: Int64, _ end: Int64) -> Stats.TimeRange {
        var range = Stats.TimeRange()
        range.startUnixMs = start
        range.endUnixMs = end
        return range
    }

    private func ingest(_ events: [Stats.Event], fixture: StatsProcessFixture, client: RPCClient) async throws {
        var batch = Stats.IngestBatchRequest()
        batch.events = events
        let response = try await Stats.IngestClient(channel: client).ingestBatch(
            batch, options: fixture.options(orders, Stats.IngestService.ingestBatch))
        #expect(Int(response.accepted) == events.count)
    }

    /// Polls `condition` every 20 ms for at most `seconds`.
    private func eventually(_ seconds: Double = 5, _ condition: () -> Bool) async throws -> Bool {
        for _ in 0..<Int(seconds * 50) {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }

    @Test func aLiveStreamSeesASaleArriveAndEndsWhenTheClientCancels() async throws {
        // A long interval: the update after the sale can only come from the change itself.
        let fixture = try await StatsProcessFixture(extraArguments: ["--live-interval", "60s"])
        try await TestServer.withClient(fixture.process.address) { client in
            let received = Locked<[Stats.LiveCounters]>([])
            let options = fixture.options(analyst, Stats.StatsService.watchLive)
            let watcher = Task {
                try await Stats.StatsClient(channel: client).watchLive(Stats.LiveRequest(), options: options) { counters in
                    received.withLock { $0.append(counters) }
                }
            }
            defer { watcher.cancel() }
            let reached1 = try await eventually { received.value.count >= 1 }
            #expect(reached1)
            #expect(received.value.first?.salesToday == 0)

            let now = TimeMath.currentUnixMs()
            try await ingest(
                [.sale("live-1", at: now, amount: 1999), .visit("live-v", at: now, visitor: "someone")],
                fixture: fixture, client: client)
            let reached2 = try await eventually { received.value.last?.salesToday == 1 }
            #expect(reached2)
            let last = try #require(received.value.last)
            #expect(last.revenueToday.first?.grossMinor == 1999)
            #expect(last.visitsToday == 1)
            #expect(last.activeVisitors == 1)

            watcher.cancel()
            let outcome = await watcher.result
            #expect(throws: (any Error).self) { try outcome.get() }
            // The process keeps serving.
            let health = try await Stats.StatsClient(channel: client).getTop(
                {
                    var request = Stats.TopRequest()
                    request.range = range(now - 1000, now + 1000)
                    request.kind = .paths
                    return request
                }(), options: fixture.options(analyst, Stats.StatsService.getTop))
            #expect(health.entries.isEmpty)
        }
    }

    @Test func aLiveStreamRefreshesOnItsInterval() async throws {
        let fixture = try await StatsProcessFixture(extraArguments: ["--live-interval", "100ms"])
        try await TestServer.withClient(fixture.process.address) { client in
            let received = Locked(0)
            let options = fixture.options(analyst, Stats.StatsService.watchLive)
            let watcher = Task {
                var request = Stats.LiveRequest()
                request.timeZone = "Europe/Paris"
                try await Stats.StatsClient(channel: client).watchLive(request, options: options) { _ in
                    received.withLock { $0 += 1 }
                }
            }
            defer { watcher.cancel() }
            let reached3 = try await eventually { received.value >= 3 }
            #expect(reached3)
        }
    }

    @Test func seriesTopAndExportsOverTheWire() async throws {
        let fixture = try await StatsProcessFixture()
        try await TestServer.withClient(fixture.process.address) { client in
            try await ingest(
                [
                    .pageView("p1", at: t0, path: "/a,b"), .pageView("p2", at: t0 + 1, path: "/a,b"),
                    .pageView("p3", at: t0 + StatsFixture.day, path: "/c"),
                    .sale("s1", at: t0 + StatsFixture.day, amount: 1250, items: [("SKU \"1\"", 1, 1250)]),
                ], fixture: fixture, client: client)
            let stats = Stats.StatsClient(channel: client)
            var series = Stats.SeriesRequest()
            series.range = range(StatsFixture.march1, StatsFixture.march1 + 3 * StatsFixture.day)
            series.figure = .pageViews
            series.bucket = .day
            series.timeZone = "Europe/Paris"
            let points = try await stats.getSeries(series, options: fixture.options(analyst, Stats.StatsService.getSeries))
            #expect(points.points.map(\.value) == [2, 1, 0, 0])
            // The range starts at 2026-03-01T00:00Z, 01:00 in Paris: the first day is clipped to
            // it, and the last day is the hour from midnight to 01:00 on March 4th.
            #expect(points.points.first?.label == "2026-03-01T00:00:00+01:00")
            #expect(points.points.first?.startUnixMs == StatsFixture.march1)
            #expect(points.points.first?.endUnixMs == StatsFixture.march1 + 23 * StatsFixture.hour)
            #expect(points.points.last?.label == "2026-03-04T00:00:00+01:00")
            #expect(points.points.last.map { $0.endUnixMs - $0.startUnixMs } == StatsFixture.hour)

            let lines = Locked<[String]>([])
            series.figure = .revenueGross
            series.currency = "EUR"
            series.timeZone = ""
            try await stats.exportSeries(series, options: fixture.options(analyst, Stats.StatsService.exportSeries)) {
                line in lines.withLock { $0.append(line.line) }
            }
            #expect(
                lines.value == [
                    "start_unix_ms,end_unix_ms,start,revenue_gross",
                    "1772323200000,1772409600000,2026-03-01T00:00:00Z,0",
                    "1772409600000,1772496000000,2026-03-02T00:00:00Z,1250",
                    "1772496000000,1772582400000,2026-03-03T00:00:00Z,0",
                ])

            let exported = Locked<[String]>([])
            var export = Stats.ExportEventsRequest()
            export.range = range(t0, t0 + 2 * StatsFixture.day)
            try await stats.exportEvents(export, options: fixture.options(analyst, Stats.StatsService.exportEvents)) {
                line in exported.withLock { $0.append(line.line) }
            }
            #expect(exported.value.count == 5)
            #expect(
                exported.value.first
                    == "event_id,type,occurred_at_unix_ms,visitor_id,session_id,path,content_id,amount_minor,currency,order_id,name,items"
            )
            #expect(exported.value[1] == "p1,page_view,\(t0),v1,s-v1,\"/a,b\",,0,,,,")
            #expect(exported.value[4].hasSuffix(",1250,EUR,o-s1,,\"SKU \"\"1\"\"*1*1250\""))

            var top = Stats.TopRequest()
            top.range = range(t0, t0 + 2 * StatsFixture.day)
            top.kind = .paths
            top.limit = 1
            let best = try await stats.getTop(top, options: fixture.options(analyst, Stats.StatsService.getTop))
            #expect(best.entries.map(\.key) == ["/a,b"])
            #expect(best.entries.map(\.count) == [2])
        }
    }

    // MARK: - Bad queries

    private func expectInvalid(
        field: String, fixture: StatsProcessFixture, client: RPCClient, _ request: Stats.SeriesRequest
    ) async throws {
        let options = fixture.options(analyst, Stats.StatsService.getSeries)
        let error = await #expect(throws: RPCError.self) {
            try await Stats.StatsClient(channel: client).getSeries(request, options: options)
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.fieldViolations.map(\.field) == [field])
    }

    @Test func badSeriesRequestsAreInvalidArguments() async throws {
        let fixture = try await StatsProcessFixture()
        try await TestServer.withClient(fixture.process.address) { client in
            var valid = Stats.SeriesRequest()
            valid.range = range(t0, t0 + StatsFixture.day)
            valid.figure = .visits
            valid.bucket = .hour

            var badZone = valid
            badZone.timeZone = "Europe/Atlantis"
            try await expectInvalid(field: "time_zone", fixture: fixture, client: client, badZone)

            var backwards = valid
            backwards.range = range(t0, t0 - 1)
            try await expectInvalid(field: "range.end_unix_ms", fixture: fixture, client: client, backwards)

            var years = valid
            years.range = range(t0, t0 + 2 * 365 * StatsFixture.day)
            try await expectInvalid(field: "bucket", fixture: fixture, client: client, years)

            var noCurrency = valid
            noCurrency.figure = .averageBasket
            try await expectInvalid(field: "currency", fixture: fixture, client: client, noCurrency)

            let options = fixture.options(analyst, Stats.StatsService.getSeries)
            let fine = try await Stats.StatsClient(channel: client).getSeries(valid, options: options)
            #expect(fine.points.count == 24)
        }
    }

    @Test func badTopRequestsAreInvalidArguments() async throws {
        let fixture = try await StatsProcessFixture()
        try await TestServer.withClient(fixture.process.address) { client in
            var request = Stats.TopRequest()
            request.range = range(t0, t0 + StatsFixture.day)
            request.limit = 101
            let options = fixture.options(analyst, Stats.StatsService.getTop)
            let error = await #expect(throws: RPCError.self) {
                try await Stats.StatsClient(channel: client).getTop(request, options: options)
            }
            #expect(error?.code == .invalidArgument)
            #expect(error?.fieldViolations.map(\.field) == ["kind", "limit"])
        }
    }

    @Test func aRangeBeyondTheYear9999IsInvalid() async throws {
        let fixture = try await StatsProcessFixture()
        try await TestServer.withClient(fixture.process.address) { client in
            var request = Stats.SeriesRequest()
            request.range = range(t0, Int64.max)
            request.figure = .sales
            request.bucket = .month
            let options = fixture.options(analyst, Stats.StatsService.getSeries)
            let error = await #expect(throws: RPCError.self) {
                try await Stats.StatsClient(channel: client).getSeries(request, options: options)
            }
            #expect(error?.code == .invalidArgument)
            #expect(error?.fieldViolations.map(\.field) == ["range"])
        }
    }

    @Test func aBackwardsSummaryRangeIsInvalid() async throws {
        let fixture = try await StatsProcessFixture()
        try await TestServer.withClient(fixture.process.address) { client in
            var request = Stats.SummaryRequest()
            request.range = range(t0, t0 - StatsFixture.hour)
            let options = fixture.options(analyst, Stats.StatsService.getSummary)
            let error = await #expect(throws: RPCError.self) {
                try await Stats.StatsClient(channel: client).getSummary(request, options: options)
            }
            #expect(error?.code == .invalidArgument)
            #expect(error?.fieldViolations.map(\.field) == ["range.end_unix_ms"])
            #expect(error?.fieldViolations.first?.description == "must be after range.start_unix_ms")
        }
    }

    @Test func aLiveStreamInAnUnknownZoneIsInvalid() async throws {
        let fixture = try await StatsProcessFixture()
        try await TestServer.withClient(fixture.process.address) { client in
            var request = Stats.LiveRequest()
            request.timeZone = "Nowhere/Special"
            let options = fixture.options(analyst, Stats.StatsService.watchLive)
            let error = await #expect(throws: RPCError.self) {
                try await Stats.StatsClient(channel: client).watchLive(request, options: options) { _ in }
            }
            #expect(error?.code == .invalidArgument)
            #expect(error?.fieldViolations.map(\.field) == ["time_zone"])
        }
    }
}
