import BackofficeAPI

/// The events an order sends to statistics, each with a stable id so that statistics counts it
/// once however often it is delivered: `order:<id>:placed`, `order:<id>:paid`,
/// `order:<id>:cancelled`, `refund:<refund id>`.
enum OrderEvents {
    /// The order was placed (a custom event `order_placed` with its total).
    static func placed(_ order: OrderRow, at time: Int64) -> Stats.Event {
        custom("order_placed", "placed", order, at: time)
    }

    /// The order was cancelled (a custom event `order_cancelled` with its total).
    static func cancelled(_ order: OrderRow, at time: Int64) -> Stats.Event {
        custom("order_cancelled", "cancelled", order, at: time)
    }

    /// Payments now cover the order: a sale of its total, with its items.
    static func paid(_ order: OrderRow, lines: [Stats.SoldItem], at time: Int64) -> Stats.Event {
        var event = base(id: "order:\(order.id):paid", order, at: time)
        event.type = .sale
        event.amountMinor = order.totalMinor
        event.items = lines
        return event
    }

    /// A refund of `amountMinor`, identified by its refund id.
    static func refunded(_ order: OrderRow, refundID: String, amountMinor: Int64, at time: Int64) -> Stats.Event {
        var event = base(id: "refund:\(refundID)", order, at: time)
        event.type = .refund
        event.amountMinor = amountMinor
        return event
    }

    private static func custom(_ name: String, _ suffix: String, _ order: OrderRow, at time: Int64) -> Stats.Event {
        var event = base(id: "order:\(order.id):\(suffix)", order, at: time)
        event.type = .custom
        event.name = name
        event.amountMinor = order.totalMinor
        return event
    }

    private static func base(id: String, _ order: OrderRow, at time: Int64) -> Stats.Event {
        var event = Stats.Event()
        event.eventId = id
        event.occurredAtUnixMs = time
        event.orderId = order.id
        event.currency = order.currency
        return event
    }
}
