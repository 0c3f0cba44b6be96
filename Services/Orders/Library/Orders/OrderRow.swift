import BackofficeAPI
import Storage

/// One row of `orders`, as the store's transactions read and change it.
struct OrderRow: Sendable {
    /// The columns `init(row:)` reads, for `SELECT \(OrderRow.columns) FROM orders`.
    static let columns = """
        sequence, id, number, customer_id, status, currency, subtotal_minor, shipping_minor, tax_minor, total_minor,
        paid_minor, refunded_minor, carrier, tracking_number, shipped_at_unix_ms, delivered_at_unix_ms, created_at_unix_ms
        """

    var sequence: Int64
    var id: String
    var number: String
    var customerID: String
    var status: Orders.OrderStatus
    var currency: String
    var subtotalMinor: Int64
    var shippingMinor: Int64
    var taxMinor: Int64
    var totalMinor: Int64
    var paidMinor: Int64
    var refundedMinor: Int64
    var carrier: String
    var trackingNumber: String
    var shippedAtUnixMs: Int64
    var deliveredAtUnixMs: Int64
    var createdAtUnixMs: Int64

    /// A pending order just priced, before it is inserted.
    init(sequence: Int64, id: String, customerID: String, currency: String, totals: OrderTotals, createdAtUnixMs: Int64) {
        self.sequence = sequence
        self.id = id
        self.number = Identifiers.orderNumber(sequence)
        self.customerID = customerID
        self.status = .pending
        self.currency = currency
        self.subtotalMinor = totals.subtotalMinor
        self.shippingMinor = totals.shippingMinor
        self.taxMinor = totals.taxMinor
        self.totalMinor = totals.totalMinor
        self.paidMinor = 0
        self.refundedMinor = 0
        self.carrier = ""
        self.trackingNumber = ""
        self.shippedAtUnixMs = 0
        self.deliveredAtUnixMs = 0
        self.createdAtUnixMs = createdAtUnixMs
    }

    init(row: Row) throws {
        sequence = try row.int64("sequence")
        id = try row.string("id")
        number = try row.string("number")
        customerID = try row.string("customer_id")
        status = Orders.OrderStatus(rawValue: try row.get("status", as: Int32.self))
        currency = try row.string("currency")
        subtotalMinor = try row.int64("subtotal_minor")
        shippingMinor = try row.int64("shipping_minor")
        taxMinor = try row.int64("tax_minor")
        totalMinor = try row.int64("total_minor")
        paidMinor = try row.int64("paid_minor")
        refundedMinor = try row.int64("refunded_minor")
        carrier = try row.string("carrier")
        trackingNumber = try row.string("tracking_number")
        shippedAtUnixMs = try row.int64("shipped_at_unix_ms")
        deliveredAtUnixMs = try row.int64("delivered_at_unix_ms")
        createdAtUnixMs = try row.int64("created_at_unix_ms")
    }

    /// The order with this id or number (`BO-000123`), or NOT_FOUND.
    static func find(_ connection: DatabaseConnection, _ reference: String) throws -> OrderRow {
        let column = reference.hasPrefix("BO-") ? "number" : "id"
        guard let row = try connection.queryOne("SELECT \(columns) FROM orders WHERE \(column) = ?", [.text(reference)])
        else { throw OrdersError.notFound("order \(reference)") }
        return try OrderRow(row: row)
    }

    /// The order with this sequence (which must exist).
    static func load(_ connection: DatabaseConnection, sequence: Int64) throws -> OrderRow {
        guard let row = try connection.queryOne("SELECT \(columns) FROM orders WHERE sequence = ?", [.integer(sequence)])
        else { throw OrdersError.notFound("order #\(sequence)") }
        return try OrderRow(row: row)
    }

    /// Writes back the fields a transition or payment changes.
    func save(_ connection: DatabaseConnection) throws {
        try connection.execute(
            """
            UPDATE orders SET status = ?, paid_minor = ?, refunded_minor = ?, carrier = ?, tracking_number = ?,
                shipped_at_unix_ms = ?, delivered_at_unix_ms = ? WHERE sequence = ?
            """,
            [
                .integer(Int64(status.rawValue)), .integer(paidMinor), .integer(refundedMinor), .text(carrier),
                .text(trackingNumber), .integer(shippedAtUnixMs), .integer(deliveredAtUnixMs), .integer(sequence),
            ])
    }

    /// Appends a timeline entry for this order.
    func record(
        _ connection: DatabaseConnection, event: String, from: Orders.OrderStatus, actor: String, reason: String,
        at time: Int64
    ) throws {
        try connection.execute(
            """
            INSERT INTO order_timeline(order_sequence, event, from_status, to_status, actor, reason, at_unix_ms)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .integer(sequence), .text(event), .integer(Int64(from.rawValue)), .integer(Int64(status.rawValue)),
                .text(actor), .text(reason), .integer(time),
            ])
    }

    /// The order's lines, in their order.
    func lines(_ connection: DatabaseConnection) throws -> [Orders.OrderLine] {
        try connection.query(
            """
            SELECT id, sku, name, quantity, unit_price_minor, subtotal_minor, tax_minor, refunded_quantity
            FROM order_lines WHERE order_sequence = ? ORDER BY position
            """, [.integer(sequence)]
        ).map { row in
            var line = Orders.OrderLine()
            line.lineId = try row.string("id")
            line.sku = try row.string("sku")
            line.name = try row.string("name")
            line.quantity = try row.int64("quantity")
            line.unitPriceMinor = try row.int64("unit_price_minor")
            line.subtotalMinor = try row.int64("subtotal_minor")
            line.taxMinor = try row.int64("tax_minor")
            line.refundedQuantity = try row.int64("refunded_quantity")
            return line
        }
    }

    /// The order as callers see it; `detailed` adds payments, refunds, returns and the timeline.
    func message(_ connection: DatabaseConnection, detailed: Bool) throws -> Orders.Order {
        var order = summary
        order.lines = try lines(connection)
        guard detailed else { return order }
        return try details(of: order, connection)
    }

    /// A new order as callers see it, from what its creation wrote (no reading back).
    func newOrderMessage(lines: [PricedLine], actor: String) -> Orders.Order {
        var order = summary
        order.lines = lines.enumerated().map { position, priced in
            var line = Orders.OrderLine()
            line.lineId = Self.lineID(orderID: id, position: position)
            line.sku = priced.sku
            line.name = priced.name
            line.quantity = priced.quantity
            line.unitPriceMinor = priced.unitPriceMinor
            line.subtotalMinor = priced.subtotalMinor
            line.taxMinor = priced.taxMinor
            return line
        }
        var placed = Orders.TimelineEntry()
        placed.event = "placed"
        placed.fromStatus = .unspecified
        placed.toStatus = status
        placed.actor = actor
        placed.atUnixMs = createdAtUnixMs
        order.timeline = [placed]
        return order
    }

    /// The id of the line at `position` (0-based) of order `orderID`.
    static func lineID(orderID: String, position: Int) -> String {
        "\(orderID)/\(position + 1)"
    }

    /// The order's own fields, without lines or details.
    private var summary: Orders.Order {
        var order = Orders.Order()
        order.orderId = id
        order.number = number
        order.customerId = customerID
        order.status = status
        order.paymentStatus = OrderStateMachine.paymentStatus(
            totalMinor: totalMinor, paidMinor: paidMinor, refundedMinor: refundedMinor)
        order.fulfilmentStatus = OrderStateMachine.fulfilment(of: status)
        order.currency = currency
        order.subtotalMinor = subtotalMinor
        order.shippingMinor = shippingMinor
        order.taxMinor = taxMinor
        order.totalMinor = totalMinor
        order.paidMinor = paidMinor
        order.refundedMinor = refundedMinor
        order.createdAtUnixMs = createdAtUnixMs
        order.deliveredAtUnixMs = deliveredAtUnixMs
        if shippedAtUnixMs > 0 {
            var shipment = Orders.Shipment()
            shipment.carrier = carrier
            shipment.trackingNumber = trackingNumber
            shipment.shippedAtUnixMs = shippedAtUnixMs
            order.shipment = shipment
        }
        return order
    }

    /// `order` with its payments, refunds, timeline and returns.
    private func details(of order: Orders.Order, _ connection: DatabaseConnection) throws -> Orders.Order {
        var order = order
        let key: [SQLValue] = [.integer(sequence)]
        order.payments = try connection.query(
            """
            SELECT id, amount_minor, currency, method, provider_reference, at_unix_ms, actor
            FROM payments WHERE order_sequence = ? ORDER BY at_unix_ms, id
            """, key
        ).map { row in
            var payment = Orders.Payment()
            payment.paymentId = try row.string("id")
            payment.amountMinor = try row.int64("amount_minor")
            payment.currency = try row.string("currency")
            payment.method = try row.string("method")
            payment.providerReference = try row.string("provider_reference")
            payment.atUnixMs = try row.int64("at_unix_ms")
            payment.actor = try row.string("actor")
            return payment
        }
        order.refunds = try connection.query(
            """
            SELECT id, amount_minor, reason, lines, at_unix_ms, actor, return_id
            FROM refunds WHERE order_sequence = ? ORDER BY at_unix_ms, id
            """, key
        ).map { row in
            var refund = Orders.Refund()
            refund.refundId = try row.string("id")
            refund.amountMinor = try row.int64("amount_minor")
            refund.reason = try row.string("reason")
            refund.lines = LineList.decode(try row.string("lines"))
            refund.atUnixMs = try row.int64("at_unix_ms")
            refund.actor = try row.string("actor")
            refund.returnId = try row.string("return_id")
            return refund
        }
        order.timeline = try connection.query(
            """
            SELECT event, from_status, to_status, actor, reason, at_unix_ms
            FROM order_timeline WHERE order_sequence = ? ORDER BY sequence
            """, key
        ).map { row in
            var entry = Orders.TimelineEntry()
            entry.event = try row.string("event")
            entry.fromStatus = Orders.OrderStatus(rawValue: try row.get("from_status", as: Int32.self))
            entry.toStatus = Orders.OrderStatus(rawValue: try row.get("to_status", as: Int32.self))
            entry.actor = try row.string("actor")
            entry.reason = try row.string("reason")
            entry.atUnixMs = try row.int64("at_unix_ms")
            return entry
        }
        order.returns = try ReturnRow.all(connection, orderSequence: sequence).map { $0.message(orderID: id) }
        return order
    }
}

/// Order lines (SKU and quantity) stored as one text column: `sku:quantity,sku:quantity`.
/// SKUs cannot contain ':' or ',' (see `RequestValidator.isValidSKU`).
enum LineList {
    /// The text for `lines`.
    static func encode(_ lines: [Orders.OrderLineRequest]) -> String {
        lines.map { "\($0.sku):\($0.quantity)" }.joined(separator: ",")
    }

    /// The lines in `text`, skipping malformed parts.
    static func decode(_ text: String) -> [Orders.OrderLineRequest] {
        text.split(separator: ",").compactMap { part in
            let pieces = part.split(separator: ":")
            guard pieces.count == 2, let quantity = Int64(pieces[1]) else { return nil }
            var line = Orders.OrderLineRequest()
            line.sku = String(pieces[0])
            line.quantity = quantity
            return line
        }
    }
}
