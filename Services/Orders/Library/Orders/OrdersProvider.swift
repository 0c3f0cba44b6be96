import AccessControl
import BackofficeAPI
import RPC

/// Serves `backoffice.orders.Orders`. Customers create and read their own orders only; staff act
/// by their permissions (`orders.read`, `orders.write`, `orders.refund`).
public struct OrdersProvider: Orders.OrdersHandler {
    /// The service's data.
    public let store: OrdersStore
    /// The outbox relay, for `GetOutboxStatus`; nil when none runs.
    public let relay: OutboxRelay?

    /// A provider over `store`.
    public init(store: OrdersStore, relay: OutboxRelay?) {
        self.store = store
        self.relay = relay
    }

    /// Creates an order: customers for themselves, staff with `orders.write` for anyone.
    public func createOrder(_ request: Orders.CreateOrderRequest, context: ServerContext) async throws -> Orders.Order {
        let caller = try OrdersAccess.caller(context)
        let customerID = caller.isCustomer && request.customerId.isEmpty ? caller.actor : request.customerId
        var validator = RequestValidator()
        validator.text(customerID, "customer_id", maxLength: RequestValidator.maxKeyLength)
        validator.lines(request.lines, "lines")
        validator.text(request.idempotencyKey, "idempotency_key", maxLength: RequestValidator.maxKeyLength)
        try validator.check()
        try caller.requireOwnerOr(.ordersWrite, customerID: customerID, what: "orders")
        return try await store.createOrder(
            customerID: customerID, lines: request.lines, idempotencyKey: request.idempotencyKey, actor: caller.actor)
    }

    /// One order in full: its customer, or staff with `orders.read`.
    public func getOrder(_ request: Orders.GetOrderRequest, context: ServerContext) async throws -> Orders.Order {
        let caller = try OrdersAccess.caller(context)
        try Self.validateReference(request.orderId)
        return try await store.order(request.orderId) { customerID in
            try caller.requireOwnerOr(.ordersRead, customerID: customerID, what: "orders")
        }
    }

    /// A page of orders: customers see only their own, staff need `orders.read`.
    public func listOrders(_ request: Orders.ListOrdersRequest, context: ServerContext) async throws -> Orders.ListOrdersResponse {
        let caller = try OrdersAccess.caller(context)
        var filter = try OrderFilter(request: request)
        if caller.isCustomer {
            try caller.requireOwnerOr(.ordersRead, customerID: filter.customerID ?? caller.actor, what: "orders")
            filter.customerID = caller.actor
        } else {
            try caller.requireOwnerOr(.ordersRead, customerID: "", what: "orders")
        }
        let page = try await store.orders(
            matching: filter, pageSize: request.pageSize == 0 ? 50 : Int(request.pageSize),
            after: request.pageToken.isEmpty ? nil : request.pageToken)
        var response = Orders.ListOrdersResponse()
        response.orders = page.orders
        response.nextPageToken = page.nextPageToken ?? ""
        return response
    }

    /// The filtered orders as CSV lines, header first.
    public func exportOrders(
        _ request: Orders.ListOrdersRequest, responses: ResponseWriter<Orders.CsvLine>, context: ServerContext
    ) async throws {
        _ = try OrdersAccess.caller(context)
        let filter = try OrderFilter(request: request)
        var token: String? = nil
        var line = Orders.CsvLine()
        line.line = OrdersCSV.header
        try await responses.write(line)
        repeat {
            let page = try await store.orders(matching: filter, pageSize: 500, after: token)
            for order in page.orders {
                line.line = OrdersCSV.line(for: order)
                try await responses.write(line)
            }
            token = page.nextPageToken
        } while token != nil
    }

    /// Records a payment in the order's currency; the order becomes paid when covered.
    public func recordPayment(_ request: Orders.RecordPaymentRequest, context: ServerContext) async throws -> Orders.Order {
        let caller = try OrdersAccess.caller(context)
        var validator = RequestValidator()
        validator.text(request.orderId, "order_id", maxLength: RequestValidator.maxKeyLength)
        validator.require(request.amountMinor > 0, "amount_minor", "must be positive")
        validator.currency(request.currency, "currency")
        validator.text(request.method, "method", maxLength: 64)
        validator.text(request.providerReference, "provider_reference", required: false)
        validator.text(request.idempotencyKey, "idempotency_key", maxLength: RequestValidator.maxKeyLength)
        try validator.check()
        return try await store.recordPayment(
            orderReference: request.orderId, amountMinor: request.amountMinor, currency: request.currency,
            method: request.method, providerReference: request.providerReference, idempotencyKey: request.idempotencyKey,
            actor: caller.actor)
    }

    /// Paid -> shipped, with carrier and tracking number.
    public func ship(_ request: Orders.ShipOrderRequest, context: ServerContext) async throws -> Orders.Order {
        let caller = try OrdersAccess.caller(context)
        var validator = RequestValidator()
        validator.text(request.orderId, "order_id", maxLength: RequestValidator.maxKeyLength)
        validator.text(request.carrier, "carrier", maxLength: 64)
        validator.text(request.trackingNumber, "tracking_number", maxLength: 128)
        validator.text(request.reason, "reason", required: false)
        try validator.check()
        return try await store.ship(
            orderReference: request.orderId, carrier: request.carrier, trackingNumber: request.trackingNumber,
            reason: request.reason, actor: caller.actor)
    }

    /// Shipped -> delivered.
    public func deliver(_ request: Orders.OrderTransitionRequest, context: ServerContext) async throws -> Orders.Order {
        let caller = try OrdersAccess.caller(context)
        try Self.validate(request)
        return try await store.deliver(orderReference: request.orderId, reason: request.reason, actor: caller.actor)
    }

    /// Pending or paid -> cancelled, releasing the stock.
    public func cancel(_ request: Orders.OrderTransitionRequest, context: ServerContext) async throws -> Orders.Order {
        let caller = try OrdersAccess.caller(context)
        try Self.validate(request)
        return try await store.cancel(orderReference: request.orderId, reason: request.reason, actor: caller.actor)
    }

    /// Refunds an amount or lines, never more than was paid.
    public func refund(_ request: Orders.RefundOrderRequest, context: ServerContext) async throws -> Orders.Order {
        let caller = try OrdersAccess.caller(context)
        var validator = RequestValidator()
        validator.text(request.orderId, "order_id", maxLength: RequestValidator.maxKeyLength)
        if request.lines.isEmpty {
            validator.require(request.amountMinor > 0, "amount_minor", "must be positive (or give lines)")
        } else {
            validator.require(request.amountMinor == 0, "amount_minor", "must be 0 when lines are given")
            validator.lines(request.lines, "lines")
        }
        validator.text(request.reason, "reason")
        validator.text(request.idempotencyKey, "idempotency_key", maxLength: RequestValidator.maxKeyLength)
        try validator.check()
        return try await store.refund(
            orderReference: request.orderId, amountMinor: request.amountMinor, lines: request.lines, reason: request.reason,
            idempotencyKey: request.idempotencyKey, actor: caller.actor)
    }

    /// What waits in the outbox towards statistics.
    public func getOutboxStatus(_ request: Orders.GetOutboxStatusRequest, context: ServerContext) async throws -> Orders.OutboxStatus {
        _ = try OrdersAccess.caller(context)
        guard let relay else { throw RPCError(.unavailable, "no outbox relay runs in this process") }
        return try await relay.status()
    }

    private static func validate(_ request: Orders.OrderTransitionRequest) throws {
        var validator = RequestValidator()
        validator.text(request.orderId, "order_id", maxLength: RequestValidator.maxKeyLength)
        validator.text(request.reason, "reason", required: false)
        try validator.check()
    }

    private static func validateReference(_ reference: String) throws {
        var validator = RequestValidator()
        validator.text(reference, "order_id", maxLength: RequestValidator.maxKeyLength)
        try validator.check()
    }
}

/// The CSV export of orders: RFC 4180 quoting, amounts in minor units.
enum OrdersCSV {
    /// The first line of every export.
    static let header =
        "number,order_id,customer_id,status,payment_status,currency,subtotal_minor,shipping_minor,tax_minor,total_minor,paid_minor,refunded_minor,created_at_unix_ms"

    /// One order's line.
    static func line(for order: Orders.Order) -> String {
        [
            order.number, order.orderId, order.customerId, OrderStateMachine.name(of: order.status),
            paymentName(order.paymentStatus), order.currency, String(order.subtotalMinor), String(order.shippingMinor),
            String(order.taxMinor), String(order.totalMinor), String(order.paidMinor), String(order.refundedMinor),
            String(order.createdAtUnixMs),
        ].map(quote).joined(separator: ",")
    }

    /// `field`, quoted when it holds a comma, quote or line break (quotes doubled).
    static func quote(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    private static func paymentName(_ status: Orders.PaymentStatus) -> String {
        switch status {
        case .unpaid: "unpaid"
        case .partiallyPaid: "partially_paid"
        case .paid: "paid"
        case .partiallyRefunded: "partially_refunded"
        case .refunded: "refunded"
        default: "unknown"
        }
    }
}
