import BackofficeAPI
import Crypto
import Foundation
import Glibc
import RPC
import ServiceRuntime
import Testing
import TestSupport

/// The real `backoffice-orders` and the real `backoffice-stats` together: statistics is killed
/// (SIGKILL) while orders are paid and refunded, the orders service is killed too, both restart,
/// and the statistics then count every sale and refund exactly once.
@Suite(.timeLimit(.minutes(1)))
struct OrdersStatsProcessTests {
    static let analyst = TestPrincipals.staff("staff-analyst", permissions: ["stats.read"])

    @Test func statsCountsMatchTheOrdersAfterKills() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("orders-stats-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let key = SecretKey.random()
        let signer = PrincipalSigner(key: key)
        let environment = ["BACKOFFICE_ORDERS_INTERNAL_KEY": key.exportHex(), "BACKOFFICE_STATS_INTERNAL_KEY": key.exportHex()]

        func startStats(listen: String) async throws -> ServiceProcess {
            try await ServiceProcess(
                "backoffice-stats", arguments: ["--listen", listen, "--data-dir", root + "/stats"], environment: environment)
        }
        let stats = try await startStats(listen: "127.0.0.1:0")
        defer { stats.stop() }
        let statsAddress = stats.address
        func startOrders() async throws -> ServiceProcess {
            try await ServiceProcess(
                "backoffice-orders",
                arguments: [
                    "--data-dir", root + "/orders", "--stats", statsAddress.description, "--outbox-retry-initial", "20ms",
                    "--outbox-retry-max", "200ms",
                ], environment: environment)
        }

        var totals: [Int64] = []
        var refunds: [Int64] = []
        /// Creates and pays `count` orders, refunding `refund` on the first of them.
        func sell(_ staff: OrdersClients, count: Int, refund: Int64?) async throws {
            for index in 0..<count {
                let order = try await staff.pay(try await staff.order([("A", 1 + Int64(index % 3)), ("B", 1)]))
                #expect(order.status == .paid)
                totals.append(order.totalMinor)
                if index == 0, let refund {
                    _ = try await staff.refund(order, amount: refund)
                    refunds.append(refund)
                }
            }
        }

        // 1. Both up.
        let orders = try await startOrders()
        defer { orders.stop() }
        try await TestServer.withClient(orders.address) { client in
            let staff = OrdersClients(client, as: TestPrincipals.sales, signer: signer)
            try await staff.product("A", priceMinor: 1250, stock: 100)
            try await staff.product("B", priceMinor: 399, stock: 100)
            try await sell(staff, count: 4, refund: 300)
        }
        // 2. Statistics killed; orders keep succeeding.
        stats.signal(SIGKILL)
        #expect(await stats.waitForExit(timeout: 10) != nil)
        try await TestServer.withClient(orders.address) { client in
            let staff = OrdersClients(client, as: TestPrincipals.sales, signer: signer)
            try await sell(staff, count: 3, refund: 450)
        }
        // 3. The orders service killed too, and restarted while statistics is still down.
        orders.signal(SIGKILL)
        #expect(await orders.waitForExit(timeout: 10) != nil)
        let restarted = try await startOrders()
        defer { restarted.stop() }
        try await TestServer.withClient(restarted.address) { client in
            let staff = OrdersClients(client, as: TestPrincipals.sales, signer: signer)
            try await sell(staff, count: 2, refund: 125)
            // 4. Statistics back on the same address; the outbox drains.
            let statsAgain = try await startStats(listen: statsAddress.description)
            defer { statsAgain.stop() }
            let status = try await OrdersProcessTests.waitForOutbox(staff) { $0.pending == 0 }
            #expect(status.pending == 0)
            #expect(status.rejected == 0)

            try await TestServer.withClient(statsAgain.address) { statsClient in
                let figures = Stats.StatsClient(channel: PrincipalChannel(base: statsClient, principal: Self.analyst, signer: signer))
                var range = Stats.TimeRange()
                range.startUnixMs = 1
                range.endUnixMs = Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000
                var request = Stats.SummaryRequest()
                request.range = range
                let summary = try #require(try await figures.getSummary(request).current)
                #expect(summary.sales == Int64(totals.count))
                #expect(summary.refunds == Int64(refunds.count))
                let euro = try #require(summary.revenue.first { $0.currency == "EUR" })
                #expect(euro.sales == 9)
                #expect(euro.grossMinor == totals.reduce(0, +))
                #expect(euro.refunds == 3)
                #expect(euro.refundedMinor == 300 + 450 + 125)
                #expect(euro.netMinor == totals.reduce(0, +) - 875)
                #expect(summary.customEvents == 9)  // one "order_placed" per order
            }
        }
    }
}
