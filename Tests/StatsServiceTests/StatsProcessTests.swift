import AccessControl
import BackofficeAPI
import Crypto
import Foundation
import Glibc
import RPC
import ServiceRuntime
import Testing
import TestSupport

/// A running `backoffice-stats` with an internal key and a temporary data directory.
final class StatsProcessFixture {
    let directory: String
    let key = SecretKey.random()
    let process: ServiceProcess
    var signer: PrincipalSigner { PrincipalSigner(key: key) }

    init(extraArguments: [String] = []) async throws {
        directory =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("stats-process-\(UUID().uuidString)").path
        process = try await ServiceProcess(
            "backoffice-stats",
            arguments: ["--listen", "127.0.0.1:0", "--data-dir", directory, "--internal-key", key.exportHex()]
                + extraArguments)
    }

    /// Options signed for `method` on behalf of `principal`.
    func options(_ principal: Auth.Principal, _ method: MethodDescriptor) -> CallOptions {
        CallOptions.forwarding(principal, method: method, signer: signer)
    }

    /// The orders service, as it calls to send events.
    static let ordersService = Auth.Principal.service(named: "backoffice-orders")

    /// A staff member with the analyst role.
    static let analyst: Auth.Principal = {
        var principal = Auth.Principal()
        principal.subjectId = "u_analyst"
        principal.kind = .staff
        principal.roles = ["analyst"]
        principal.permissions = [Permission.statsRead.rawValue]
        return principal
    }()

    deinit {
        process.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// `backoffice-stats` as a real process: signed ingestion with de-duplication, figures, refusals.
@Suite(.timeLimit(.minutes(1)))
struct StatsProcessTests {
    let t0 = StatsFixture.march1 + 10 * StatsFixture.hour

    @Test func helpDocumentsTheSettings() async throws {
        let result = try await ServiceProcess.runToCompletion("backoffice-stats", arguments: ["--help"])
        #expect(result.status == 0)
        for flag in ["--data-dir", "--max-batch-events", "--raw-retention", "--dedupe-retention", "--live-interval"] {
            #expect(result.stdout.contains(flag))
        }
    }

    @Test func batchAndStreamIngestionCountEachEventOnceAndTheSummaryShowsIt() async throws {
        let fixture = try await StatsProcessFixture()
        let orders = StatsProcessFixture.ordersService
        try await TestServer.withClient(fixture.process.address) { client in
            let ingest = Stats.IngestClient(channel: client)
            var batch = Stats.IngestBatchRequest()
            batch.events = [
                .visit("v-1", at: t0, visitor: "a"), .visit("v-2", at: t0 + 1, visitor: "b"),
                .sale("s-1", at: t0 + 2, amount: 2500), .sale("s-2", at: t0 + 3, amount: 1000, currency: "USD"),
                .sale("bad", at: t0 + 4, amount: -1),
            ]
            let first = try await ingest.ingestBatch(batch, options: fixture.options(orders, Stats.IngestService.ingestBatch))
            #expect(first.results.map(\.outcome) == [.accepted, .accepted, .accepted, .accepted, .rejected])
            #expect(first.results.last?.reason == "amount_minor: must not be negative")
            #expect((first.accepted, first.duplicates, first.rejected) == (4, 0, 1))

            // The orders outbox retries: the same events again, plus new ones, on a stream.
            var retry = Stats.IngestBatchRequest()
            retry.events = [.sale("s-1", at: t0 + 2, amount: 2500), .refund("r-1", at: t0 + 5, amount: 500)]
            var more = Stats.IngestBatchRequest()
            more.events = [.sale("s-3", at: t0 + 6, amount: 1500), .sale("s-3", at: t0 + 6, amount: 1500)]
            let batches = [retry, more]
            let streamed = try await ingest.ingestStream(options: fixture.options(orders, Stats.IngestService.ingestStream)) {
                writer in
                for batch in batches { try await writer.write(batch) }
            }
            #expect((streamed.accepted, streamed.duplicates, streamed.rejected) == (2, 2, 0))

            var summary = Stats.SummaryRequest()
            var range = Stats.TimeRange()
            range.startUnixMs = t0 - StatsFixture.hour
            range.endUnixMs = t0 + StatsFixture.hour
            summary.range = range
            summary.compareWithPrevious = true
            let figures = try await Stats.StatsClient(channel: client).getSummary(
                summary, options: fixture.options(StatsProcessFixture.analyst, Stats.StatsService.getSummary))
            let current = try #require(figures.current)
            #expect(current.visits == 2)
            #expect(current.uniqueVisitors == 2)
            #expect(current.sales == 3)
            #expect(current.refunds == 1)
            #expect(current.conversionRate == 1.5)
            let eur = try #require(current.revenue.first { $0.currency == "EUR" })
            #expect((eur.sales, eur.grossMinor, eur.refundedMinor, eur.netMinor) == (2, 4000, 500, 3500))
            #expect(eur.averageBasketMinor == 2000)
            #expect(current.revenue.map(\.currency) == ["EUR", "USD"])
            #expect(figures.previous?.sales == 0)
            #expect(figures.previous?.range?.endUnixMs == range.startUnixMs)
        }
    }

    @Test func unsignedAndUnauthorisedCallsAreRefused() async throws {
        let fixture = try await StatsProcessFixture()
        try await TestServer.withClient(fixture.process.address) { client in
            var batch = Stats.IngestBatchRequest()
            batch.events = [.visit("v-1", at: t0)]
            let ingest = Stats.IngestClient(channel: client)
            let unsigned = await #expect(throws: RPCError.self) { try await ingest.ingestBatch(batch) }
            #expect(unsigned?.code == .unauthenticated)
            let analystOptions = fixture.options(StatsProcessFixture.analyst, Stats.IngestService.ingestBatch)
            let denied = await #expect(throws: RPCError.self) {
                try await ingest.ingestBatch(batch, options: analystOptions)
            }
            #expect(denied?.code == .permissionDenied)
            let accepted = try await ingest.ingestBatch(
                batch, options: fixture.options(StatsProcessFixture.ordersService, Stats.IngestService.ingestBatch))
            #expect(accepted.accepted == 1)
        }
    }

    @Test func aBatchOverTheConfiguredLimitIsRefusedAndTheProcessKeepsServing() async throws {
        let fixture = try await StatsProcessFixture(extraArguments: ["--max-batch-events", "3"])
        let orders = StatsProcessFixture.ordersService
        try await TestServer.withClient(fixture.process.address) { client in
            let ingest = Stats.IngestClient(channel: client)
            var big = Stats.IngestBatchRequest()
            big.events = (0..<4).map { .visit("e\($0)", at: t0) }
            let options = fixture.options(orders, Stats.IngestService.ingestBatch)
            let error = await #expect(throws: RPCError.self) { try await ingest.ingestBatch(big, options: options) }
            #expect(error?.code == .invalidArgument)
            #expect(error?.fieldViolations.map(\.field) == ["events"])
            var small = Stats.IngestBatchRequest()
            small.events = Array(big.events.prefix(3))
            let stored = try await ingest.ingestBatch(small, options: fixture.options(orders, Stats.IngestService.ingestBatch))
            #expect(stored.accepted == 3)
            #expect(stored.duplicates == 0)
        }
    }
}
