import BackofficeAPI
import Storage

/// One row of `returns`.
struct ReturnRow: Sendable {
    static let columns = """
        id, order_sequence, status, lines, reason, restocked, refund_id, refund_minor, requested_at_unix_ms,
        updated_at_unix_ms
        """

    var id: String
    var orderSequence: Int64
    var status: Orders.ReturnStatus
    var lines: [Orders.OrderLineRequest]
    var reason: String
    var restocked: Bool
    var refundID: String
    var refundMinor: Int64
    var requestedAtUnixMs: Int64
    var updatedAtUnixMs: Int64

    init(row: Row) throws {
        id = try row.string("id")
        orderSequence = try row.int64("order_sequence")
        status = Orders.ReturnStatus(rawValue: try row.get("status", as: Int32.self))
        lines = LineList.decode(try row.string("lines"))
        reason = try row.string("reason")
        restocked = try row.bool("restocked")
        refundID = try row.string("refund_id")
        refundMinor = try row.int64("refund_minor")
        requestedAtUnixMs = try row.int64("requested_at_unix_ms")
        updatedAtUnixMs = try row.int64("updated_at_unix_ms")
    }

    /// The returns of one order, oldest first.
    static func all(_ connection: DatabaseConnection, orderSequence: Int64) throws -> [ReturnRow] {
        try connection.query(
            "SELECT \(columns) FROM returns WHERE order_sequence = ? ORDER BY requested_at_unix_ms, id",
            [.integer(orderSequence)]
        ).map(ReturnRow.init(row:))
    }

    /// The return `id`, or NOT_FOUND.
    static func find(_ connection: DatabaseConnection, _ id: String) throws -> ReturnRow {
        guard let row = try connection.queryOne("SELECT \(columns) FROM returns WHERE id = ?", [.text(id)]) else {
            throw OrdersError.notFound("return \(id)")
        }
        return try ReturnRow(row: row)
    }

    func save(_ connection: DatabaseConnection) throws {
        try connection.execute(
            "UPDATE returns SET status = ?, restocked = ?, refund_id = ?, refund_minor = ?, updated_at_unix_ms = ? WHERE id = ?",
            [
                .integer(Int64(status.rawValue)), .integer(restocked ? 1 : 0), .text(refundID), .integer(refundMinor),
                .integer(updatedAtUnixMs), .text(id),
            ])
    }

    func message(orderID: String) -> Orders.Return {
        var message = Orders.Return()
        message.returnId = id
        message.orderId = orderID
        message.status = status
        message.lines = lines
        message.reason = reason
        message.restocked = restocked
        message.refundId = refundID
        message.refundMinor = refundMinor
        message.requestedAtUnixMs = requestedAtUnixMs
        message.updatedAtUnixMs = updatedAtUnixMs
        return message
    }

    /// Whether the return still claims its units (it was neither rejected nor refunded yet).
    var isOpen: Bool { status == .requested || status == .approved || status == .received }
}

/// Returns: request within the window, approve or reject, receive (optionally restocking), refund.
extension OrdersStore {
    /// Requests the return of delivered `lines` of an order, after `authorize` accepted its
    /// customer. Outside the window or before delivery: FAILED_PRECONDITION; lines not on the
    /// order, or more units than were delivered and not yet returned: INVALID_ARGUMENT.
    public func requestReturn(
        orderReference: String, lines: [Orders.OrderLineRequest], reason: String, actor: String,
        authorize: @escaping @Sendable (String) throws -> Void
    ) async throws -> Orders.Return {
        let now = clock()
        let configuration = configuration
        return try await change { connection in
            let order = try OrderRow.find(connection, orderReference)
            try authorize(order.customerID)
            guard configuration.returnsEnabled else { throw OrdersError.failedPrecondition("returns are disabled") }
            guard order.status == .delivered, order.deliveredAtUnixMs > 0 else {
                throw OrdersError.failedPrecondition(
                    "order \(order.number) is \(OrderStateMachine.name(of: order.status)): only delivered lines can be returned")
            }
            guard now - order.deliveredAtUnixMs <= configuration.returnWindowMilliseconds else {
                throw OrdersError.failedPrecondition(
                    "the return window of \(configuration.returnWindowDays) days after delivery of order \(order.number) has closed")
            }
            let orderLines = try order.lines(connection)
            let open = try ReturnRow.all(connection, orderSequence: order.sequence).filter(\.isOpen).flatMap(\.lines)
            var violations = RequestValidator()
            for (index, request) in lines.enumerated() {
                guard let line = orderLines.first(where: { $0.sku == request.sku }) else {
                    violations.require(false, "lines[\(index)].sku", "\(request.sku) was not delivered with order \(order.number)")
                    continue
                }
                let claimed = open.filter { $0.sku == request.sku }.reduce(0) { $0 + $1.quantity }
                let returnable = line.quantity - line.refundedQuantity - claimed
                violations.require(
                    request.quantity <= returnable, "lines[\(index)].quantity", "at most \(returnable) can be returned")
            }
            try violations.check()
            let id = Identifiers.make("ret")
            try connection.execute(
                """
                INSERT INTO returns(id, order_sequence, status, lines, reason, requested_at_unix_ms, updated_at_unix_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(id), .integer(order.sequence), .integer(Int64(Orders.ReturnStatus.requested.rawValue)),
                    .text(LineList.encode(lines)), .text(reason), .integer(now), .integer(now),
                ])
            try order.record(connection, event: "return_requested", from: order.status, actor: actor, reason: reason, at: now)
            return try ReturnRow.find(connection, id).message(orderID: order.id)
        }
    }

    /// The return `id`, after `authorize` accepted its order's customer.
    public func returnRequest(_ id: String, authorize: @escaping @Sendable (String) throws -> Void) async throws -> Orders.Return {
        try await database.read { connection in
            let request = try ReturnRow.find(connection, id)
            let order = try OrderRow.load(connection, sequence: request.orderSequence)
            try authorize(order.customerID)
            return request.message(orderID: order.id)
        }
    }

    /// Requested -> approved.
    public func approveReturn(_ id: String, reason: String, actor: String) async throws -> Orders.Return {
        try await moveReturn(id, from: .requested, to: .approved, event: "return_approved", reason: reason, actor: actor) { _, _, _, _ in }
    }

    /// Requested -> rejected.
    public func rejectReturn(_ id: String, reason: String, actor: String) async throws -> Orders.Return {
        try await moveReturn(id, from: .requested, to: .rejected, event: "return_rejected", reason: reason, actor: actor) { _, _, _, _ in }
    }

    /// Approved -> received; with `restock`, the units go back in stock (recorded adjustments).
    public func receiveReturn(_ id: String, restock: Bool, reason: String, actor: String) async throws -> Orders.Return {
        try await moveReturn(id, from: .approved, to: .received, event: "return_received", reason: reason, actor: actor) {
            request, order, connection, now in
            guard restock else { return }
            for line in request.lines {
                try StockLedger.adjust(
                    connection, sku: line.sku, delta: line.quantity, reason: "restocked from return \(request.id)",
                    actor: actor, reference: order.id, at: now)
            }
            request.restocked = true
        }
    }

    /// Received -> refunded: refunds the returned lines (never more than was paid).
    public func refundReturn(_ id: String, reason: String, actor: String) async throws -> Orders.Return {
        try await moveReturn(id, from: .received, to: .refunded, event: "return_refunded", reason: reason, actor: actor) {
            request, order, connection, now in
            let refund = try Self.refund(
                &order, amountMinor: 0, lines: request.lines, reason: reason.isEmpty ? "return \(request.id)" : reason,
                returnID: request.id, idempotencyKey: "return:\(request.id)", actor: actor, at: now, connection: connection)
            request.refundID = refund?.id ?? ""
            request.refundMinor = refund?.amountMinor ?? 0
        }
    }

    /// Moves a return from `from` to `to` (FAILED_PRECONDITION otherwise), applying `apply` and
    /// recording the step in the order's timeline, in one transaction.
    private func moveReturn(
        _ id: String, from: Orders.ReturnStatus, to: Orders.ReturnStatus, event: String, reason: String, actor: String,
        apply: @escaping @Sendable (inout ReturnRow, inout OrderRow, DatabaseConnection, Int64) throws -> Void
    ) async throws -> Orders.Return {
        let now = clock()
        return try await change { connection in
            var request = try ReturnRow.find(connection, id)
            guard request.status == from else {
                throw OrdersError.failedPrecondition("return \(id) is \(Self.name(of: request.status)), not \(Self.name(of: from))")
            }
            var order = try OrderRow.load(connection, sequence: request.orderSequence)
            try apply(&request, &order, connection, now)
            request.status = to
            request.updatedAtUnixMs = now
            try request.save(connection)
            try order.record(connection, event: event, from: order.status, actor: actor, reason: reason, at: now)
            return request.message(orderID: order.id)
        }
    }

    private static func name(of status: Orders.ReturnStatus) -> String {
        switch status {
        case .requested: "requested"
        case .approved: "approved"
        case .rejected: "rejected"
        case .received: "received"
        case .refunded: "refunded"
        default: "unknown"
        }
    }
}
