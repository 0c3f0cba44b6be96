import Foundation
import RPC

/// One client address's throttle: a token bucket holding `maximumFailures` failed-login tokens
/// (default 20) that refills completely over `window` (default 5 minutes, so one token every 15 s).
///
/// Each failed login takes a token; with none left, logins from the address are refused until one
/// has refilled. Successful logins take nothing and restore nothing (an attacker holding one valid
/// account must not be able to reset the bucket). A pure value: every method takes the time.
public struct LoginThrottle: Sendable, Equatable {
    /// How many failures an address may make and how fast it earns them back.
    public struct Policy: Sendable, Equatable {
        /// The bucket's size: failures allowed in a burst.
        public var maximumFailures: Int
        /// Seconds for an empty bucket to refill completely.
        public var window: TimeInterval

        /// A policy (defaults: 20 failures per 5 minutes).
        public init(maximumFailures: Int = 20, window: TimeInterval = 5 * 60) {
            precondition(maximumFailures >= 1 && window > 0, "invalid throttle policy")
            self.maximumFailures = maximumFailures
            self.window = window
        }

        /// Seconds to earn back one failure.
        public var refillInterval: TimeInterval { window / Double(maximumFailures) }
    }

    /// Whether a login may be attempted now.
    public enum Decision: Sendable, Equatable {
        /// Allowed; `remainingFailures` more failures are allowed right now.
        case allowed(remainingFailures: Int)
        /// Refused for `retryAfter` more seconds (whole milliseconds, at least one).
        case throttled(retryAfter: TimeInterval)

        /// RESOURCE_EXHAUSTED with `retry-after-ms` for a throttled decision, nil when allowed.
        public var rpcError: RPCError? {
            guard case .throttled(let retryAfter) = self else { return nil }
            let millis = max(1, Int((retryAfter * 1000).rounded()))
            return RPCError(
                .resourceExhausted, "too many failed logins from this address; retry later",
                metadata: [Metadata.Keys.retryAfterMillis: String(millis)])
        }
    }

    /// The rules applied.
    public let policy: Policy
    /// Tokens in the bucket at `updatedAt` (fractional while refilling).
    public private(set) var tokens: Double
    /// When `tokens` was last brought up to date.
    public private(set) var updatedAt: Date

    /// A full bucket at `now`.
    public init(policy: Policy = Policy(), now: Date) {
        self.policy = policy
        self.tokens = Double(policy.maximumFailures)
        self.updatedAt = now
    }

    /// Whether a login may be attempted at `now`.
    public func decision(at now: Date) -> Decision {
        let available = tokens(at: now)
        if available >= 1 { return .allowed(remainingFailures: Int(available.rounded(.down))) }
        // Whole milliseconds, so that float noise (4.999999999999999) does not leak into answers.
        let millis = ((1 - available) * policy.refillInterval * 1000).rounded()
        return .throttled(retryAfter: max(0.001, millis / 1000))
    }

    /// Records a failed login at `now` and returns the decision for the next attempt. It takes a
    /// token when one is left; a failure while throttled (an attempt that should have been
    /// refused) takes nothing and does not delay the refill.
    @discardableResult
    public mutating func recordFailure(at now: Date) -> Decision {
        let available = tokens(at: now)
        tokens = available >= 1 ? available - 1 : available
        updatedAt = max(updatedAt, now)
        return decision(at: now)
    }

    /// True when the bucket is full again at `now`, so the address's entry can be forgotten.
    public func isFull(at now: Date) -> Bool {
        tokens(at: now) >= Double(policy.maximumFailures)
    }

    /// The tokens available at `now`: the stored ones plus what refilled since, up to the size.
    /// A clock that went backwards refills nothing.
    private func tokens(at now: Date) -> Double {
        let elapsed = max(0, now.timeIntervalSince(updatedAt))
        return min(Double(policy.maximumFailures), tokens + elapsed / policy.refillInterval)
    }
}
