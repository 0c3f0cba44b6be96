import Synchronization

/// Limits retries to a fraction of the calls: each call deposits `ratio` of a token (up to
/// `capacity`), each retry withdraws one. When a service is down for good, retries stop adding
/// load once the budget is spent.
public final class RetryBudget: Sendable {
    private let balance: Mutex<Double>
    /// Token deposited per call.
    public let ratio: Double
    /// Most tokens ever held (also the starting balance).
    public let capacity: Double

    /// A budget allowing `ratio` retries per call on average, bursts of up to `capacity`.
    public init(ratio: Double = 0.1, capacity: Double = 10) {
        self.ratio = ratio
        self.capacity = capacity
        balance = Mutex(capacity)
    }

    /// Notes one call.
    public func recordCall() {
        balance.withLock { $0 = min(capacity, $0 + ratio) }
    }

    /// Takes a token for one retry; false when the budget is spent.
    public func withdrawRetry() -> Bool {
        balance.withLock { balance in
            guard balance >= 1 else { return false }
            balance -= 1
            return true
        }
    }
}
