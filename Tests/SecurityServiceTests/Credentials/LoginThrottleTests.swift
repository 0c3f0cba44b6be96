import Foundation
import RPC
import Testing

@testable import SecurityService

@Suite("LoginThrottle", .timeLimit(.minutes(1)))
struct LoginThrottleTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("20 failures are allowed in a burst; the 20th throttles for one refill interval")
    func burst() {
        var throttle = LoginThrottle(now: start)
        #expect(throttle.decision(at: start) == .allowed(remainingFailures: 20))
        for failure in 1...19 {
            #expect(throttle.recordFailure(at: start) == .allowed(remainingFailures: 20 - failure))
        }
        #expect(throttle.recordFailure(at: start) == .throttled(retryAfter: 15))
        #expect(throttle.decision(at: start + 10) == .throttled(retryAfter: 5))
        // Failures while throttled take nothing more.
        #expect(throttle.recordFailure(at: start + 10) == .throttled(retryAfter: 5))
    }

    @Test("the bucket refills over time: one failure per 15 s, full after 5 minutes")
    func refill() {
        var throttle = LoginThrottle(now: start)
        for _ in 1...20 { throttle.recordFailure(at: start) }
        #expect(throttle.decision(at: start + 15) == .allowed(remainingFailures: 1))
        #expect(throttle.recordFailure(at: start + 15) == .throttled(retryAfter: 15))
        #expect(throttle.decision(at: start + 45) == .allowed(remainingFailures: 2))
        #expect(!throttle.isFull(at: start + 314))
        #expect(throttle.isFull(at: start + 315))
        #expect(throttle.decision(at: start + 3600) == .allowed(remainingFailures: 20))
    }

    @Test("a clock going backwards refills nothing")
    func backwardsClock() {
        var throttle = LoginThrottle(policy: .init(maximumFailures: 2, window: 60), now: start)
        throttle.recordFailure(at: start)
        #expect(throttle.recordFailure(at: start - 100) == .throttled(retryAfter: 30))
        #expect(throttle.decision(at: start + 30) == .allowed(remainingFailures: 1))
    }

    @Test("a throttled decision converts to RESOURCE_EXHAUSTED with retry-after-ms")
    func rpcError() throws {
        #expect(LoginThrottle.Decision.allowed(remainingFailures: 3).rpcError == nil)
        let error = try #require(LoginThrottle.Decision.throttled(retryAfter: 14.2).rpcError)
        #expect(error.code == .resourceExhausted)
        #expect(error.metadata[Metadata.Keys.retryAfterMillis] == "14200")
    }

    @Test("the table throttles per address with the injected clock and forgets refilled ones")
    func table() {
        let clock = ManualClock(start)
        let table = LoginThrottleTable(policy: .init(maximumFailures: 3, window: 30), now: clock.now)
        table.recordFailure(from: "10.0.0.1")
        table.recordFailure(from: "10.0.0.1")
        #expect(table.recordFailure(from: "10.0.0.1") == .throttled(retryAfter: 10))
        #expect(table.decision(for: "10.0.0.2") == .allowed(remainingFailures: 3))
        clock.advance(by: 10)
        #expect(table.decision(for: "10.0.0.1") == .allowed(remainingFailures: 1))
        clock.advance(by: 20)
        #expect(table.trackedAddressCount == 1)
        // The next sweep (every pruneInterval failures) drops the full bucket of 10.0.0.1.
        for _ in 1..<LoginThrottleTable.pruneInterval { table.recordFailure(from: "10.0.0.3") }
        #expect(table.trackedAddressCount == 1)
        #expect(table.decision(for: "10.0.0.3") == .throttled(retryAfter: 10))
    }
}
