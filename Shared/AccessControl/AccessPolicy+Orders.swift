import BackofficeAPI

extension AccessPolicy {
    /// The orders service (orders.proto). Customer-facing methods are `.authenticated`: the
    /// service lets customers act on their own orders only and asks staff for `orders.read` or
    /// `orders.write` (object-level checks in `OrdersAccess`).
    static let orders: [MethodRule] = [
        MethodRule(Orders.CatalogService.upsertProduct, .permission(.catalogWrite), readOnly: false),
        MethodRule(Orders.CatalogService.getProduct, .public, readOnly: true),
        MethodRule(Orders.CatalogService.listProducts, .public, readOnly: true),
        MethodRule(Orders.CatalogService.adjustStock, .permission(.catalogWrite), readOnly: false),
        MethodRule(Orders.CatalogService.getStock, .permission(.ordersRead), readOnly: true),
        MethodRule(Orders.OrdersService.createOrder, .authenticated, readOnly: false),
        MethodRule(Orders.OrdersService.getOrder, .authenticated, readOnly: true),
        MethodRule(Orders.OrdersService.listOrders, .authenticated, readOnly: true),
        MethodRule(Orders.OrdersService.exportOrders, .permission(.ordersRead), readOnly: true),
        MethodRule(Orders.OrdersService.recordPayment, .permission(.ordersWrite), readOnly: false),
        MethodRule(Orders.OrdersService.ship, .permission(.ordersWrite), readOnly: false),
        MethodRule(Orders.OrdersService.deliver, .permission(.ordersWrite), readOnly: false),
        MethodRule(Orders.OrdersService.cancel, .permission(.ordersWrite), readOnly: false),
        MethodRule(Orders.OrdersService.refund, .permission(.ordersRefund), readOnly: false),
        MethodRule(Orders.OrdersService.getOutboxStatus, .permission(.ordersRead), readOnly: true),
        MethodRule(Orders.ReturnsService.requestReturn, .authenticated, readOnly: false),
        MethodRule(Orders.ReturnsService.approveReturn, .permission(.ordersWrite), readOnly: false),
        MethodRule(Orders.ReturnsService.rejectReturn, .permission(.ordersWrite), readOnly: false),
        MethodRule(Orders.ReturnsService.receiveReturn, .permission(.ordersWrite), readOnly: false),
        MethodRule(Orders.ReturnsService.refundReturn, .permission(.ordersRefund), readOnly: false),
        MethodRule(Orders.ReturnsService.getReturn, .authenticated, readOnly: true),
    ]
}
