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
    let key: SecretKey
    let process: ServiceProcess
    var signer: PrincipalSigner { PrincipalSigner(key: key) }

    init(extraArguments: [String] = []) async throws {
        directory =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("stats-process-\(UUID().uuidString)").path
        key = SecretKey.random()
        process = try await Self.start(directory: directory, key: key, extraArguments: extraArguments)
    }

    /// A second process over the data directory of `previous` (after it was stopped or killed).
    init(restarting previous: StatsProcessFixture) async throws {
        directory = previous.directory
        key = previous.key
        process = try await Self.start(directory: directory, key: key, extraArguments: [])
    }

    private static func start(directory: String, key: SecretKey, extraArguments: [String]) async throws -> ServiceProcess {
        try await ServiceProcess(
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

    /// Whether the data directory is deleted on release (not while another process uses it).
    var removesDirectory = true

    deinit {
        process.stop()
        if removesDirectory { try? FileManager.default.removeItem(atPath: directory) }
    }
}

/// `backoffice-stats` as a real process: signed ingestion with de-duplication, figures, refusals.
@Suite(.timeLimit(.minutes(1)))
struct StatsProcessTests {
    let t0 = StatsFixture.march1 + 10 * StatsFixture.hour
    let orders = StatsProcessFixture.ordersService

    @Test func helpDocumentsTheSettings() async throws {
        let result = try await ServiceProcess.runToCompletion("backoffice-stats", arguments: ["--help"])
        #expect(result.status == 0)
        for flag in ["--data-dir", "--max-batch-events", "--raw-retention", "--dedupe-retention", "--live-interval"] {
            #expect(result.stdout.contains(flag))
        }
    }

    @Test func aDedupeRetentionShorterThanTheRawRetentionIsRefusedAtStart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stats-flags-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try await ServiceProcess.runToCompletion(
            "backoffice-stats",
            arguments: [
                "--listen", "127.0.0.1:0", "--data-dir", directory, "--raw-retention", "48h", "--dedupe-retention", "24h",
            ])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--dedupe-retention must be at least --raw-retention"))
        #expect(!result.stdout.contains("LISTENING"))
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

    @Test func acknowledgedEventsSurviveSigkillAndAreStillRecognisedAsDuplicates() async throws {
        let first = try await StatsProcessFixture()
        first.removesDirectory = false
        var batch = Stats.IngestBatchRequest()
        batch.events = [.sale("k-1", at: t0, amount: 700), .sale("k-2", at: t0 + 1, amount: 300)]
        let stored = try await TestServer.withClient(first.process.address) { client in
            try await Stats.IngestClient(channel: client).ingestBatch(
                batch, options: first.options(orders, Stats.IngestService.ingestBatch))
        }
        #expect(stored.accepted == 2)
        first.process.signal(SIGKILL)
        #expect(await first.process.waitForExit(timeout: 10) != nil)

        let second = try await StatsProcessFixture(restarting: first)
        try await TestServer.withClient(second.process.address) { client in
            let again = try await Stats.IngestClient(channel: client).ingestBatch(
                batch, options: second.options(orders, Stats.IngestService.ingestBatch))
            #expect((again.accepted, again.duplicates) == (0, 2))
            var summary = Stats.SummaryRequest()
            var range = Stats.TimeRange()
            range.startUnixMs = t0
            range.endUnixMs = t0 + StatsFixture.hour
            summary.range = range
            let figures = try await Stats.StatsClient(channel: client).getSummary(
                summary, options: second.options(StatsProcessFixture.analyst, Stats.StatsService.getSummary))
            #expect(figures.current?.sales == 2)
            #expect(figures.current?.revenue.first?.grossMinor == 1000)
        }
    }

    @Test func aStreamStopsAtABatchOverTheLimitAndKeepsTheBatchesBeforeIt() async throws {
        let fixture = try await StatsProcessFixture(extraArguments: ["--max-batch-events", "3"])
        try await TestServer.withClient(fixture.process.address) { client in
            var small = Stats.IngestBatchRequest()
            small.events = [.visit("a", at: t0), .visit("b", at: t0)]
            var big = Stats.IngestBatchRequest()
            big.events = (0..<4).map { .visit("big-\($0)", at: t0) }
            let batches = [small, big]
            let options = fixture.options(orders, Stats.IngestService.ingestStream)
            let error = await #expect(throws: RPCError.self) {
                _ = try await Stats.IngestClient(channel: client).ingestStream(options: options) { writer in
                    for batch in batches { try await writer.write(batch) }
                }
            }
            #expect(error?.code == .invalidArgument)
            #expect(error?.fieldViolations.map(\.field) == ["events"])
            var retry = Stats.IngestBatchRequest()
            retry.events = small.events + [.visit("c", at: t0)]
            let after = try await Stats.IngestClient(channel: client).ingestBatch(
                retry, options: fixture.options(orders, Stats.IngestService.ingestBatch))
            #expect(after.results.map(\.outcome) == [.duplicate, .duplicate, .accepted])
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
