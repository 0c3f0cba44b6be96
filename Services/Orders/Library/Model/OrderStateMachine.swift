import BackofficeAPI

/// What can happen to an order's status.
public enum OrderAction: String, Sendable, CaseIterable {
    /// Payments now cover the total.
    case pay = "paid"
    /// Handed to a carrier.
    case ship = "shipped"
    /// Arrived at the customer.
    case deliver = "delivered"
    /// Called off before shipping; the stock is released.
    case cancel = "cancelled"
}

/// The order life cycle:
///
/// ```
/// pending --pay--> paid --ship--> shipped --deliver--> delivered
///    \              |
///     `--cancel-----+--> cancelled
/// ```
///
/// Payment status (unpaid ... refunded) and fulfilment status (unfulfilled, shipped, delivered,
/// none) are derived from the order's status and its money, kept apart from it.
public enum OrderStateMachine {
    /// The status after `action`, or `nil` when the action is not allowed from `status`.
    public static func next(after action: OrderAction, from status: Orders.OrderStatus) -> Orders.OrderStatus? {
        switch (status, action) {
        case (.pending, .pay): .paid
        case (.paid, .ship): .shipped
        case (.shipped, .deliver): .delivered
        case (.pending, .cancel), (.paid, .cancel): .cancelled
        default: nil
        }
    }

    /// The status after `action`, or FAILED_PRECONDITION naming both.
    public static func transition(
        _ action: OrderAction, from status: Orders.OrderStatus, orderNumber: String
    ) throws -> Orders.OrderStatus {
        guard let next = next(after: action, from: status) else {
            throw OrdersError.failedPrecondition(
                "order \(orderNumber) is \(name(of: status)): it cannot be \(action.rawValue)")
        }
        return next
    }

    /// Whether stock reserved by an order in `status` is still held (not released by cancelling).
    public static func holdsStock(_ status: Orders.OrderStatus) -> Bool {
        status != .cancelled
    }

    /// Whether payments may still be recorded for an order in `status`.
    public static func acceptsPayments(_ status: Orders.OrderStatus) -> Bool {
        status == .pending
    }

    /// The fulfilment status of an order in `status`.
    public static func fulfilment(of status: Orders.OrderStatus) -> Orders.FulfilmentStatus {
        switch status {
        case .shipped: .shipped
        case .delivered: .delivered
        case .cancelled: .none
        default: .unfulfilled
        }
    }

    /// The payment status of an order with these amounts.
    public static func paymentStatus(totalMinor: Int64, paidMinor: Int64, refundedMinor: Int64) -> Orders.PaymentStatus {
        if refundedMinor > 0 { return refundedMinor >= paidMinor ? .refunded : .partiallyRefunded }
        // An order with nothing to pay (a total of 0) is paid as it is placed.
        if paidMinor == 0 && totalMinor > 0 { return .unpaid }
        return paidMinor < totalMinor ? .partiallyPaid : .paid
    }

    /// The lower-case name of a status, as messages and CSV exports show it.
    public static func name(of status: Orders.OrderStatus) -> String {
        switch status {
        case .pending: "pending"
        case .paid: "paid"
        case .shipped: "shipped"
        case .delivered: "delivered"
        case .cancelled: "cancelled"
        case .unspecified: "unspecified"
        case .unrecognized(let value): "status \(value)"
        }
    }
}
