// The stats benchmark: batched ingestion rates and query latencies against a running
// backoffice-stats (started without an internal key by Scripts/bench-stats.sh).
import BackofficeAPI
import Foundation
import RPC

/// `backoffice-bench stats HOST PORT TOTAL_EVENTS UNARY_EVENTS QUERIES`: loads TOTAL_EVENTS
/// events spread over the last 30 days (the first UNARY_EVENTS through IngestBatch in batches of
/// 1,000, four calls in flight; the rest through IngestStream in batches of 10,000), then times
/// QUERIES 30-day summaries and daily series, and prints a table.
enum StatsBenchmark {
    static let usage = """
          backoffice-bench stats HOST PORT TOTAL_EVENTS UNARY_EVENTS QUERIES [DAYS]
              Loads TOTAL_EVENTS events over the last DAYS days (30) into backoffice-stats at
              HOST:PORT (UNARY_EVENTS of them by IngestBatch of 1,000, the rest by IngestStream of
              10,000), then times QUERIES GetSummary, GetSeries and GetTop calls over those days.
        """

    /// Parses `HOST PORT TOTAL_EVENTS UNARY_EVENTS QUERIES [DAYS]` and runs; exits 2 on bad arguments.
    static func main(_ arguments: [String]) async throws {
        let days = arguments.count == 6 ? Int(arguments[5]) : 30
        guard arguments.count == 5 || arguments.count == 6, let port = Int(arguments[1]), let total = Int(arguments[2]),
            let unary = Int(arguments[3]), let queries = Int(arguments[4]), let days, total >= unary, unary >= 0,
            queries > 0, days > 0
        else {
            FileHandle.standardError.write(Data("backoffice-bench: bad stats arguments\nusage:\n\(usage)\n".utf8))
            exit(2)
        }
        try await run(host: arguments[0], port: port, total: total, unary: unary, queries: queries, days: days)
    }

    /// IngestBatch calls in flight at once.
    static let inFlight = 4
    static let day: Int64 = 86_400_000
    static let hour: Int64 = 3_600_000

    /// One row of the table.
    struct Row {
        var operation: String
        var calls: Int
        var perSecond: String
        var p50: Double
        var p99: Double
    }

    /// Deterministic event stream over [start, start + span): time-ordered, with a realistic mix.
    struct EventSource {
        var start: Int64
        var span: Int64
        var total: Int
        var state: UInt64 = 0x9e37_79b9_7f4a_7c15
        /// Every visitor id generated, to compare with the service's estimate.
        var visitors = Set<String>()

        mutating func random() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 17
        }

        mutating func event(_ index: Int) -> Stats.Event {
            var event = Stats.Event()
            event.eventId = "bench-\(index)"
            event.occurredAtUnixMs = start + Int64(Double(index) / Double(total) * Double(span))
            // 200,000 visitors: most hours see several thousand distinct ones (dense sketches).
            event.visitorId = "visitor-\(random() % 200_000)"
            visitors.insert(event.visitorId)
            event.sessionId = "session-\(index / 8)"
            switch random() % 100 {
            case 0..<25: event.type = .visit
            case 25..<85:
                event.type = .pageView
                event.path = "/page/\(random() % 500)"
                event.contentId = "content-\(random() % 200)"
            case 85..<93:
                event.type = .sale
                event.amountMinor = Int64(500 + random() % 20_000)
                event.currency = random() % 4 == 0 ? "USD" : "EUR"
                event.orderId = "order-\(index)"
                var item = Stats.SoldItem()
                item.sku = "SKU-\(random() % 300)"
                item.quantity = Int64(1 + random() % 3)
                item.amountMinor = event.amountMinor
                event.items = [item]
            case 93..<95:
                event.type = .refund
                event.amountMinor = Int64(100 + random() % 5_000)
                event.currency = "EUR"
                event.orderId = "order-\(index - 1)"
            case 95..<98: event.type = .signup
            default:
                event.type = .custom
                event.name = "newsletter"
            }
            return event
        }

        mutating func batch(_ range: Range<Int>) -> Stats.IngestBatchRequest {
            var request = Stats.IngestBatchRequest()
            request.events = range.map { event($0) }
            return request
        }
    }

    static func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
    }

    static func seconds(since start: UInt64) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    static func run(host: String, port: Int, total: Int, unary: Int, queries: Int, days: Int) async throws {
        let client = RPCClient(target: SocketAddress(host: host, port: port))
        let ingest = Stats.IngestClient(channel: client)
        let stats = Stats.StatsClient(channel: client)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let end = now - now % hour
        let start = end - Int64(days) * day
        var source = EventSource(start: start, span: Int64(days) * day, total: total)
        var rows: [Row] = []

        // 1. IngestBatch, 1,000 events per call, `inFlight` calls kept in flight (batches prepared first).
        let unaryBatches = (0..<(unary / 1000)).map { source.batch($0 * 1000..<($0 + 1) * 1000) }
        var latencies: [Double] = []
        var accepted = 0
        let unaryStart = DispatchTime.now().uptimeNanoseconds
        try await withThrowingTaskGroup(of: (Double, Int).self) { group in
            func call(_ batch: Stats.IngestBatchRequest) {
                group.addTask {
                    let callStart = DispatchTime.now().uptimeNanoseconds
                    let response = try await ingest.ingestBatch(batch)
                    return (seconds(since: callStart) * 1000, Int(response.accepted))
                }
            }
            var pending = unaryBatches.makeIterator()
            for _ in 0..<inFlight { if let batch = pending.next() { call(batch) } }
            while let (latency, count) = try await group.next() {
                latencies.append(latency)
                accepted += count
                if let batch = pending.next() { call(batch) }
            }
        }
        let unarySeconds = seconds(since: unaryStart)
        latencies.sort()
        rows.append(
            Row(
                operation: "IngestBatch, 1,000 events/call, \(inFlight) in flight", calls: unaryBatches.count,
                perSecond: String(format: "%.0f events/s", Double(accepted) / unarySeconds),
                p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99)))

        // 2. The rest through IngestStream, 10,000 events per message, one stream per 1M events.
        var streamed = 0
        let streamStart = DispatchTime.now().uptimeNanoseconds
        var next = unaryBatches.count * 1000
        var streamLatencies: [Double] = []
        while next < total {
            let chunkEnd = min(total, next + 1_000_000)
            let batches = stride(from: next, to: chunkEnd, by: 10_000).map {
                source.batch($0..<min(chunkEnd, $0 + 10_000))
            }
            let callStart = DispatchTime.now().uptimeNanoseconds
            let response = try await ingest.ingestStream { writer in
                for batch in batches { try await writer.write(batch) }
            }
            streamLatencies.append(seconds(since: callStart) * 1000)
            streamed += Int(response.accepted)
            next = chunkEnd
        }
        if streamed > 0 {
            let streamSeconds = seconds(since: streamStart)
            streamLatencies.sort()
            rows.append(
                Row(
                    operation: "IngestStream, 10,000 events/message (incl. client encoding)",
                    calls: streamLatencies.count, perSecond: String(format: "%.0f events/s", Double(streamed) / streamSeconds),
                    p50: percentile(streamLatencies, 0.5), p99: percentile(streamLatencies, 0.99)))
        }

        // 3. Queries over the 30 days.
        var range = Stats.TimeRange()
        range.startUnixMs = start
        range.endUnixMs = end
        var summary = Stats.SummaryRequest()
        summary.range = range
        var series = Stats.SeriesRequest()
        series.range = range
        series.figure = .uniqueVisitors
        series.bucket = .day
        series.timeZone = "Europe/Paris"
        var top = Stats.TopRequest()
        top.range = range
        top.kind = .products
        var lastSummary = Stats.SummaryResponse()
        for (name, call) in [
            ("GetSummary, \(days) days", { lastSummary = try await stats.getSummary(summary) }),
            ("GetSeries, unique visitors by Paris day, \(days) days", { _ = try await stats.getSeries(series) }),
            ("GetTop, products, \(days) days", { _ = try await stats.getTop(top) }),
        ] as [(String, () async throws -> Void)] {
            try await call()  // warm-up
            var times: [Double] = []
            let queryStart = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<queries {
                let callStart = DispatchTime.now().uptimeNanoseconds
                try await call()
                times.append(seconds(since: callStart) * 1000)
            }
            let elapsed = seconds(since: queryStart)
            times.sort()
            rows.append(
                Row(
                    operation: name, calls: queries, perSecond: String(format: "%.0f calls/s", Double(queries) / elapsed),
                    p50: percentile(times, 0.5), p99: percentile(times, 0.99)))
        }
        await client.close()

        let figures = lastSummary.current ?? Stats.Figures()
        let exact = source.visitors.count
        let error = exact == 0 ? 0 : Double(figures.uniqueVisitors - Int64(exact)) / Double(exact) * 100
        print("stats benchmark: \(accepted + streamed) events stored over \(days) days")
        print(
            "\(days)-day summary: visits \(figures.visits), page views \(figures.pageViews), sales \(figures.sales), "
                + "unique visitors \(figures.uniqueVisitors) (exactly \(exact): "
                + String(format: "%+.2f%%", error) + ")")
        print("")
        print("| operation | calls | rate | p50 ms | p99 ms |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for row in rows {
            print(
                "| \(row.operation) | \(row.calls) | \(row.perSecond) | \(String(format: "%.2f", row.p50)) | "
                    + "\(String(format: "%.2f", row.p99)) |")
        }
    }
}
