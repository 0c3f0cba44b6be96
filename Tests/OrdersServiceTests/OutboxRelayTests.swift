import BackofficeAPI
import Foundation
import OrdersService
import RPC
import Testing
import TestSupport

/// The relay settles outbox rows only on statistics' answer: failures keep them, accepted and
/// duplicate delete them, rejected ones stay with their reason and are not sent again.
@Suite(.timeLimit(.minutes(1)))
struct OutboxRelayTests {
    /// A store with one product and `orders` orders placed (one outbox event each).
    func withStore(orders: Int, _ body: (OrdersStore) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("outbox-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try await OrdersStore.open(path: directory + "/orders.sqlite", configuration: OrdersConfiguration())
        var product = Orders.UpsertProductRequest()
        product.sku = "A"
        product.name = "A"
        product.priceMinor = 100
        product.currency = "EUR"
        product.active = true
        _ = try await store.upsertProduct(product)
        _ = try await store.adjustStock(sku: "A", delta: 100, reason: "test", actor: "t")
        var line = Orders.OrderLineRequest()
        line.sku = "A"
        line.quantity = 1
        for index in 0..<orders {
            _ = try await store.createOrder(customerID: "c", lines: [line], idempotencyKey: "k\(index)", actor: "t")
        }
        try await body(store)
        await store.database.close()
    }

    static func answer(_ events: [Stats.Event], _ outcomes: [Stats.EventOutcome]) -> Stats.IngestBatchResponse {
        var response = Stats.IngestBatchResponse()
        response.results = zip(events, outcomes).map { event, outcome in
            var result = Stats.EventResult()
            result.eventId = event.eventId
            result.outcome = outcome
            result.reason = outcome == .rejected ? "amount_minor: must not be negative" : ""
            return result
        }
        return response
    }

    @Test func rowsAreSettledOnlyByStatisticsAnswer() async throws {
        try await withStore(orders: 3) { store in
            let outcomes = Locked<[[Stats.EventOutcome]]?>(nil)
            let sent = Locked<[[String]]>([])
            let relay = OutboxRelay(store: store) { events in
                sent.withLock { $0.append(events.map(\.eventId)) }
                guard let answer = outcomes.value else { throw RPCError(.unavailable, "stats down") }
                return Self.answer(events, answer[0])
            }
            await #expect(throws: RPCError.self) { try await relay.deliverBatch() }
            let waiting = try await relay.status()
            #expect(waiting.pending == 3)
            #expect(waiting.lastError.contains("stats down"))

            outcomes.withLock { $0 = [[.accepted, .duplicate, .rejected]] }
            let delivered = try await relay.deliverBatch()
            #expect(delivered == 3)
            let status = try await relay.status()
            #expect(status.pending == 0)
            #expect(status.rejected == 1)
            #expect(status.deliveredSinceStart == 2)
            #expect(status.lastError.isEmpty)
            let again = try await relay.deliverBatch()
            #expect(again == 0)  // the rejected event is not sent again
            #expect(sent.value.count == 2)
            #expect(sent.value[0] == sent.value[1])
        }
    }

    @Test func anAnswerMissingEventsKeepsThemForTheNextAttempt() async throws {
        try await withStore(orders: 2) { store in
            let relay = OutboxRelay(store: store) { events in Self.answer(Array(events.prefix(1)), [.accepted]) }
            await #expect(throws: RPCError.self) { try await relay.deliverBatch() }
            let status = try await relay.status()
            #expect(status.pending == 1)
        }
    }
}
