import Foundation

/// One account's lockout state machine: after `maximumFailures` consecutive failed logins (default
/// 5) the account is locked for `lockDuration` (default 15 minutes); a successful login or an
/// administrator's unlock resets it.
///
/// A pure value: every method takes the current time, so tests drive it with any clock and the
/// service can persist `consecutiveFailures` and `lockedUntil` with the account and rebuild it.
/// Failures while locked neither count nor extend the lock; once the lock has expired the count
/// starts again from zero.
public struct AccountLockout: Sendable, Equatable {
    /// When an account locks and for how long.
    public struct Policy: Sendable, Equatable {
        /// The consecutive failures that lock the account (the lock starts with this one).
        public var maximumFailures: Int
        /// How long a lock lasts, in seconds.
        public var lockDuration: TimeInterval

        /// A policy (defaults: 5 failures, 15 minutes).
        public init(maximumFailures: Int = 5, lockDuration: TimeInterval = 15 * 60) {
            precondition(maximumFailures >= 1 && lockDuration > 0, "invalid lockout policy")
            self.maximumFailures = maximumFailures
            self.lockDuration = lockDuration
        }
    }

    /// Whether a login may be attempted now.
    public enum Status: Sendable, Equatable {
        /// Logins are allowed; `remainingFailures` more failures lock the account.
        case open(remainingFailures: Int)
        /// Logins are refused until `until`, `retryAfter` seconds from now.
        case locked(until: Date, retryAfter: TimeInterval)
    }

    /// The rules applied.
    public let policy: Policy
    /// Failed logins since the last success, unlock or lock expiry.
    public private(set) var consecutiveFailures: Int
    /// The end of the current (or last) lock, nil when never locked since the last reset.
    public private(set) var lockedUntil: Date?

    /// A state under `policy`: fresh by default, or rebuilt from persisted values.
    public init(policy: Policy = Policy(), consecutiveFailures: Int = 0, lockedUntil: Date? = nil) {
        self.policy = policy
        self.consecutiveFailures = max(0, consecutiveFailures)
        self.lockedUntil = lockedUntil
    }

    /// A state under `policy` rebuilt from its stored columns: `lockedUntilMs` is Unix
    /// milliseconds, 0 when never locked since the last reset.
    public init(policy: Policy, consecutiveFailures: Int, lockedUntilMs: Int64) {
        self.init(
            policy: policy, consecutiveFailures: consecutiveFailures,
            lockedUntil: lockedUntilMs == 0 ? nil : Date(unixMs: lockedUntilMs))
    }

    /// Whether a login may be attempted at `now` (locked exactly until `lockedUntil`, open from then).
    public func status(at now: Date) -> Status {
        if let lockedUntil, now < lockedUntil {
            return .locked(until: lockedUntil, retryAfter: lockedUntil.timeIntervalSince(now))
        }
        let failures = isLockExpired(at: now) ? 0 : consecutiveFailures
        return .open(remainingFailures: policy.maximumFailures - failures)
    }

    /// Records a failed login at `now` and returns the resulting status: `.locked` when this
    /// failure reached the limit (or the account was locked already).
    @discardableResult
    public mutating func recordFailure(at now: Date) -> Status {
        if case .locked = status(at: now) { return status(at: now) }
        if isLockExpired(at: now) { reset() }
        consecutiveFailures += 1
        if consecutiveFailures >= policy.maximumFailures {
            lockedUntil = now.addingTimeInterval(policy.lockDuration)
        }
        return status(at: now)
    }

    /// Records a successful login: the failure count and any lock are cleared.
    public mutating func recordSuccess() {
        reset()
    }

    /// An administrator's unlock: the failure count and any lock are cleared.
    public mutating func unlock() {
        reset()
    }

    /// True when a lock was set and has run out by `now`.
    private func isLockExpired(at now: Date) -> Bool {
        guard let lockedUntil else { return false }
        return now >= lockedUntil
    }

    private mutating func reset() {
        consecutiveFailures = 0
        lockedUntil = nil
    }
}
