import Foundation
import Testing

@testable import SecurityService

@Suite("AccountLockout", .timeLimit(.minutes(1)))
struct AccountLockoutTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("locks exactly at the 5th consecutive failure, for 15 minutes")
    func locksAtFifthFailure() {
        var lockout = AccountLockout()
        #expect(lockout.status(at: start) == .open(remainingFailures: 5))
        for attempt in 1...4 {
            #expect(lockout.recordFailure(at: start + Double(attempt)) == .open(remainingFailures: 5 - attempt))
        }
        let fifth = start + 5
        #expect(lockout.recordFailure(at: fifth) == .locked(until: fifth + 900, retryAfter: 900))
        #expect(lockout.consecutiveFailures == 5)
        #expect(lockout.lockedUntil == fifth + 900)
    }

    @Test("still locked at 14:59, open at 15:00 with a fresh count")
    func lockExpiry() {
        var lockout = AccountLockout()
        for _ in 1...5 { lockout.recordFailure(at: start) }
        #expect(lockout.status(at: start + 899) == .locked(until: start + 900, retryAfter: 1))
        #expect(lockout.status(at: start + 900) == .open(remainingFailures: 5))
        // The count starts again after the lock ran out: one failure does not relock.
        #expect(lockout.recordFailure(at: start + 901) == .open(remainingFailures: 4))
        #expect(lockout.lockedUntil == nil)
    }

    @Test("failures while locked neither count nor extend the lock")
    func failuresWhileLocked() {
        var lockout = AccountLockout()
        for _ in 1...5 { lockout.recordFailure(at: start) }
        #expect(lockout.recordFailure(at: start + 600) == .locked(until: start + 900, retryAfter: 300))
        #expect(lockout.consecutiveFailures == 5)
        #expect(lockout.status(at: start + 900) == .open(remainingFailures: 5))
    }

    @Test("a success resets the count")
    func successResets() {
        var lockout = AccountLockout()
        for _ in 1...4 { lockout.recordFailure(at: start) }
        lockout.recordSuccess()
        #expect(lockout.status(at: start) == .open(remainingFailures: 5))
        for _ in 1...4 { lockout.recordFailure(at: start) }
        #expect(lockout.status(at: start) == .open(remainingFailures: 1))
        #expect(lockout.recordFailure(at: start) == .locked(until: start + 900, retryAfter: 900))
    }

    @Test("an administrator's unlock clears the lock at once")
    func unlockResets() {
        var lockout = AccountLockout()
        for _ in 1...5 { lockout.recordFailure(at: start) }
        lockout.unlock()
        #expect(lockout.status(at: start + 1) == .open(remainingFailures: 5))
        #expect(lockout.consecutiveFailures == 0 && lockout.lockedUntil == nil)
    }

    @Test("policy is configurable and state can be rebuilt from persisted values")
    func configurableAndRebuilt() {
        let policy = AccountLockout.Policy(maximumFailures: 3, lockDuration: 60)
        var lockout = AccountLockout(policy: policy)
        lockout.recordFailure(at: start)
        lockout.recordFailure(at: start)
        #expect(lockout.recordFailure(at: start) == .locked(until: start + 60, retryAfter: 60))
        let rebuilt = AccountLockout(
            policy: policy, consecutiveFailures: lockout.consecutiveFailures, lockedUntil: lockout.lockedUntil)
        #expect(rebuilt == lockout)
        #expect(rebuilt.status(at: start + 59) == .locked(until: start + 60, retryAfter: 1))
    }
}
