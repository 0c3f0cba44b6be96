import Foundation
import Testing

@testable import SecurityService

@Suite("SessionPolicy", .timeLimit(.minutes(1)))
struct SessionPolicyTests {
    let policy = SessionPolicy()
    let created = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("a new session is valid until its idle limit")
    func fresh() {
        #expect(policy.validity(createdAt: created, lastSeenAt: created, now: created) == .valid(expiresAt: created + 1800))
        #expect(
            policy.validity(createdAt: created, lastSeenAt: created, now: created + 1799)
                == .valid(expiresAt: created + 1800))
    }

    @Test("idle expiry: exactly 30 minutes after last seen")
    func idle() {
        #expect(policy.validity(createdAt: created, lastSeenAt: created, now: created + 1800) == .expired(.idle))
        let seen = created + 3600
        #expect(policy.validity(createdAt: created, lastSeenAt: seen, now: seen + 1799) == .valid(expiresAt: seen + 1800))
        #expect(policy.validity(createdAt: created, lastSeenAt: seen, now: seen + 1800) == .expired(.idle))
    }

    @Test("absolute expiry: 12 hours after creation however recently used")
    func absolute() {
        let end = created + 12 * 3600
        #expect(
            policy.validity(createdAt: created, lastSeenAt: end - 60, now: end - 1) == .valid(expiresAt: end))
        #expect(policy.validity(createdAt: created, lastSeenAt: end - 60, now: end) == .expired(.absolute))
        // Both limits passed: the absolute one is reported.
        #expect(policy.validity(createdAt: created, lastSeenAt: created, now: end + 1) == .expired(.absolute))
    }

    @Test("touch only when more than the touch interval passed")
    func touch() {
        #expect(!policy.shouldTouch(lastSeenAt: created, now: created))
        #expect(!policy.shouldTouch(lastSeenAt: created, now: created + 60))
        #expect(policy.shouldTouch(lastSeenAt: created, now: created + 61))
        let eager = SessionPolicy(absoluteLifetime: 60, idleTimeout: 10, touchInterval: 0)
        #expect(eager.shouldTouch(lastSeenAt: created, now: created + 0.5))
        #expect(eager.validity(createdAt: created, lastSeenAt: created + 55, now: created + 59) == .valid(expiresAt: created + 60))
    }
}
