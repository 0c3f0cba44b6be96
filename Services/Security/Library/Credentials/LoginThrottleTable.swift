import Foundation

/// The thread-safe, in-memory set of `LoginThrottle`s, one per client address, read through an
/// injectable clock.
///
/// Addresses whose bucket has refilled are forgotten (checked every `pruneInterval` operations),
/// so memory follows the addresses that failed recently, not every address ever seen.
public final class LoginThrottleTable: Sendable {
    /// The rules every address gets.
    public let policy: LoginThrottle.Policy
    private let now: @Sendable () -> Date
    private let state = ConditionLock<State>(State())

    private struct State: Sendable {
        var buckets: [String: LoginThrottle] = [:]
        var operationsSincePrune = 0
    }

    /// How many operations pass between two sweeps of refilled buckets.
    static let pruneInterval = 1024

    /// A table applying `policy`, reading the time from `now` (default: the system clock).
    public init(policy: LoginThrottle.Policy = LoginThrottle.Policy(), now: @escaping @Sendable () -> Date = { Date() }) {
        self.policy = policy
        self.now = now
    }

    /// Whether a login from `address` may be attempted now.
    public func decision(for address: String) -> LoginThrottle.Decision {
        let time = now()
        return state.withLock { state in
            state.buckets[address]?.decision(at: time) ?? .allowed(remainingFailures: policy.maximumFailures)
        }
    }

    /// Records a failed login from `address` and returns the decision for its next attempt.
    @discardableResult
    public func recordFailure(from address: String) -> LoginThrottle.Decision {
        let time = now()
        let policy = self.policy
        return state.withLock { state in
            state.operationsSincePrune += 1
            if state.operationsSincePrune >= Self.pruneInterval {
                state.operationsSincePrune = 0
                state.buckets = state.buckets.filter { !$0.value.isFull(at: time) }
            }
            var bucket = state.buckets[address] ?? LoginThrottle(policy: policy, now: time)
            let decision = bucket.recordFailure(at: time)
            state.buckets[address] = bucket
            return decision
        }
    }

    /// The number of addresses with a bucket that is not known to be full.
    public var trackedAddressCount: Int {
        state.withLock { $0.buckets.count }
    }
}
