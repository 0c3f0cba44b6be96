import BackofficeAPI
import OrdersService
import RPC
import Testing
import TestSupport

/// The happy paths over TCP: totals, the life cycle with its timeline, payments, refunds,
/// returns with restocking, cancelling, listing with filters and pages, the CSV export, and the
/// events queued in the outbox.
@Suite(.timeLimit(.minutes(1)))
struct OrdersFlowTests {
    @Test func anOrderGoesThroughItsLifeAndQueuesItsEvents() async throws {
        try await OrdersFixture.with { fixture, client in
            let staff = fixture.clients(client)
            try await staff.product("A", priceMinor: 333, stock: 10)
            try await staff.product("B", priceMinor: 1, stock: 10)
            let customer = fixture.clients(client, as: TestPrincipals.customer("cust-7"))
            var create = Orders.CreateOrderRequest()
            create.idempotencyKey = "k1"
            create.lines = [("A", 3 as Int64), ("B", 1)].map { sku, quantity in
                var line = Orders.OrderLineRequest()
                line.sku = sku
                line.quantity = quantity
                return line
            }
            let order = try await customer.orders.createOrder(create)
            #expect(order.customerId == "cust-7")
            #expect(order.number == "BO-000001")
            #expect(order.status == .pending)
            #expect(order.paymentStatus == .unpaid)
            #expect(order.fulfilmentStatus == .unfulfilled)
            #expect(order.subtotalMinor == 1000)
            #expect(order.shippingMinor == 500)
            #expect(order.taxMinor == 200 + 0 + 100)
            #expect(order.totalMinor == 1800)
            #expect(order.lines.map(\.taxMinor) == [200, 0])
            #expect(try await staff.catalog.getProduct(Self.sku("A")).stockLevel == 7)

            let partly = try await staff.pay(order, amount: 800)
            #expect(partly.status == .pending)
            #expect(partly.paymentStatus == .partiallyPaid)
            let paid = try await staff.pay(partly)
            #expect(paid.status == .paid)
            #expect(paid.paymentStatus == .paid)
            #expect(paid.paidMinor == 1800)

            let delivered = try await staff.shipAndDeliver(paid)
            #expect(delivered.status == .delivered)
            #expect(delivered.fulfilmentStatus == .delivered)
            #expect(delivered.shipment?.carrier == "DHL")
            #expect(delivered.timeline.map(\.event) == ["placed", "payment", "payment", "paid", "shipped", "delivered"])
            #expect(delivered.timeline.allSatisfy { $0.atUnixMs == OrdersFixture.start })
            #expect(delivered.timeline[3].fromStatus == .pending)
            #expect(delivered.timeline[3].toStatus == .paid)
            #expect(delivered.timeline[4].actor == "staff-sales")

            let requested = try await customer.requestReturn(delivered, [("A", 1)])
            #expect(requested.status == .requested)
            var decision = Orders.ReturnDecisionRequest()
            decision.returnId = requested.returnId
            #expect(try await staff.returns.approveReturn(decision).status == .approved)
            var receive = Orders.ReceiveReturnRequest()
            receive.returnId = requested.returnId
            receive.restock = true
            #expect(try await staff.returns.receiveReturn(receive).restocked)
            #expect(try await staff.catalog.getProduct(Self.sku("A")).stockLevel == 8)
            let refundedReturn = try await staff.returns.refundReturn(decision)
            #expect(refundedReturn.status == .refunded)
            #expect(refundedReturn.refundMinor == 399)  // (999 + 200) / 3, rounded down

            var get = Orders.GetOrderRequest()
            get.orderId = order.number
            let final = try await customer.orders.getOrder(get)
            #expect(final.refundedMinor == 399)
            #expect(final.paymentStatus == .partiallyRefunded)
            #expect(final.lines[0].refundedQuantity == 1)
            #expect(final.returns.map(\.status) == [.refunded])
            let refundID = try #require(final.refunds.first?.refundId)
            #expect(
                try await fixture.outboxEventIDs() == [
                    "order:\(order.orderId):placed", "order:\(order.orderId):paid", "refund:\(refundID)",
                ])
        }
    }

    @Test func aFreeOrderIsPaidAsItIsPlacedAndItsReturnNeedsNoRefund() async throws {
        let free = OrdersConfiguration(pricing: PricingRules(taxRateBasisPoints: 2000, shippingMinor: 0, freeShippingFromMinor: 0))
        try await OrdersFixture.with(configuration: free) { fixture, client in
            let staff = fixture.clients(client)
            try await staff.product("SAMPLE", priceMinor: 0, stock: 3)
            let order = try await staff.order([("SAMPLE", 2)], key: "free-1")
            #expect(order.totalMinor == 0)
            #expect(order.status == .paid)
            #expect(order.paymentStatus == .paid)
            #expect(order.fulfilmentStatus == .unfulfilled)
            #expect(order.timeline.map(\.event) == ["placed", "paid"])
            #expect(order.timeline.map(\.toStatus) == [.pending, .paid])
            #expect(order.timeline[1].reason == "nothing to pay")
            #expect(order.lines.map(\.quantity) == [2])
            #expect(try await staff.catalog.getProduct(Self.sku("SAMPLE")).stockLevel == 1)
            // Read back, it is the same order; retried, it is not placed again.
            var get = Orders.GetOrderRequest()
            get.orderId = order.orderId
            #expect(try await staff.orders.getOrder(get) == order)
            #expect(try await staff.order([("SAMPLE", 2)], key: "free-1") == order)
            #expect(try await fixture.outboxEventIDs() == ["order:\(order.orderId):placed", "order:\(order.orderId):paid"])
            let delivered = try await staff.shipAndDeliver(order)
            #expect(delivered.status == .delivered)
            // Its lines are worth nothing: refunding them is refused, and their return ends
            // without a refund.
            var refund = Orders.RefundOrderRequest()
            refund.orderId = order.orderId
            refund.lines = [Orders.OrderLineRequest()]
            refund.lines[0].sku = "SAMPLE"
            refund.lines[0].quantity = 1
            refund.reason = "goodwill"
            refund.idempotencyKey = "free-refund"
            let error = try await expectRPCError { _ = try await staff.orders.refund(refund) }
            #expect(error.code == .failedPrecondition)
            #expect(error.message.contains("worth 0 EUR on order \(order.number): there is nothing to refund"), "\(error.message)")
            let requested = try await staff.requestReturn(delivered, [("SAMPLE", 1)])
            var decision = Orders.ReturnDecisionRequest()
            decision.returnId = requested.returnId
            _ = try await staff.returns.approveReturn(decision)
            var receive = Orders.ReceiveReturnRequest()
            receive.returnId = requested.returnId
            _ = try await staff.returns.receiveReturn(receive)
            let refunded = try await staff.returns.refundReturn(decision)
            #expect(refunded.status == .refunded)
            #expect(refunded.refundMinor == 0)
            #expect(refunded.refundId.isEmpty)
            let final = try await staff.orders.getOrder(get)
            #expect(final.refunds.isEmpty)
            #expect(final.lines[0].refundedQuantity == 1)
            #expect(final.paymentStatus == .paid)
        }
    }

    @Test func cancellingReleasesTheStockAndIsRecorded() async throws {
        try await OrdersFixture.with { fixture, client in
            let staff = fixture.clients(client)
            try await staff.product("A", priceMinor: 1000, stock: 4)
            let order = try await staff.order([("A", 3)])
            #expect(try await staff.catalog.getProduct(Self.sku("A")).stockLevel == 1)
            var cancel = Orders.OrderTransitionRequest()
            cancel.orderId = order.orderId
            cancel.reason = "customer changed their mind"
            let cancelled = try await staff.orders.cancel(cancel)
            #expect(cancelled.status == .cancelled)
            #expect(cancelled.fulfilmentStatus == .none)
            #expect(cancelled.timeline.last?.reason == "customer changed their mind")
            var stock = Orders.GetStockRequest()
            stock.sku = "A"
            let level = try await staff.catalog.getStock(stock)
            #expect(level.level == 4)
            #expect(level.adjustments.map(\.delta) == [3, -3, 4])
            #expect(level.adjustments[0].reason == "released by cancelling order \(order.number)")
            #expect(level.adjustments[1].actor == "staff-sales")
            #expect(try await fixture.outboxEventIDs().last == "order:\(order.orderId):cancelled")
        }
    }

    @Test func refundsByLineAreCappedByTheLine() async throws {
        try await OrdersFixture.with { fixture, client in
            let staff = fixture.clients(client)
            try await staff.product("A", priceMinor: 1000, stock: 4)
            let order = try await staff.pay(try await staff.order([("A", 2)]))
            var request = Orders.RefundOrderRequest()
            request.orderId = order.orderId
            request.reason = "damaged"
            request.idempotencyKey = "r1"
            var line = Orders.OrderLineRequest()
            line.sku = "A"
            line.quantity = 2
            request.lines = [line]
            let refunded = try await staff.orders.refund(request)
            #expect(refunded.refundedMinor == 2400)
            #expect(try await staff.orders.refund(request).refunds.count == 1)  // a retry refunds once
            request.idempotencyKey = "r2"
            request.lines[0].quantity = 1
            let error = try await expectRPCError { _ = try await staff.orders.refund(request) }
            #expect(error.code == .failedPrecondition)
            #expect(error.message.contains("only 0 unit(s) of A"))
        }
    }

    @Test func listingFiltersAndPagesAndExportsCSV() async throws {
        try await OrdersFixture.with { fixture, client in
            let staff = fixture.clients(client)
            try await staff.product("A", priceMinor: 100, stock: 100)
            var created: [Orders.Order] = []
            for index in 0..<5 {
                created.append(try await staff.order([("A", 1)], customer: index % 2 == 0 ? "even" : "odd"))
                fixture.clock.withLock { $0 += 1000 }
            }
            _ = try await staff.pay(created[4])
            var request = Orders.ListOrdersRequest()
            request.pageSize = 2
            var seen: [String] = []
            repeat {
                let page = try await staff.orders.listOrders(request)
                #expect(page.orders.count <= 2)
                seen += page.orders.map(\.number)
                request.pageToken = page.nextPageToken
            } while !request.pageToken.isEmpty
            #expect(seen == created.reversed().map(\.number))

            var filtered = Orders.ListOrdersRequest()
            filtered.customerId = "even"
            #expect(try await staff.orders.listOrders(filtered).orders.count == 3)
            filtered.status = .paid
            #expect(try await staff.orders.listOrders(filtered).orders.map(\.number) == [created[4].number])
            var byTime = Orders.ListOrdersRequest()
            byTime.createdFromUnixMs = OrdersFixture.start + 1000
            byTime.createdToUnixMs = OrdersFixture.start + 3000
            #expect(try await staff.orders.listOrders(byTime).orders.map(\.number) == [created[2].number, created[1].number])
            var byNumber = Orders.ListOrdersRequest()
            byNumber.number = created[3].number
            #expect(try await staff.orders.listOrders(byNumber).orders.map(\.orderId) == [created[3].orderId])

            var bad = Orders.ListOrdersRequest()
            bad.pageToken = "not-a-token"
            let error = try await expectRPCError { _ = try await staff.orders.listOrders(bad) }
            #expect(error.code == .invalidArgument)
            #expect(error.fieldViolations.map(\.field) == ["page_token"])

            let lines = Locked<[String]>([])
            var export = Orders.ListOrdersRequest()
            export.customerId = "even"
            try await staff.orders.exportOrders(export) { line in lines.withLock { $0.append(line.line) } }
            let csv = lines.value
            #expect(csv.count == 4)
            #expect(csv[0].hasPrefix("number,order_id,customer_id,status"))
            #expect(
                csv[1]
                    == "\(created[4].number),\(created[4].orderId),even,paid,paid,EUR,100,500,120,720,720,0,\(OrdersFixture.start + 4000)")
        }
    }

    static func sku(_ sku: String) -> Orders.GetProductRequest {
        var request = Orders.GetProductRequest()
        request.sku = sku
        return request
    }
}
