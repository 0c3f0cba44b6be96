import BackofficeAPI
import Crypto
import Foundation
import OrdersService
import ProtoRuntime
import RPC
import ServiceRuntime
import Storage
import TestSupport

/// Callers the tests act as.
enum TestPrincipals {
    /// A sales clerk: orders.read, orders.write, orders.refund, catalog.write.
    static let sales = staff("staff-sales", permissions: ["orders.read", "orders.write", "orders.refund", "catalog.write"])

    /// Staff with `permissions` only.
    static func staff(_ id: String, permissions: [String]) -> Auth.Principal {
        var principal = Auth.Principal()
        principal.subjectId = id
        principal.kind = .staff
        principal.permissions = permissions
        return principal
    }

    /// The customer `id`.
    static func customer(_ id: String) -> Auth.Principal {
        var principal = Auth.Principal()
        principal.subjectId = id
        principal.kind = .customer
        principal.roles = ["customer"]
        return principal
    }
}

/// A channel that signs every call for one principal, as the gateway would.
struct PrincipalChannel: RPCChannel {
    let base: any RPCChannel
    let principal: Auth.Principal
    let signer: PrincipalSigner

    private func signed(_ method: MethodDescriptor, _ options: CallOptions) -> CallOptions {
        var signed = CallOptions.forwarding(principal, method: method, signer: signer, timeout: options.timeout ?? .seconds(20))
        for (key, value) in options.metadata { signed.metadata[key] = value }
        return signed
    }

    func unary<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: MethodDescriptor, _ request: Request, options: CallOptions
    ) async throws -> Response {
        try await base.unary(method, request, options: signed(method, options))
    }

    func serverStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: MethodDescriptor, _ request: Request, options: CallOptions,
        onResponse: @escaping @Sendable (Response) async throws -> Void
    ) async throws {
        try await base.serverStreaming(method, request, options: signed(method, options), onResponse: onResponse)
    }

    func clientStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: MethodDescriptor, options: CallOptions,
        requests: @escaping @Sendable (RequestWriter<Request>) async throws -> Void
    ) async throws -> Response {
        try await base.clientStreaming(method, options: signed(method, options), requests: requests)
    }
}

/// Clients of the three services, signed for one principal.
struct OrdersClients {
    let catalog: Orders.CatalogClient
    let orders: Orders.OrdersClient
    let returns: Orders.ReturnsClient

    init(_ channel: any RPCChannel, as principal: Auth.Principal, signer: PrincipalSigner) {
        let signed = PrincipalChannel(base: channel, principal: principal, signer: signer)
        catalog = Orders.CatalogClient(channel: signed)
        orders = Orders.OrdersClient(channel: signed)
        returns = Orders.ReturnsClient(channel: signed)
    }
}

/// The orders providers in process, over TCP, behind the real signature check, on a fresh
/// database with a clock the test moves.
final class OrdersFixture: Sendable {
    static let start: Int64 = 1_800_000_000_000
    let directory: String
    let store: OrdersStore
    let signer = PrincipalSigner(key: SecretKey.random())
    /// The store's clock.
    let clock: Locked<Int64>

    private init(directory: String, store: OrdersStore, clock: Locked<Int64>) {
        self.directory = directory
        self.store = store
        self.clock = clock
    }

    /// Runs `body` with a fixture and a connected client; cleans up afterwards.
    static func with(
        configuration: OrdersConfiguration = OrdersConfiguration(
            pricing: PricingRules(taxRateBasisPoints: 2000, shippingMinor: 500, freeShippingFromMinor: 0)),
        _ body: (OrdersFixture, RPCClient) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("orders-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = Locked<Int64>(start)
        let store = try await OrdersStore.open(
            path: directory + "/orders.sqlite", configuration: configuration, clock: { clock.value })
        let fixture = OrdersFixture(directory: directory, store: store, clock: clock)
        let relay = OutboxRelay(store: store) { _ in throw RPCError(.unavailable, "no stats in this test") }
        let services: [any RPCService] = [
            CatalogProvider(store: store), OrdersProvider(store: store, relay: relay), ReturnsProvider(store: store),
        ]
        try await TestServer.with(
            services: services,
            configure: { $0.interceptors.insert(TrustedCallerInterceptor(signer: fixture.signer), at: 0) }
        ) { _, address in
            try await TestServer.withClient(address) { client in
                try await body(fixture, client)
            }
        }
        await store.database.close()
    }

    /// Moves the store's clock forward.
    func advance(days: Int64) {
        clock.withLock { $0 += days * 86_400_000 }
    }

    /// Clients signed for `principal`.
    func clients(_ client: RPCClient, as principal: Auth.Principal = TestPrincipals.sales) -> OrdersClients {
        OrdersClients(client, as: principal, signer: signer)
    }

    /// Row counts of every table and each product's stock level: equal before and after a refused
    /// request means nothing was written.
    func snapshot() async throws -> [String: Int64] {
        try await store.database.read { connection in
            var counts: [String: Int64] = [:]
            for table in [
                "products", "stock_adjustments", "orders", "order_lines", "payments", "refunds", "order_timeline", "returns",
                "outbox",
            ] {
                counts[table] = try connection.queryOne("SELECT COUNT(*) AS n FROM \(table)")!.int64("n")
            }
            for row in try connection.query("SELECT sku, stock_level FROM products") {
                counts["stock:" + (try row.string("sku"))] = try row.int64("stock_level")
            }
            for row in try connection.query("SELECT id, status, paid_minor, refunded_minor FROM orders") {
                let id = try row.string("id")
                counts["status:" + id] = try row.int64("status")
                counts["paid:" + id] = try row.int64("paid_minor")
                counts["refunded:" + id] = try row.int64("refunded_minor")
            }
            return counts
        }
    }

    /// The event ids waiting in the outbox, oldest first.
    func outboxEventIDs() async throws -> [String] {
        try await store.database.read { connection in
            try connection.query("SELECT event_id FROM outbox ORDER BY sequence").map { try $0.string("event_id") }
        }
    }
}

extension OrdersClients {
    /// Creates (or replaces) a product with `stock` units.
    @discardableResult
    func product(_ sku: String, priceMinor: Int64, currency: String = "EUR", stock: Int64 = 0) async throws -> Orders.Product {
        var request = Orders.UpsertProductRequest()
        request.sku = sku
        request.name = "Product \(sku)"
        request.priceMinor = priceMinor
        request.currency = currency
        request.active = true
        var product = try await catalog.upsertProduct(request)
        if stock != 0 {
            var adjust = Orders.AdjustStockRequest()
            adjust.sku = sku
            adjust.delta = stock
            adjust.reason = "initial stock"
            product.stockLevel = try await catalog.adjustStock(adjust).level
        }
        return product
    }

    /// Creates an order of `lines` (SKU, quantity) for `customer` with `key`.
    func order(
        _ lines: [(String, Int64)], customer: String = "cust-1", key: String = UUID().uuidString
    ) async throws -> Orders.Order {
        var request = Orders.CreateOrderRequest()
        request.customerId = customer
        request.idempotencyKey = key
        request.lines = lines.map { sku, quantity in
            var line = Orders.OrderLineRequest()
            line.sku = sku
            line.quantity = quantity
            return line
        }
        return try await orders.createOrder(request)
    }

    /// Records a payment of `amount` in `currency`.
    func pay(
        _ order: Orders.Order, amount: Int64? = nil, currency: String? = nil, key: String = UUID().uuidString
    ) async throws -> Orders.Order {
        var request = Orders.RecordPaymentRequest()
        request.orderId = order.orderId
        request.amountMinor = amount ?? order.totalMinor - order.paidMinor
        request.currency = currency ?? order.currency
        request.method = "card"
        request.providerReference = "psp-\(key.prefix(8))"
        request.idempotencyKey = key
        return try await orders.recordPayment(request)
    }

    /// Refunds `amount`.
    func refund(_ order: Orders.Order, amount: Int64, key: String = UUID().uuidString) async throws -> Orders.Order {
        var request = Orders.RefundOrderRequest()
        request.orderId = order.orderId
        request.amountMinor = amount
        request.reason = "goodwill"
        request.idempotencyKey = key
        return try await orders.refund(request)
    }

    /// Ships then delivers a paid order.
    func shipAndDeliver(_ order: Orders.Order) async throws -> Orders.Order {
        var ship = Orders.ShipOrderRequest()
        ship.orderId = order.orderId
        ship.carrier = "DHL"
        ship.trackingNumber = "TRACK-1"
        _ = try await orders.ship(ship)
        var deliver = Orders.OrderTransitionRequest()
        deliver.orderId = order.orderId
        return try await orders.deliver(deliver)
    }

    /// Requests the return of `lines`.
    func requestReturn(_ order: Orders.Order, _ lines: [(String, Int64)]) async throws -> Orders.Return {
        var request = Orders.RequestReturnRequest()
        request.orderId = order.orderId
        request.reason = "does not fit"
        request.lines = lines.map { sku, quantity in
            var line = Orders.OrderLineRequest()
            line.sku = sku
            line.quantity = quantity
            return line
        }
        return try await returns.requestReturn(request)
    }
}

/// Runs `body`, which must fail with an `RPCError`, and returns that error.
func expectRPCError(_ body: () async throws -> Void) async throws -> RPCError {
    do {
        try await body()
    } catch let error as RPCError {
        return error
    }
    throw RPCError(.unknown, "the call succeeded but should have failed")
}
