import BackofficeAPI
import Storage

/// The orders service's data: the catalogue and stock, orders, payments, refunds and returns, in
/// one SQLite database. Every change is one transaction that also queues its events for
/// statistics in the outbox; stock is reserved in the same transaction, by the database's single
/// writer, so it never goes below zero whatever the concurrency.
public final class OrdersStore: Sendable {
    /// The database.
    public let database: Database
    /// Pricing and returns.
    public let configuration: OrdersConfiguration
    /// Raised after each transaction that queued events.
    public let outboxSignal: OutboxSignal
    let clock: Clock
    /// Order creations, written in shared transactions.
    private let creations: WriteBatcher<NewOrder, Orders.Order>

    /// A store over an open database.
    public init(database: Database, configuration: OrdersConfiguration, clock: @escaping Clock = systemClock) {
        self.database = database
        self.configuration = configuration
        self.clock = clock
        let signal = OutboxSignal()
        self.outboxSignal = signal
        let rules = configuration.pricing
        creations = WriteBatcher(database: database, afterCommit: { signal.notify() }) { connection, request in
            try Self.insert(request, rules: rules, connection: connection)
        }
    }

    /// Opens (and migrates) the database at `path`.
    public static func open(
        path: String, configuration: OrdersConfiguration, clock: @escaping Clock = systemClock
    ) async throws -> OrdersStore {
        let database = try await Database.open(path: path, migrations: OrdersSchema.migrations)
        return OrdersStore(database: database, configuration: configuration, clock: clock)
    }

    /// Runs `body` in a write transaction and wakes the outbox relay once it committed.
    func change<T: Sendable>(_ body: @escaping @Sendable (DatabaseConnection) throws -> T) async throws -> T {
        let result = try await database.write(body)
        outboxSignal.notify()
        return result
    }

    // MARK: - Creating

    /// Creates an order of `lines` for `customerID`, priced from the catalogue now, reserving its
    /// stock. The same `idempotencyKey` (per customer) with the same lines returns the first
    /// order; with other lines it fails with FAILED_PRECONDITION and writes nothing. Concurrent
    /// creations share transactions (group commit, `WriteBatcher`), each in its own savepoint.
    public func createOrder(
        customerID: String, lines: [Orders.OrderLineRequest], idempotencyKey: String, actor: String
    ) async throws -> Orders.Order {
        try await creations.submit(
            NewOrder(customerID: customerID, lines: lines, idempotencyKey: idempotencyKey, actor: actor, at: clock()))
    }

    /// What `createOrder` writes.
    struct NewOrder: Sendable {
        var customerID: String
        var lines: [Orders.OrderLineRequest]
        var idempotencyKey: String
        var actor: String
        var at: Int64
    }

    /// Writes one new order inside the caller's transaction (see `createOrder`).
    static func insert(_ request: NewOrder, rules: PricingRules, connection: DatabaseConnection) throws -> Orders.Order {
        let fingerprint = LineList.encode(request.lines)
        if let existing = try connection.queryOne(
            "SELECT sequence, request_fingerprint FROM orders WHERE customer_id = ? AND idempotency_key = ?",
            [.text(request.customerID), .text(request.idempotencyKey)])
        {
            guard try existing.string("request_fingerprint") == fingerprint else {
                throw OrdersError.failedPrecondition(
                    "idempotency key \(request.idempotencyKey) was already used for an order with other lines")
            }
            return try OrderRow.load(connection, sequence: try existing.int64("sequence"))
                .message(connection, detailed: true)
        }
        let (priced, currency) = try price(request.lines, rules: rules, connection: connection)
        let totals: OrderTotals
        do { totals = try rules.totals(of: priced) } catch { throw OrdersError.overflow("lines") }

        let sequence = try connection.queryOne("SELECT COALESCE(MAX(sequence), 0) + 1 AS next FROM orders")!
            .int64("next")
        let order = OrderRow(
            sequence: sequence, id: Identifiers.make("ord"), customerID: request.customerID, currency: currency,
            totals: totals, createdAtUnixMs: request.at)
        for line in priced {
            try StockLedger.adjust(
                connection, sku: line.sku, delta: -line.quantity, reason: "reserved for order \(order.number)",
                actor: request.actor, reference: order.id, at: request.at)
        }
        try connection.execute(
            """
            INSERT INTO orders(sequence, id, number, customer_id, status, currency, subtotal_minor, shipping_minor,
                tax_minor, total_minor, idempotency_key, request_fingerprint, created_at_unix_ms)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .integer(sequence), .text(order.id), .text(order.number), .text(order.customerID),
                .integer(Int64(order.status.rawValue)), .text(currency), .integer(totals.subtotalMinor),
                .integer(totals.shippingMinor), .integer(totals.taxMinor), .integer(totals.totalMinor),
                .text(request.idempotencyKey), .text(fingerprint), .integer(request.at),
            ])
        for (position, line) in priced.enumerated() {
            try connection.execute(
                """
                INSERT INTO order_lines(id, order_sequence, position, sku, name, quantity, unit_price_minor,
                    subtotal_minor, tax_minor)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(OrderRow.lineID(orderID: order.id, position: position)), .integer(sequence),
                    .integer(Int64(position)), .text(line.sku), .text(line.name), .integer(line.quantity),
                    .integer(line.unitPriceMinor), .integer(line.subtotalMinor), .integer(line.taxMinor),
                ])
        }
        try order.record(connection, event: "placed", from: .unspecified, actor: request.actor, reason: "", at: request.at)
        try Outbox.enqueue(connection, OrderEvents.placed(order, at: request.at))
        guard totals.totalMinor == 0 else { return order.newOrderMessage(lines: priced, actor: request.actor) }
        // Nothing to collect (free products, no shipping): paid as it is placed, since no payment
        // could ever cover it (payments are positive).
        var settled = order
        try markPaid(
            &settled, items: priced.map { soldItem(sku: $0.sku, quantity: $0.quantity, amountMinor: $0.subtotalMinor) },
            actor: request.actor, reason: "nothing to pay", at: request.at, connection: connection)
        return try settled.message(connection, detailed: true)
    }

    /// Moves an order whose payments now cover its total to paid, records the step, and queues
    /// its sale (`items`) for statistics; inside the caller's transaction.
    private static func markPaid(
        _ order: inout OrderRow, items: [Stats.SoldItem], actor: String, reason: String, at now: Int64,
        connection: DatabaseConnection
    ) throws {
        let previous = order.status
        order.status = try OrderStateMachine.transition(.pay, from: previous, orderNumber: order.number)
        try order.save(connection)
        try order.record(connection, event: "paid", from: previous, actor: actor, reason: reason, at: now)
        try Outbox.enqueue(connection, OrderEvents.paid(order, lines: items, at: now))
    }

    /// One sold line as statistics counts it.
    private static func soldItem(sku: String, quantity: Int64, amountMinor: Int64) -> Stats.SoldItem {
        var item = Stats.SoldItem()
        item.sku = sku
        item.quantity = quantity
        item.amountMinor = amountMinor
        return item
    }

    /// Prices `lines` from the catalogue: unknown SKUs and mixed currencies are INVALID_ARGUMENT
    /// naming the line, products no longer for sale FAILED_PRECONDITION.
    private static func price(
        _ lines: [Orders.OrderLineRequest], rules: PricingRules, connection: DatabaseConnection
    ) throws -> ([PricedLine], String) {
        var priced: [PricedLine] = []
        var currency: String?
        for (index, line) in lines.enumerated() {
            let field = "lines[\(index)].sku"
            guard
                let product = try connection.queryOne(
                    "SELECT name, price_minor, currency, active FROM products WHERE sku = ?", [.text(line.sku)])
            else { throw OrdersError.invalid(field, "unknown SKU \(line.sku)") }
            guard try product.bool("active") else {
                throw OrdersError.failedPrecondition("product \(line.sku) is not for sale")
            }
            let productCurrency = try product.string("currency")
            if let currency, currency != productCurrency {
                throw OrdersError.invalid(
                    field, "\(line.sku) is priced in \(productCurrency) and the order's other lines in \(currency)")
            }
            currency = productCurrency
            do {
                priced.append(
                    try rules.line(
                        sku: line.sku, name: try product.string("name"), quantity: line.quantity,
                        unitPriceMinor: try product.int64("price_minor")))
            } catch {
                throw OrdersError.overflow("lines[\(index)].quantity")
            }
        }
        return (priced, currency ?? "")
    }

    // MARK: - Reading

    /// The order with this id or number, after `authorize` accepted its customer id.
    public func order(
        _ reference: String, authorize: @escaping @Sendable (String) throws -> Void
    ) async throws -> Orders.Order {
        try await database.read { connection in
            let order = try OrderRow.find(connection, reference)
            try authorize(order.customerID)
            return try order.message(connection, detailed: true)
        }
    }

    /// One page of the orders `filter` matches, newest first, and the token of the next page.
    public func orders(
        matching filter: OrderFilter, pageSize: Int, after pageToken: String?
    ) async throws -> (orders: [Orders.Order], nextPageToken: String?) {
        var before = Int64.max
        if let pageToken {
            guard let key = Identifiers.key(fromPageToken: pageToken, prefix: OrderFilter.pageTokenPrefix) else {
                throw OrdersError.invalid("page_token", "is not a token this service issued")
            }
            before = key
        }
        let (whereClause, bindings) = filter.sql(before: before)
        let limit = Int64(pageSize + 1)
        return try await database.read { connection in
            let rows = try connection.query(
                "SELECT \(OrderRow.columns) FROM orders WHERE \(whereClause) ORDER BY sequence DESC LIMIT ?",
                bindings + [.integer(limit)])
            let page = try rows.prefix(pageSize).map { try OrderRow(row: $0) }
            let next =
                rows.count > pageSize ? page.last.map { Identifiers.pageToken(OrderFilter.pageTokenPrefix, after: $0.sequence) } : nil
            return (try page.map { try $0.message(connection, detailed: false) }, next)
        }
    }

    // MARK: - Payments

    /// Records a payment of `amountMinor`; when payments then cover the total, the order becomes
    /// paid and its sale is queued for statistics. A retried `idempotencyKey` with the same body
    /// records nothing more; with another body it fails with FAILED_PRECONDITION.
    public func recordPayment(
        orderReference: String, amountMinor: Int64, currency: String, method: String, providerReference: String,
        idempotencyKey: String, actor: String
    ) async throws -> Orders.Order {
        let fingerprint = "\(amountMinor)|\(currency)|\(method)|\(providerReference)"
        let now = clock()
        return try await change { connection in
            var order = try OrderRow.find(connection, orderReference)
            if try Self.isRetry(
                connection, table: "payments", order: order, key: idempotencyKey, fingerprint: fingerprint)
            {
                return try order.message(connection, detailed: true)
            }
            guard currency == order.currency else {
                throw OrdersError.invalid("currency", "must be the order's currency, \(order.currency)")
            }
            guard OrderStateMachine.acceptsPayments(order.status) else {
                throw OrdersError.failedPrecondition(
                    "order \(order.number) is \(OrderStateMachine.name(of: order.status)): it takes no more payments")
            }
            let balance = order.totalMinor - order.paidMinor
            guard amountMinor <= balance else {
                throw OrdersError.failedPrecondition(
                    "a payment of \(amountMinor) exceeds the balance of \(balance) \(order.currency) of order \(order.number)")
            }
            try connection.execute(
                """
                INSERT INTO payments(id, order_sequence, amount_minor, currency, method, provider_reference,
                    idempotency_key, request_fingerprint, actor, at_unix_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(Identifiers.make("pay")), .integer(order.sequence), .integer(amountMinor), .text(currency),
                    .text(method), .text(providerReference), .text(idempotencyKey), .text(fingerprint), .text(actor),
                    .integer(now),
                ])
            order.paidMinor += amountMinor
            try order.save(connection)
            try order.record(
                connection, event: "payment", from: order.status, actor: actor,
                reason: "\(amountMinor) \(currency) by \(method)", at: now)
            if order.paidMinor >= order.totalMinor {
                let items = try order.lines(connection).map {
                    Self.soldItem(sku: $0.sku, quantity: $0.quantity, amountMinor: $0.subtotalMinor)
                }
                try Self.markPaid(&order, items: items, actor: actor, reason: "", at: now, connection: connection)
            }
            return try order.message(connection, detailed: true)
        }
    }

    /// Whether `key` was already used on `order` in `table` with the same body (a retry); throws
    /// FAILED_PRECONDITION when it was used with another body.
    static func isRetry(
        _ connection: DatabaseConnection, table: String, order: OrderRow, key: String, fingerprint: String
    ) throws -> Bool {
        guard
            let existing = try connection.queryOne(
                "SELECT request_fingerprint FROM \(table) WHERE order_sequence = ? AND idempotency_key = ?",
                [.integer(order.sequence), .text(key)])
        else { return false }
        guard try existing.string("request_fingerprint") == fingerprint else {
            throw OrdersError.failedPrecondition("idempotency key \(key) was already used with another request")
        }
        return true
    }

    // MARK: - Life cycle

    /// Ships a paid order with `carrier` and `trackingNumber`.
    public func ship(
        orderReference: String, carrier: String, trackingNumber: String, reason: String, actor: String
    ) async throws -> Orders.Order {
        try await transition(.ship, orderReference: orderReference, reason: reason, actor: actor) { order, _, now in
            order.carrier = carrier
            order.trackingNumber = trackingNumber
            order.shippedAtUnixMs = now
        }
    }

    /// Marks a shipped order delivered (the return window starts now).
    public func deliver(orderReference: String, reason: String, actor: String) async throws -> Orders.Order {
        try await transition(.deliver, orderReference: orderReference, reason: reason, actor: actor) { order, _, now in
            order.deliveredAtUnixMs = now
        }
    }

    /// Cancels a pending or paid order, releasing its stock and queuing the cancellation event.
    /// An order still holding money (paid and not refunded in full) is refused with
    /// FAILED_PRECONDITION: the money goes back first, by a refund (a decision of its own, which
    /// needs `orders.refund`), so that a cancelled order never keeps a payment.
    public func cancel(orderReference: String, reason: String, actor: String) async throws -> Orders.Order {
        try await transition(.cancel, orderReference: orderReference, reason: reason, actor: actor) { order, connection, now in
            let held = order.paidMinor - order.refundedMinor
            guard held <= 0 else {
                throw OrdersError.failedPrecondition(
                    "order \(order.number) still holds \(held) \(order.currency) of payments: refund them before cancelling it")
            }
            for line in try order.lines(connection) {
                try StockLedger.adjust(
                    connection, sku: line.sku, delta: line.quantity, reason: "released by cancelling order \(order.number)",
                    actor: actor, reference: order.id, at: now)
            }
            try Outbox.enqueue(connection, OrderEvents.cancelled(order, at: now))
        }
    }

    /// Applies `action` (FAILED_PRECONDITION when the state machine forbids it), lets `apply`
    /// change the order in the same transaction, and records the transition in the timeline.
    private func transition(
        _ action: OrderAction, orderReference: String, reason: String, actor: String,
        apply: @escaping @Sendable (inout OrderRow, DatabaseConnection, Int64) throws -> Void
    ) async throws -> Orders.Order {
        let now = clock()
        return try await change { connection in
            var order = try OrderRow.find(connection, orderReference)
            let previous = order.status
            order.status = try OrderStateMachine.transition(action, from: previous, orderNumber: order.number)
            try apply(&order, connection, now)
            try order.save(connection)
            try order.record(connection, event: action.rawValue, from: previous, actor: actor, reason: reason, at: now)
            return try order.message(connection, detailed: true)
        }
    }

    // MARK: - Refunds

    /// Refunds `amountMinor`, or `lines` at their price including tax, never more than was paid
    /// in total; queues the refund for statistics. Retries of `idempotencyKey` refund once.
    public func refund(
        orderReference: String, amountMinor: Int64, lines: [Orders.OrderLineRequest], reason: String,
        idempotencyKey: String, actor: String
    ) async throws -> Orders.Order {
        let now = clock()
        return try await change { connection in
            var order = try OrderRow.find(connection, orderReference)
            try Self.refund(
                &order, amountMinor: amountMinor, lines: lines, reason: reason, returnID: "",
                idempotencyKey: idempotencyKey, actor: actor, at: now, connection: connection)
            return try order.message(connection, detailed: true)
        }
    }

    /// The refund itself, inside the caller's transaction; the refund's id and amount (nil when
    /// it is a retry of `idempotencyKey`, or for a return whose lines are worth nothing).
    @discardableResult
    static func refund(
        _ order: inout OrderRow, amountMinor: Int64, lines: [Orders.OrderLineRequest], reason: String, returnID: String,
        idempotencyKey: String, actor: String, at now: Int64, connection: DatabaseConnection
    ) throws -> (id: String, amountMinor: Int64)? {
        let fingerprint = "\(amountMinor)|\(LineList.encode(lines))|\(reason)|\(returnID)"
        if try isRetry(connection, table: "refunds", order: order, key: idempotencyKey, fingerprint: fingerprint) {
            return nil
        }
        var amount = amountMinor
        if !lines.isEmpty {
            amount = 0
            let orderLines = try order.lines(connection)
            for (index, request) in lines.enumerated() {
                guard let line = orderLines.first(where: { $0.sku == request.sku }) else {
                    throw OrdersError.invalid("lines[\(index)].sku", "\(request.sku) is not a line of order \(order.number)")
                }
                let refundable = line.quantity - line.refundedQuantity
                guard request.quantity <= refundable else {
                    throw OrdersError.failedPrecondition(
                        "only \(refundable) unit(s) of \(request.sku) on order \(order.number) can still be refunded")
                }
                do {
                    amount += try PricingRules.refund(
                        of: (line.quantity, line.subtotalMinor, line.taxMinor), quantity: request.quantity)
                } catch {
                    throw OrdersError.overflow("lines[\(index)].quantity")
                }
                try connection.execute(
                    "UPDATE order_lines SET refunded_quantity = refunded_quantity + ? WHERE id = ?",
                    [.integer(request.quantity), .text(line.lineId)])
            }
        }
        if amount == 0 && !lines.isEmpty {
            // Lines worth nothing (free products): a return of them ends without a refund, and a
            // refund of them alone is refused.
            guard !returnID.isEmpty else {
                throw OrdersError.failedPrecondition(
                    "the lines to refund are worth 0 \(order.currency) on order \(order.number): there is nothing to refund")
            }
            return nil
        }
        let refundable = order.paidMinor - order.refundedMinor
        guard amount > 0, amount <= refundable else {
            throw OrdersError.failedPrecondition(
                "a refund of \(amount) \(order.currency) exceeds what order \(order.number) has left to refund: "
                    + "\(refundable) (paid \(order.paidMinor), refunded \(order.refundedMinor))")
        }
        let id = Identifiers.make("ref")
        try connection.execute(
            """
            INSERT INTO refunds(id, order_sequence, amount_minor, reason, lines, return_id, idempotency_key,
                request_fingerprint, actor, at_unix_ms)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(id), .integer(order.sequence), .integer(amount), .text(reason), .text(LineList.encode(lines)),
                .text(returnID), .text(idempotencyKey), .text(fingerprint), .text(actor), .integer(now),
            ])
        order.refundedMinor += amount
        try order.save(connection)
        try order.record(
            connection, event: "refund", from: order.status, actor: actor, reason: "\(amount) \(order.currency): \(reason)",
            at: now)
        try Outbox.enqueue(connection, OrderEvents.refunded(order, refundID: id, amountMinor: amount, at: now))
        return (id, amount)
    }
}
