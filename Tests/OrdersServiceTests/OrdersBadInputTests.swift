import BackofficeAPI
import Foundation
import OrdersService
import RPC
import Testing
import TestSupport

/// Every bad input the issue lists: its status and message (or field violations), and that
/// nothing was written (every table's row count, stock levels and order amounts unchanged).
@Suite(.timeLimit(.minutes(1)))
struct OrdersBadInputTests {
    /// Runs `body` with a catalogue of A (10.00 EUR, 5 in stock), B (2.50 EUR, 20) and U (1.00 USD, 5).
    func withCatalogue(_ body: (OrdersFixture, OrdersClients) async throws -> Void) async throws {
        try await OrdersFixture.with { fixture, client in
            let staff = fixture.clients(client)
            try await staff.product("A", priceMinor: 1000, stock: 5)
            try await staff.product("B", priceMinor: 250, stock: 20)
            try await staff.product("U", priceMinor: 100, currency: "USD", stock: 5)
            try await body(fixture, staff)
        }
    }

    /// Expects `body` to fail with `code`, a message containing `text`, and no change to the data.
    func expectRefused(
        _ fixture: OrdersFixture, _ code: StatusCode, containing text: String, field: String? = nil,
        _ body: () async throws -> Void
    ) async throws {
        let before = try await fixture.snapshot()
        let error = try await expectRPCError(body)
        #expect(error.code == code, "\(error)")
        #expect(error.message.contains(text), "\(error.message)")
        if let field {
            #expect(error.fieldViolations.map(\.field) == [field], "\(error.fieldViolations)")
        }
        let after = try await fixture.snapshot()
        #expect(after == before)
    }

    @Test func unknownSKU() async throws {
        try await withCatalogue { fixture, staff in
            try await expectRefused(fixture, .invalidArgument, containing: "unknown SKU NOPE", field: "lines[1].sku") {
                _ = try await staff.order([("A", 1), ("NOPE", 1)])
            }
        }
    }

    @Test(arguments: [0 as Int64, -3])
    func zeroOrNegativeQuantity(quantity: Int64) async throws {
        try await withCatalogue { fixture, staff in
            try await expectRefused(fixture, .invalidArgument, containing: "must be positive", field: "lines[0].quantity") {
                _ = try await staff.order([("A", quantity)])
            }
        }
    }

    @Test func quantityOverStock() async throws {
        try await withCatalogue { fixture, staff in
            try await expectRefused(fixture, .failedPrecondition, containing: "not enough stock for SKU A: 6 requested, 5 available") {
                _ = try await staff.order([("B", 2), ("A", 6)])
            }
        }
    }

    @Test func mixedCurrencies() async throws {
        try await withCatalogue { fixture, staff in
            try await expectRefused(fixture, .invalidArgument, containing: "U is priced in USD", field: "lines[1].sku") {
                _ = try await staff.order([("A", 1), ("U", 1)])
            }
        }
    }

    @Test func paymentInAnotherCurrency() async throws {
        try await withCatalogue { fixture, staff in
            let order = try await staff.order([("A", 1)])
            try await expectRefused(fixture, .invalidArgument, containing: "order's currency, EUR", field: "currency") {
                _ = try await staff.pay(order, currency: "USD")
            }
        }
    }

    @Test(arguments: [0 as Int64, -1])
    func aPaymentOfZeroOrLess(amount: Int64) async throws {
        try await withCatalogue { fixture, staff in
            let order = try await staff.order([("A", 1)])
            try await expectRefused(fixture, .invalidArgument, containing: "must be positive", field: "amount_minor") {
                _ = try await staff.pay(order, amount: amount)
            }
        }
    }

    @Test func refundOverWhatWasPaid() async throws {
        try await withCatalogue { fixture, staff in
            let order = try await staff.pay(try await staff.order([("A", 1)]))
            let refunded = try await staff.refund(order, amount: 100)
            #expect(refunded.refundedMinor == 100)
            try await expectRefused(fixture, .failedPrecondition, containing: "exceeds what order \(order.number) has left to refund") {
                _ = try await staff.refund(order, amount: order.totalMinor - 99)
            }
        }
    }

    @Test func returnOutsideTheWindow() async throws {
        try await withCatalogue { fixture, staff in
            let order = try await staff.shipAndDeliver(try await staff.pay(try await staff.order([("A", 2)])))
            fixture.advance(days: 31)
            try await expectRefused(fixture, .failedPrecondition, containing: "return window of 30 days") {
                _ = try await staff.requestReturn(order, [("A", 1)])
            }
        }
    }

    @Test func returnOfLinesNeverDelivered() async throws {
        try await withCatalogue { fixture, staff in
            let paid = try await staff.pay(try await staff.order([("A", 2)]))
            try await expectRefused(fixture, .failedPrecondition, containing: "only delivered lines can be returned") {
                _ = try await staff.requestReturn(paid, [("A", 1)])
            }
            let delivered = try await staff.shipAndDeliver(paid)
            try await expectRefused(fixture, .invalidArgument, containing: "B was not delivered", field: "lines[0].sku") {
                _ = try await staff.requestReturn(delivered, [("B", 1)])
            }
            try await expectRefused(fixture, .invalidArgument, containing: "at most 2 can be returned", field: "lines[0].quantity") {
                _ = try await staff.requestReturn(delivered, [("A", 3)])
            }
        }
    }

    @Test func aCustomerReadingSomeoneElsesOrder() async throws {
        try await OrdersFixture.with { fixture, client in
            let staff = fixture.clients(client)
            try await staff.product("A", priceMinor: 1000, stock: 5)
            let order = try await staff.order([("A", 1)], customer: "cust-alice")
            let mallory = fixture.clients(client, as: TestPrincipals.customer("cust-mallory"))
            var get = Orders.GetOrderRequest()
            get.orderId = order.orderId
            try await expectRefused(fixture, .permissionDenied, containing: "customers may only act on their own orders") {
                _ = try await mallory.orders.getOrder(get)
            }
            var list = Orders.ListOrdersRequest()
            list.customerId = "cust-alice"
            try await expectRefused(fixture, .permissionDenied, containing: "their own orders") {
                _ = try await mallory.orders.listOrders(list)
            }
            try await expectRefused(fixture, .permissionDenied, containing: "their own orders") {
                _ = try await mallory.requestReturn(order, [("A", 1)])
            }
            // Alice herself reads it, and her listing holds only her orders.
            let alice = fixture.clients(client, as: TestPrincipals.customer("cust-alice"))
            #expect(try await alice.orders.getOrder(get).orderId == order.orderId)
            let own = try await alice.orders.listOrders(Orders.ListOrdersRequest())
            #expect(own.orders.map(\.orderId) == [order.orderId])
            #expect(try await mallory.orders.listOrders(Orders.ListOrdersRequest()).orders.isEmpty)
        }
    }

    @Test func cancellingAnOrderThatStillHoldsPaymentsIsRefusedUntilTheyAreRefunded() async throws {
        try await withCatalogue { fixture, staff in
            let paid = try await staff.pay(try await staff.order([("A", 1)]))
            var cancel = Orders.OrderTransitionRequest()
            cancel.orderId = paid.orderId
            cancel.reason = "out of stock at the warehouse"
            let message =
                "order \(paid.number) still holds \(paid.paidMinor) \(paid.currency) of payments: refund them before cancelling it"
            try await expectRefused(fixture, .failedPrecondition, containing: message) {
                _ = try await staff.orders.cancel(cancel)
            }
            // Part of the money back is not enough; all of it is.
            let partly = try await staff.refund(paid, amount: 1)
            try await expectRefused(fixture, .failedPrecondition, containing: "still holds \(paid.paidMinor - 1) \(paid.currency)") {
                _ = try await staff.orders.cancel(cancel)
            }
            _ = try await staff.refund(partly, amount: paid.paidMinor - 1)
            let cancelled = try await staff.orders.cancel(cancel)
            #expect(cancelled.status == .cancelled)
            #expect(cancelled.refundedMinor == cancelled.paidMinor)
        }
    }

    @Test func invalidTransitions() async throws {
        try await withCatalogue { fixture, staff in
            let order = try await staff.order([("A", 1)])
            try await expectRefused(fixture, .failedPrecondition, containing: "order \(order.number) is pending: it cannot be shipped") {
                var ship = Orders.ShipOrderRequest()
                ship.orderId = order.orderId
                ship.carrier = "DHL"
                ship.trackingNumber = "T1"
                _ = try await staff.orders.ship(ship)
            }
            var request = Orders.OrderTransitionRequest()
            request.orderId = order.orderId
            try await expectRefused(fixture, .failedPrecondition, containing: "is pending: it cannot be delivered") {
                _ = try await staff.orders.deliver(request)
            }
            _ = try await staff.orders.cancel(request)
            try await expectRefused(fixture, .failedPrecondition, containing: "is cancelled: it cannot be cancelled") {
                _ = try await staff.orders.cancel(request)
            }
            try await expectRefused(fixture, .failedPrecondition, containing: "is cancelled: it takes no more payments") {
                _ = try await staff.pay(order)
            }
        }
    }

    @Test func reusedIdempotencyKeyWithAnotherBody() async throws {
        try await withCatalogue { fixture, staff in
            let first = try await staff.order([("A", 1)], key: "key-1")
            let retried = try await staff.order([("A", 1)], key: "key-1")
            #expect(retried.orderId == first.orderId)
            #expect(retried.number == first.number)
            try await expectRefused(fixture, .failedPrecondition, containing: "idempotency key key-1 was already used") {
                _ = try await staff.order([("A", 2)], key: "key-1")
            }
            let paid = try await staff.pay(first, key: "pay-1")
            #expect(try await staff.pay(first, key: "pay-1").payments.count == 1)
            try await expectRefused(fixture, .failedPrecondition, containing: "idempotency key pay-1 was already used") {
                _ = try await staff.pay(paid, amount: 1, key: "pay-1")
            }
        }
    }

    @Test func callersWithoutThePermissionAreRefused() async throws {
        try await OrdersFixture.with { fixture, client in
            let reader = fixture.clients(client, as: TestPrincipals.staff("staff-reader", permissions: ["orders.read"]))
            try await expectRefused(fixture, .permissionDenied, containing: "catalog.write is required") {
                try await reader.product("A", priceMinor: 1)
            }
            try await expectRefused(fixture, .permissionDenied, containing: "orders.write is required") {
                _ = try await reader.order([("A", 1)])
            }
        }
    }
}

/// Calls without a verified caller, and customers on staff-only methods.
@Suite(.timeLimit(.minutes(1)))
struct OrdersAccessTests {
    @Test func withoutAPrincipalOnlyTheCatalogueCanBeRead() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("orders-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try await OrdersStore.open(path: directory + "/orders.sqlite", configuration: OrdersConfiguration())
        // No TrustedCallerInterceptor: a process without --internal-key.
        try await TestServer.with(services: [CatalogProvider(store: store), OrdersProvider(store: store, relay: nil)]) { _, address in
            try await TestServer.withClient(address) { client in
                let products = try await Orders.CatalogClient(channel: client).listProducts(Orders.ListProductsRequest())
                #expect(products.products.isEmpty)
                let error = try await expectRPCError {
                    _ = try await Orders.OrdersClient(channel: client).listOrders(Orders.ListOrdersRequest())
                }
                #expect(error.code == .unauthenticated)
                #expect(error.message == "ListOrders needs an authenticated caller")
            }
        }
        await store.database.close()
    }

    @Test func customersCannotExportOrPay() async throws {
        try await OrdersFixture.with { fixture, client in
            let staff = fixture.clients(client)
            try await staff.product("A", priceMinor: 100, stock: 5)
            let order = try await staff.order([("A", 1)], customer: "cust-1")
            let customer = fixture.clients(client, as: TestPrincipals.customer("cust-1"))
            let before = try await fixture.snapshot()
            let export = try await expectRPCError {
                try await customer.orders.exportOrders(Orders.ListOrdersRequest()) { _ in }
            }
            #expect(export.code == .permissionDenied)
            #expect(export.message == "orders.read is required")
            let pay = try await expectRPCError { _ = try await customer.pay(order) }
            #expect(pay.code == .permissionDenied)
            #expect(pay.message == "orders.write is required")
            let after = try await fixture.snapshot()
            #expect(after == before)
        }
    }
}
