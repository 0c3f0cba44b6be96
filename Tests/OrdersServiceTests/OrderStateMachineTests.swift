import BackofficeAPI
import OrdersService
import RPC
import Testing

/// The order life cycle: every (status, action) pair, and the derived payment and fulfilment
/// statuses.
@Suite(.timeLimit(.minutes(1)))
struct OrderStateMachineTests {
    static let statuses: [Orders.OrderStatus] = [.pending, .paid, .shipped, .delivered, .cancelled]

    static let allowed: [String: Orders.OrderStatus] = [
        "pending/paid": .paid,
        "paid/shipped": .shipped,
        "shipped/delivered": .delivered,
        "pending/cancelled": .cancelled,
        "paid/cancelled": .cancelled,
    ]

    @Test func onlyTheDrawnTransitionsAreAllowed() throws {
        for status in Self.statuses {
            for action in OrderAction.allCases {
                let key = "\(OrderStateMachine.name(of: status))/\(action.rawValue)"
                #expect(OrderStateMachine.next(after: action, from: status) == Self.allowed[key], "\(key)")
            }
        }
    }

    @Test func aForbiddenTransitionIsFailedPreconditionNamingTheOrder() throws {
        let error = try #require(throws: RPCError.self) {
            try OrderStateMachine.transition(.ship, from: .pending, orderNumber: "BO-000007")
        }
        #expect(error.code == .failedPrecondition)
        #expect(error.message == "order BO-000007 is pending: it cannot be shipped")
    }

    @Test func cancelledOrdersNoLongerHoldStockOrTakePayments() {
        #expect(!OrderStateMachine.holdsStock(.cancelled))
        #expect(OrderStateMachine.holdsStock(.pending))
        #expect(OrderStateMachine.acceptsPayments(.pending))
        for status in [Orders.OrderStatus.paid, .shipped, .delivered, .cancelled] {
            #expect(!OrderStateMachine.acceptsPayments(status))
        }
    }

    @Test func paymentStatusFollowsTheMoney() {
        #expect(OrderStateMachine.paymentStatus(totalMinor: 100, paidMinor: 0, refundedMinor: 0) == .unpaid)
        #expect(OrderStateMachine.paymentStatus(totalMinor: 0, paidMinor: 0, refundedMinor: 0) == .paid)
        #expect(OrderStateMachine.paymentStatus(totalMinor: 100, paidMinor: 40, refundedMinor: 0) == .partiallyPaid)
        #expect(OrderStateMachine.paymentStatus(totalMinor: 100, paidMinor: 100, refundedMinor: 0) == .paid)
        #expect(OrderStateMachine.paymentStatus(totalMinor: 100, paidMinor: 100, refundedMinor: 30) == .partiallyRefunded)
        #expect(OrderStateMachine.paymentStatus(totalMinor: 100, paidMinor: 100, refundedMinor: 100) == .refunded)
    }

    @Test func fulfilmentFollowsTheStatus() {
        #expect(OrderStateMachine.fulfilment(of: .pending) == .unfulfilled)
        #expect(OrderStateMachine.fulfilment(of: .paid) == .unfulfilled)
        #expect(OrderStateMachine.fulfilment(of: .shipped) == .shipped)
        #expect(OrderStateMachine.fulfilment(of: .delivered) == .delivered)
        #expect(OrderStateMachine.fulfilment(of: .cancelled) == .none)
    }
}
