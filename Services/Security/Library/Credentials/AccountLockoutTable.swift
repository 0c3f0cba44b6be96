import Foundation

/// The thread-safe, in-memory set of `AccountLockout`s, one per account id, read through an
/// injectable clock. (A service that must keep locks across restarts persists
/// `AccountLockout.consecutiveFailures` and `lockedUntil` with the account instead.)
public final class AccountLockoutTable: Sendable {
    /// The rules every account gets.
    public let policy: AccountLockout.Policy
    private let now: @Sendable () -> Date
    private let lockouts = ConditionLock<[String: AccountLockout]>([:])

    /// A table applying `policy`, reading the time from `now` (default: the system clock).
    public init(policy: AccountLockout.Policy = AccountLockout.Policy(), now: @escaping @Sendable () -> Date = { Date() }) {
        self.policy = policy
        self.now = now
    }

    /// Whether `account` may attempt a login now.
    public func status(of account: String) -> AccountLockout.Status {
        let time = now()
        return lockouts.withLock { lockouts in
            lockouts[account]?.status(at: time) ?? .open(remainingFailures: policy.maximumFailures)
        }
    }

    /// Records a failed login for `account`; returns `.locked` when it is (now) locked.
    @discardableResult
    public func recordFailure(for account: String) -> AccountLockout.Status {
        let time = now()
        let policy = self.policy
        return lockouts.withLock { lockouts in
            var lockout = lockouts[account] ?? AccountLockout(policy: policy)
            let status = lockout.recordFailure(at: time)
            lockouts[account] = lockout
            return status
        }
    }

    /// Records a successful login for `account`, clearing its failures.
    public func recordSuccess(for account: String) {
        _ = lockouts.withLock { $0.removeValue(forKey: account) }
    }

    /// An administrator's unlock of `account`, clearing its failures and lock.
    public func unlock(_ account: String) {
        _ = lockouts.withLock { $0.removeValue(forKey: account) }
    }
}
