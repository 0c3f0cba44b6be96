// `backoffice-bench orders`: order creation against a running backoffice-orders (see
// Scripts/bench-orders.sh). Each call creates one two-line order (stock reserved, totals, timeline,
// outbox event) in one committed transaction; the service answers only after the commit.
import BackofficeAPI
import Crypto
import Foundation
import RPC
import ServiceRuntime

/// Drives `Orders/CreateOrder` with `outstanding` calls in flight over `connections` connections
/// for `seconds` (after `warmup`), signing each call as a sales clerk with `keyHex`, and prints one
/// `RESULT` line like the echo load.
func ordersLoad(
    target: SocketAddress, keyHex: String, connections: Int, outstanding: Int, seconds: Double, warmup: Double
) async throws {
    let signer = PrincipalSigner(key: try SecretKey(hex: keyHex))
    let clerk = {
        var clerk = Auth.Principal()
        clerk.subjectId = "bench-clerk"
        clerk.kind = .staff
        clerk.permissions = ["orders.write", "orders.read", "catalog.write"]
        return clerk
    }()
    let clients = (0..<connections).map { _ in RPCClient(target: target) }
    let catalog = Orders.CatalogClient(channel: clients[0])

    for sku in ["BENCH-A", "BENCH-B"] {
        var product = Orders.UpsertProductRequest()
        product.sku = sku
        product.name = "Benchmark \(sku)"
        product.priceMinor = 1999
        product.currency = "EUR"
        product.active = true
        _ = try await catalog.upsertProduct(
            product, options: .forwarding(clerk, method: Orders.CatalogService.upsertProduct, signer: signer))
        var stock = Orders.AdjustStockRequest()
        stock.sku = sku
        stock.delta = 100_000_000
        stock.reason = "benchmark stock"
        _ = try await catalog.adjustStock(
            stock, options: .forwarding(clerk, method: Orders.CatalogService.adjustStock, signer: signer))
    }

    let ordersClients = clients.map { Orders.OrdersClient(channel: $0) }
    var lineA = Orders.OrderLineRequest()
    lineA.sku = "BENCH-A"
    lineA.quantity = 1
    var lineB = lineA
    lineB.sku = "BENCH-B"
    lineB.quantity = 2
    let result = try await runClosedLoop(
        clients: clients, outstanding: outstanding, seconds: seconds, warmup: warmup, expectedRate: 5_000
    ) { [lineA, lineB] worker, sequence in
        let number = sequence * outstanding + worker
        var request = Orders.CreateOrderRequest()
        request.customerId = "bench-customer-\(number % 1000)"
        request.idempotencyKey = "bench-\(worker)-\(number)"
        request.lines = [lineA, lineB]
        // Signing is part of the client's cost, as at the gateway; it is measured too.
        _ = try await ordersClients[worker % ordersClients.count].createOrder(
            request, options: .forwarding(clerk, method: Orders.OrdersService.createOrder, signer: signer))
    }
    print(result.resultLine(rate: "orders_per_s"))
    for client in clients { await client.close() }
}
