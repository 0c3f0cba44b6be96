import BackofficeAPI
import Crypto
import Foundation
import Glibc
import OrdersService
import RPC
import ServiceRuntime
import Testing
import TestSupport

/// `backoffice-orders` as a real process over TCP: flags, stock under concurrency, and the
/// outbox towards statistics (unreachable, flaky, killed).
@Suite(.timeLimit(.minutes(1)))
struct OrdersProcessTests {
    /// A data directory and an internal key for one test's processes.
    final class Environment: Sendable {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("orders-process-\(UUID().uuidString)").path
        let key = SecretKey.random()
        /// A port held without listening for as long as the environment lives: calls to it are
        /// refused at once, and no other test's server can take it meanwhile.
        private let down: RawListener
        var signer: PrincipalSigner { PrincipalSigner(key: key) }
        /// An address nothing listens on.
        var unreachable: SocketAddress { down.address }

        init() throws { down = try RawListener(accepting: false) }

        /// Starts the orders service sending its events to `stats`.
        func start(stats: SocketAddress) async throws -> ServiceProcess {
            try await ServiceProcess(
                "backoffice-orders",
                arguments: [
                    "--data-dir", directory, "--stats", stats.description, "--outbox-retry-initial", "20ms",
                    "--outbox-retry-max", "200ms", "--shipping-minor", "0", "--tax-rate-bp", "0",
                ],
                environment: ["BACKOFFICE_ORDERS_INTERNAL_KEY": key.exportHex()])
        }

        deinit { try? FileManager.default.removeItem(atPath: directory) }
    }

    @Test func helpDocumentsTheSettings() async throws {
        let result = try await ServiceProcess.runToCompletion("backoffice-orders", arguments: ["--help"])
        #expect(result.status == 0)
        for flag in ["--data-dir", "--stats", "BACKOFFICE_ORDERS_STATS", "--tax-rate-bp", "--return-window-days", "--[no-]returns"] {
            #expect(result.stdout.contains(flag), "\(flag)")
        }
    }

    @Test func fiftyConcurrentOrdersForTheLastTenUnits() async throws {
        let environment = try Environment()
        let orders = try await environment.start(stats: environment.unreachable)
        defer { orders.stop() }
        try await TestServer.withClient(orders.address, configure: { $0.connections = 4 }) { client in
            let staff = OrdersClients(client, as: TestPrincipals.sales, signer: environment.signer)
            try await staff.product("LAST", priceMinor: 1000, stock: 10)
            let outcomes = try await withThrowingTaskGroup(of: Result<Orders.Order, RPCError>.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        do {
                            return .success(try await staff.order([("LAST", 1)], customer: "c\(index)"))
                        } catch let error as RPCError {
                            return .failure(error)
                        }
                    }
                }
                var outcomes: [Result<Orders.Order, RPCError>] = []
                for try await outcome in group { outcomes.append(outcome) }
                return outcomes
            }
            let succeeded = outcomes.compactMap { try? $0.get() }
            let failed = outcomes.compactMap { outcome -> RPCError? in
                if case .failure(let error) = outcome { return error }
                return nil
            }
            #expect(succeeded.count == 10)
            #expect(Set(succeeded.map(\.number)).count == 10)
            #expect(failed.count == 40)
            #expect(failed.allSatisfy { $0.code == .failedPrecondition && $0.message.contains("SKU LAST") })
            var get = Orders.GetProductRequest()
            get.sku = "LAST"
            #expect(try await staff.catalog.getProduct(get).stockLevel == 0)
        }
    }

    @Test func eventsWaitWhileStatsIsUnreachableSurviveAKillAndArriveOnce() async throws {
        let environment = try Environment()
        let first = try await environment.start(stats: environment.unreachable)
        defer { first.stop() }
        let placed = try await TestServer.withClient(first.address) { client in
            let staff = OrdersClients(client, as: TestPrincipals.sales, signer: environment.signer)
            try await staff.product("A", priceMinor: 500, stock: 10)
            var orders: [Orders.Order] = []
            for _ in 0..<3 { orders.append(try await staff.pay(try await staff.order([("A", 1)]))) }
            _ = try await staff.refund(orders[0], amount: 200)
            // Every change succeeded; the 3 placed, 3 paid and 1 refund events wait.
            let status = try await Self.waitForOutbox(staff) { $0.pending == 7 && !$0.lastError.isEmpty }
            #expect(status.pending == 7)
            #expect(status.deliveredSinceStart == 0)
            return orders
        }
        first.signal(SIGKILL)
        #expect(await first.waitForExit(timeout: 10) != nil)

        let stats = FakeStats(failingFirst: 0)
        try await TestServer.with(
            services: [stats], configure: { $0.interceptors.insert(TrustedCallerInterceptor(signer: environment.signer), at: 0) }
        ) { _, statsAddress in
            let second = try await environment.start(stats: statsAddress)
            defer { second.stop() }
            let record = try await Self.waitForStats(stats) { $0.accepted.count == 7 }
            #expect(record.accepted.values.allSatisfy { $0 == 1 })
            #expect(Set(record.accepted.keys).isSuperset(of: placed.map { "order:\($0.orderId):paid" }))
            let sale = try #require(record.events["order:\(placed[1].orderId):paid"])
            #expect(sale.type == .sale)
            #expect(sale.amountMinor == 500)
            #expect(sale.items.map(\.sku) == ["A"])
            #expect(record.events.values.filter { $0.type == .refund }.map(\.amountMinor) == [200])
            #expect(record.callers == ["service:backoffice-orders"])
            try await TestServer.withClient(second.address) { client in
                let staff = OrdersClients(client, as: TestPrincipals.sales, signer: environment.signer)
                let status = try await Self.waitForOutbox(staff) { $0.pending == 0 }
                #expect(status.rejected == 0)
            }
        }
    }

    @Test func flakyStatsGetsEveryEventExactlyOnce() async throws {
        let environment = try Environment()
        let stats = FakeStats(failingFirst: 4)
        try await TestServer.with(services: [stats]) { _, statsAddress in
            let orders = try await environment.start(stats: statsAddress)
            defer { orders.stop() }
            try await TestServer.withClient(orders.address) { client in
                let staff = OrdersClients(client, as: TestPrincipals.sales, signer: environment.signer)
                try await staff.product("A", priceMinor: 700, stock: 50)
                var expected: Set<String> = []
                for index in 0..<6 {
                    let order = try await staff.pay(try await staff.order([("A", 2)]))
                    expected.formUnion(["order:\(order.orderId):placed", "order:\(order.orderId):paid"])
                    if index % 2 == 0 {
                        let refunded = try await staff.refund(order, amount: 100 + Int64(index))
                        expected.insert("refund:\(try #require(refunded.refunds.first).refundId)")
                    }
                }
                let record = try await Self.waitForStats(stats) { $0.accepted.count == expected.count }
                #expect(Set(record.accepted.keys) == expected)
                #expect(record.accepted.values.allSatisfy { $0 == 1 })
                #expect(record.calls > 4)
                let sales = record.events.values.filter { $0.type == .sale }
                #expect(sales.count == 6)
                #expect(sales.allSatisfy { $0.amountMinor == 1400 && $0.currency == "EUR" })
                #expect(record.events.values.filter { $0.type == .refund }.map(\.amountMinor).sorted() == [100, 102, 104])
                let status = try await Self.waitForOutbox(staff) { $0.pending == 0 }
                #expect(status.lastError.isEmpty)
            }
        }
    }

    /// Polls the outbox status (at most 10 s) until `condition` holds; returns the last status.
    static func waitForOutbox(
        _ staff: OrdersClients, _ condition: (Orders.OutboxStatus) -> Bool
    ) async throws -> Orders.OutboxStatus {
        var status = Orders.OutboxStatus()
        for _ in 0..<200 {
            status = try await staff.orders.getOutboxStatus(Orders.GetOutboxStatusRequest())
            if condition(status) { return status }
            try await Task.sleep(for: .milliseconds(50))
        }
        return status
    }

    /// Polls the fake's record (at most 10 s) until `condition` holds; returns the last record.
    static func waitForStats(_ stats: FakeStats, _ condition: (FakeStats.Record) -> Bool) async throws -> FakeStats.Record {
        for _ in 0..<200 {
            let record = stats.record.value
            if condition(record) { return record }
            try await Task.sleep(for: .milliseconds(50))
        }
        return stats.record.value
    }
}
