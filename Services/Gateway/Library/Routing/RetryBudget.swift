import RPC
import Synchronization

/// Limits retries to a fraction of the calls: each call deposits `ratio` of a token (up to
/// `capacity`), each retry withdraws one. When a service is down for good, retries stop adding
/// load once the budget is spent.
///
/// Each event loop keeps a budget of its own (calls relayed there are counted and retried there),
/// touched by its thread alone: the loops do not write one shared balance on every call. Calls
/// served off the loops share one more, behind a lock.
public final class RetryBudget: Sendable {
    /// Token deposited per call.
    public let ratio: Double
    /// Most tokens ever held by one budget (also its starting balance).
    public let capacity: Double
    /// The same in thousandths of a token, counted exactly (ten deposits of 0.1 make one token).
    private let milliRatio: Int
    private let milliCapacity: Int
    private let perLoop: LoopLocal<Balance>
    private let offLoop: Mutex<Balance.State>

    /// A budget allowing `ratio` retries per call on average, bursts of up to `capacity`.
    public init(ratio: Double = 0.1, capacity: Double = 10) {
        self.ratio = ratio
        self.capacity = capacity
        let milliCapacity = Int((capacity * 1000).rounded())
        milliRatio = Int((ratio * 1000).rounded())
        self.milliCapacity = milliCapacity
        perLoop = LoopLocal { Balance(milliTokens: milliCapacity) }
        offLoop = Mutex(Balance.State(milliTokens: milliCapacity))
    }

    /// Notes one call.
    public func recordCall() {
        if perLoop.withCurrent({ $0.state.deposit(milliRatio, upTo: milliCapacity) }) == nil {
            offLoop.withLock { $0.deposit(milliRatio, upTo: milliCapacity) }
        }
    }

    /// Takes a token for one retry; false when the budget is spent.
    public func withdrawRetry() -> Bool {
        perLoop.withCurrent { $0.state.withdraw() } ?? offLoop.withLock { $0.withdraw() }
    }
}

/// One loop's budget (`RetryBudget`), touched by that loop's thread alone.
private final class Balance {
    struct State {
        var milliTokens: Int

        mutating func deposit(_ amount: Int, upTo capacity: Int) { milliTokens = min(capacity, milliTokens + amount) }

        mutating func withdraw() -> Bool {
            guard milliTokens >= 1000 else { return false }
            milliTokens -= 1000
            return true
        }
    }

    var state: State

    init(milliTokens: Int) { state = State(milliTokens: milliTokens) }
}
