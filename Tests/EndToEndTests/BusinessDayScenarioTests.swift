import BackofficeAPI
import Foundation
import RPC
import Testing
import TestSupport

/// A day in the business, over the real processes `backoffice up` starts, every call through the
/// gateway: staff are hired, an article is published and read publicly, a customer orders and
/// pays, statistics see the sale, refunds follow the permissions, and the audit trail names who
/// did each act.
@Suite(.timeLimit(.minutes(2)))
struct BusinessDayScenarioTests {
    static let staffPassword = "a long staff password 2026"
    static let customerPassword = "a long customer password 2026"

    @Test func aBusinessDayFromHiringToRefund() async throws {
        try await RunningSuite.with { suite in
            let gateway = RPCClient(target: suite.gateway)
            defer { Task { await gateway.close() } }

            // The admin hires an editor, a sales agent and an analyst.
            try await suite.adminCreated()
            let admin = try await Caller.login("admin", password: RunningSuite.adminPassword, on: gateway)
            let users = Users.UsersClient(channel: gateway)
            var staffIDs: [String: String] = [:]
            for (name, role) in [("edith", "editor"), ("sam", "sales"), ("ana", "analyst")] {
                var request = Users.CreateStaffRequest()
                request.username = name
                request.email = "\(name)@example.com"
                request.password = Self.staffPassword
                request.displayName = name.capitalized
                request.roles = [role]
                staffIDs[name] = try await users.createStaff(request, options: admin.options).id
            }
            let editor = try await Caller.login("edith", password: Self.staffPassword, on: gateway)
            let sales = try await Caller.login("sam@example.com", password: Self.staffPassword, on: gateway)
            let analyst = try await Caller.login("ana", password: Self.staffPassword, on: gateway)
            #expect(editor.userID == staffIDs["edith"] && sales.userID == staffIDs["sam"] && analyst.userID == staffIDs["ana"])

            // The editor writes and publishes an article; the public read returns it, without a login.
            var create = Content.CreateItemRequest()
            create.kind = .article
            var fields = Content.ItemFields()
            fields.title = "Winter sale opens"
            fields.body = "Everything must go."
            fields.locale = "en"
            create.fields = fields
            let article = try await Content.ItemsClient(channel: gateway).createItem(create, options: editor.options)
            var publish = Content.ItemActionRequest()
            publish.id = article.id
            publish.expectedVersion = article.version
            _ = try await Content.WorkflowClient(channel: gateway).publishItem(publish, options: editor.options)
            var read = Content.GetPublishedItemRequest()
            read.slug = "winter-sale-opens"
            read.locale = "en"
            let published = try await Content.PublicContentClient(channel: gateway).getPublishedItem(read)
            #expect(published.id == article.id && published.fields?.body == "Everything must go.")

            // The sales agent stocks a product; a customer registers, orders it, and the payment is recorded.
            var product = Orders.UpsertProductRequest()
            product.sku = "SCARF-1"
            product.name = "Wool scarf"
            product.priceMinor = 2_500
            product.currency = "EUR"
            product.active = true
            let catalog = Orders.CatalogClient(channel: gateway)
            _ = try await catalog.upsertProduct(product, options: sales.options)
            var stock = Orders.AdjustStockRequest()
            stock.sku = "SCARF-1"
            stock.delta = 5
            stock.reason = "delivery"
            _ = try await catalog.adjustStock(stock, options: sales.options)
            var registration = Users.RegisterCustomerRequest()
            registration.username = "carla"
            registration.email = "carla@example.com"
            registration.password = Self.customerPassword
            let customerID = try await users.registerCustomer(registration).id
            let customer = try await Caller.login("carla", password: Self.customerPassword, on: gateway)
            #expect(customer.userID == customerID)
            var order = Orders.CreateOrderRequest()
            order.customerId = customerID
            var line = Orders.OrderLineRequest()
            line.sku = "SCARF-1"
            line.quantity = 2
            order.lines = [line]
            order.idempotencyKey = "carla-first-order"
            let orders = Orders.OrdersClient(channel: gateway)
            let placed = try await orders.createOrder(order, options: customer.options)
            var payment = Orders.RecordPaymentRequest()
            payment.orderId = placed.orderId
            payment.amountMinor = placed.totalMinor
            payment.currency = "EUR"
            payment.method = "card"
            payment.providerReference = "psp-1"
            payment.idempotencyKey = "carla-payment"
            let paid = try await orders.recordPayment(payment, options: sales.options)
            #expect(paid.paidMinor == placed.totalMinor)

            // The analyst sees the sale and its revenue (once the orders outbox has reached stats)...
            let stats = Stats.StatsClient(channel: gateway)
            var summary = Stats.SummaryRequest()
            var range = Stats.TimeRange()
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            range.startUnixMs = now - 3_600_000
            range.endUnixMs = now + 3_600_000
            summary.range = range
            let figures = try await eventually("the sale in stats") { () -> Stats.Figures? in
                let current = try await stats.getSummary(summary, options: analyst.options).current
                return current?.sales == 1 ? current : nil
            }
            #expect(figures.revenue.first { $0.currency == "EUR" }?.grossMinor == placed.totalMinor)

            // ...but cannot refund; the sales agent can.
            var refund = Orders.RefundOrderRequest()
            refund.orderId = placed.orderId
            refund.amountMinor = placed.totalMinor
            refund.reason = "changed her mind"
            refund.idempotencyKey = "carla-refund"
            let denied = await #expect(throws: RPCError.self) { _ = try await orders.refund(refund, options: analyst.options) }
            #expect(denied?.code == .permissionDenied)
            let refunded = try await orders.refund(refund, options: sales.options)
            #expect(refunded.refundedMinor == placed.totalMinor)
            _ = try await eventually("the refund in stats") { () -> Bool? in
                try await stats.getSummary(summary, options: analyst.options).current?.refunds == 1 ? true : nil
            }

            // The audit trail shows each act with its actor.
            let audit = Audit.AuditClient(channel: gateway)
            let expected: [(method: String, actor: String, outcome: String)] = [
                (Users.UsersService.createStaff.fullName, admin.userID, "OK"),
                (Content.ItemsService.createItem.fullName, editor.userID, "OK"),
                (Content.WorkflowService.publishItem.fullName, editor.userID, "OK"),
                (Orders.CatalogService.upsertProduct.fullName, sales.userID, "OK"),
                (Orders.OrdersService.createOrder.fullName, customer.userID, "OK"),
                (Orders.OrdersService.recordPayment.fullName, sales.userID, "OK"),
                (Orders.OrdersService.refund.fullName, analyst.userID, "PERMISSION_DENIED"),
                (Orders.OrdersService.refund.fullName, sales.userID, "OK"),
            ]
            for act in expected {
                var query = Audit.QueryRequest()
                query.method = act.method
                query.actor = act.actor
                query.outcome = act.outcome
                _ = try await eventually("the audit record of \(act.method) by \(act.actor)") { () -> Bool? in
                    try await audit.query(query, options: admin.options).entries.isEmpty ? nil : true
                }
            }
            // The analyst may not read the audit trail.
            let hidden = await #expect(throws: RPCError.self) { _ = try await audit.query(Audit.QueryRequest(), options: analyst.options) }
            #expect(hidden?.code == .permissionDenied)
        }
    }
}
