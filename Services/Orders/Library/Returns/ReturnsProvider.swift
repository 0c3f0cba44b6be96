import AccessControl
import BackofficeAPI
import RPC

/// Serves `backoffice.orders.Returns`. Customers request returns on their own orders; staff need
/// `orders.write` to request and handle them and `orders.refund` to refund them.
public struct ReturnsProvider: Orders.ReturnsHandler {
    /// The service's data.
    public let store: OrdersStore

    /// A provider over `store`.
    public init(store: OrdersStore) {
        self.store = store
    }

    /// Requests the return of delivered lines: customers on their own orders, staff with `orders.write`.
    public func requestReturn(_ request: Orders.RequestReturnRequest, context: ServerContext) async throws -> Orders.Return {
        let caller = try OrdersAccess.caller(context)
        var validator = RequestValidator()
        validator.text(request.orderId, "order_id", maxLength: RequestValidator.maxKeyLength)
        validator.lines(request.lines, "lines")
        validator.text(request.reason, "reason")
        try validator.check()
        return try await store.requestReturn(
            orderReference: request.orderId, lines: request.lines, reason: request.reason, actor: caller.actor
        ) { customerID in
            try caller.requireOwnerOr(.ordersWrite, customerID: customerID, what: "orders")
        }
    }

    /// Requested -> approved.
    public func approveReturn(_ request: Orders.ReturnDecisionRequest, context: ServerContext) async throws -> Orders.Return {
        let caller = try OrdersAccess.caller(context)
        try Self.validate(request.returnId, reason: request.reason)
        return try await store.approveReturn(request.returnId, reason: request.reason, actor: caller.actor)
    }

    /// Requested -> rejected.
    public func rejectReturn(_ request: Orders.ReturnDecisionRequest, context: ServerContext) async throws -> Orders.Return {
        let caller = try OrdersAccess.caller(context)
        try Self.validate(request.returnId, reason: request.reason)
        return try await store.rejectReturn(request.returnId, reason: request.reason, actor: caller.actor)
    }

    /// Approved -> received, restocking when asked.
    public func receiveReturn(_ request: Orders.ReceiveReturnRequest, context: ServerContext) async throws -> Orders.Return {
        let caller = try OrdersAccess.caller(context)
        try Self.validate(request.returnId, reason: request.reason)
        return try await store.receiveReturn(
            request.returnId, restock: request.restock, reason: request.reason, actor: caller.actor)
    }

    /// Received -> refunded: refunds the returned lines.
    public func refundReturn(_ request: Orders.ReturnDecisionRequest, context: ServerContext) async throws -> Orders.Return {
        let caller = try OrdersAccess.caller(context)
        try Self.validate(request.returnId, reason: request.reason)
        return try await store.refundReturn(request.returnId, reason: request.reason, actor: caller.actor)
    }

    /// One return: its order's customer, or staff with `orders.read`.
    public func getReturn(_ request: Orders.GetReturnRequest, context: ServerContext) async throws -> Orders.Return {
        let caller = try OrdersAccess.caller(context)
        try Self.validate(request.returnId, reason: "")
        return try await store.returnRequest(request.returnId) { customerID in
            try caller.requireOwnerOr(.ordersRead, customerID: customerID, what: "returns")
        }
    }

    private static func validate(_ id: String, reason: String) throws {
        var validator = RequestValidator()
        validator.text(id, "return_id", maxLength: RequestValidator.maxKeyLength)
        validator.text(reason, "reason", required: false)
        try validator.check()
    }
}
