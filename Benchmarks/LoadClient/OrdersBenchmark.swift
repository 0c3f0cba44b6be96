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

    let phase = PhaseFlag()
    let stats = (0..<outstanding).map { _ in WorkerStats() }
    let workers = (0..<outstanding).map { index -> Task<Void, Never> in
        let client = clients[index % clients.count]
        let orders = Orders.OrdersClient(channel: client)
        let stat = stats[index]
        return Task(executorPreference: client.eventLoops[0]) {
            var lineA = Orders.OrderLineRequest()
            lineA.sku = "BENCH-A"
            lineA.quantity = 1
            var lineB = lineA
            lineB.sku = "BENCH-B"
            lineB.quantity = 2
            var sent = 0
            while true {
                let current = phase.current
                if current == .done { return }
                sent += 1
                let number = sent * outstanding + index
                var request = Orders.CreateOrderRequest()
                request.customerId = "bench-customer-\(number % 1000)"
                request.idempotencyKey = "bench-\(index)-\(number)"
                request.lines = [lineA, lineB]
                // Signing is part of the client's cost, as at the gateway; it is measured too.
                let start = DispatchTime.now().uptimeNanoseconds
                do {
                    _ = try await orders.createOrder(
                        request, options: .forwarding(clerk, method: Orders.OrdersService.createOrder, signer: signer))
                    if current == .measuring { stat.latenciesNanos.append(DispatchTime.now().uptimeNanoseconds - start) }
                } catch {
                    if current == .measuring { stat.errors += 1 }
                }
            }
        }
    }
    try await Task.sleep(for: .milliseconds(Int(warmup * 1000)))
    let measureStart = DispatchTime.now().uptimeNanoseconds
    phase.set(.measuring)
    try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
    phase.set(.done)
    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - measureStart) / 1e9
    for worker in workers { await worker.value }

    var all = stats.flatMap(\.latenciesNanos)
    all.sort()
    let errors = stats.reduce(0) { $0 + $1.errors }
    func percentile(_ p: Double) -> Double {
        guard !all.isEmpty else { return 0 }
        return Double(all[min(all.count - 1, Int(Double(all.count) * p))]) / 1000
    }
    print(
        String(
            format: "RESULT orders_per_s=%.1f p50_us=%.1f p99_us=%.1f calls=%d errors=%d",
            Double(all.count) / elapsed, percentile(0.50), percentile(0.99), all.count, errors))
    for client in clients { await client.close() }
}
