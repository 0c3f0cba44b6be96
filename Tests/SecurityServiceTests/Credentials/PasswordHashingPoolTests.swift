import Crypto
import Foundation
import RPC
import Synchronization
import Testing

@testable import SecurityService

@Suite("PasswordHashingPool", .timeLimit(.minutes(1)))
struct PasswordHashingPoolTests {
    /// A latch the workers wait on (on their own threads, never on a Swift concurrency thread).
    final class Gate: Sendable {
        private let open = ConditionLock(false)

        /// Blocks the calling worker thread until `release()`.
        func wait() { open.waitUntil { $0 ? () : nil } }
        func release() { open.withLock(wake: .all) { $0 = true } }
    }

    /// Counts jobs running at once and remembers the most seen.
    final class ConcurrencyCounter: Sendable {
        let current = Atomic<Int>(0)
        let peak = Atomic<Int>(0)

        func enter() {
            let now = current.add(1, ordering: .sequentiallyConsistent).newValue
            _ = peak.max(now, ordering: .sequentiallyConsistent)
        }

        func leave() { _ = current.subtract(1, ordering: .sequentiallyConsistent) }
    }

    static func makePool(workers: Int = 2, queue: Int = 64) -> PasswordHashingPool {
        PasswordHashingPool(
            hasher: PasswordHasher(parameters: .testing),
            configuration: .init(workerCount: workers, queueCapacity: queue))
    }

    /// Polls `condition` every millisecond (suspending, not blocking) until it holds.
    static func eventually(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("condition not met in time")
                return
            }
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    /// Occupies all `count` workers of `pool` with jobs waiting on `gate`; returns once they run.
    static func occupy(_ pool: PasswordHashingPool, workers count: Int, until gate: Gate) async throws -> [Task<Void, any Error>] {
        let blockers = (0..<count).map { _ in Task { try await pool.run { gate.wait() } } }
        try await eventually { pool.statistics.running == count }
        return blockers
    }

    @Test("hash and verify run on the pool: correct passwords match, wrong ones do not")
    func hashAndVerify() async throws {
        let pool = Self.makePool()
        defer { pool.shutdown() }
        let encoded = try await pool.hash("correct horse battery staple")
        #expect(encoded.hasPrefix("$argon2id$"))
        #expect(try await pool.verify("correct horse battery staple", against: encoded))
        #expect(try await !pool.verify("correct horse battery stapler", against: encoded))
        #expect(try await !pool.verify("correct horse battery staple", against: "not a hash"))
        #expect(!pool.needsRehash(encoded))
        #expect(PasswordHashingPool(configuration: .init(workerCount: 1)).needsRehash(encoded))
        #expect(pool.statistics.completed == 4)
    }

    @Test("dummyVerify runs one Argon2id evaluation per call on a worker")
    func dummyVerify() async throws {
        let pool = Self.makePool()
        defer { pool.shutdown() }
        try await pool.dummyVerify()
        try await pool.dummyVerify()
        try await pool.dummyVerify()
        #expect(pool.statistics.completed == 3)
    }

    @Test("work runs outside any Swift task, on the pool's own threads")
    func offCallerThread() async throws {
        let pool = Self.makePool(workers: 1)
        defer { pool.shutdown() }
        var threads = Set<ObjectIdentifier>()
        for _ in 0..<10 {
            let (inTask, thread) = try await pool.run {
                (withUnsafeCurrentTask { $0 != nil }, ObjectIdentifier(Thread.current))
            }
            #expect(!inTask)
            threads.insert(thread)
        }
        #expect(threads.count == 1)  // one worker: one dedicated thread
    }

    @Test("a burst of 200 against 2 busy workers and a queue of 8: 8 succeed, 192 are RESOURCE_EXHAUSTED")
    func burst() async throws {
        let pool = Self.makePool(workers: 2, queue: 8)
        defer { pool.shutdown() }
        let gate = Gate()
        let blockers = try await Self.occupy(pool, workers: 2, until: gate)
        enum Outcome: Sendable {
            case hashed(String, String)
            case exhausted(RPCError)
            case failed(String)
        }
        let outcomes = try await withThrowingTaskGroup(of: Outcome.self) { group in
            for index in 0..<200 {
                group.addTask {
                    let password = "burst password \(index)"
                    do {
                        return .hashed(password, try await pool.hash(password))
                    } catch let error as RPCError where error.code == .resourceExhausted {
                        return .exhausted(error)
                    } catch {
                        return .failed("\(error)")
                    }
                }
            }
            // Every request is either queued or refused before the workers are let go.
            try await Self.eventually {
                let statistics = pool.statistics
                return statistics.queued + statistics.rejected == 200
            }
            #expect(pool.statistics.queued == 8)
            gate.release()
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for blocker in blockers { try await blocker.value }

        var hashed: [(String, String)] = []
        var exhausted: [RPCError] = []
        for outcome in outcomes {
            switch outcome {
            case .hashed(let password, let encoded): hashed.append((password, encoded))
            case .exhausted(let error): exhausted.append(error)
            case .failed(let description): Issue.record("unexpected failure: \(description)")
            }
        }
        #expect(hashed.count == 8)
        #expect(exhausted.count == 192)
        for error in exhausted {
            let retryAfter = error.metadata[Metadata.Keys.retryAfterMillis].flatMap(Int.init)
            #expect((retryAfter ?? 0) > 0)
        }
        for (password, encoded) in hashed {
            #expect(try await pool.verify(password, against: encoded))
        }
        let statistics = pool.statistics
        #expect(statistics.peakRunning == 2)
        #expect(statistics.rejected == 192)
        #expect(statistics.completed == 2 + 8 + 8)
    }

    @Test("no more than `workers` jobs run at once")
    func concurrencyBound() async throws {
        let pool = Self.makePool(workers: 2, queue: 64)
        defer { pool.shutdown() }
        let counter = ConcurrencyCounter()
        let hasher = PasswordHasher(parameters: .testing)
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<60 {
                group.addTask {
                    try await pool.run {
                        counter.enter()
                        defer { counter.leave() }
                        let encoded = try hasher.hash("password \(index)")
                        return hasher.verify("password \(index)", against: encoded)
                    }
                }
            }
            for try await matched in group { #expect(matched) }
        }
        #expect((1...2).contains(counter.peak.load(ordering: .sequentiallyConsistent)))
        #expect(pool.statistics.peakRunning <= 2)
        #expect(pool.statistics.rejected == 0)
    }

    @Test("a queued job is withdrawn when its task is cancelled")
    func cancellationWhileQueued() async throws {
        let pool = Self.makePool(workers: 1, queue: 4)
        defer { pool.shutdown() }
        let gate = Gate()
        let blockers = try await Self.occupy(pool, workers: 1, until: gate)
        let ran = ConditionLock(false)
        let waiting = Task { try await pool.run { ran.withLock { $0 = true } } }
        try await Self.eventually { pool.statistics.queued == 1 }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        #expect(pool.statistics.queued == 0)
        #expect(pool.statistics.cancelled == 1)
        gate.release()
        for blocker in blockers { try await blocker.value }
        #expect(try await pool.hash("after cancel").hasPrefix("$argon2id$"))
        #expect(!ran.withLock { $0 })

        // A task cancelled before it calls never reaches the queue.
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await pool.hash("never hashed")
        }
        await #expect(throws: CancellationError.self) { try await early.value }
    }

    @Test("shutdown fails queued and later calls with UNAVAILABLE")
    func shutdown() async throws {
        let pool = Self.makePool(workers: 1, queue: 4)
        let gate = Gate()
        let blockers = try await Self.occupy(pool, workers: 1, until: gate)
        let queued = Task { try await pool.hash("queued") }
        try await Self.eventually { pool.statistics.queued == 1 }
        pool.shutdown()
        let queuedError = await #expect(throws: RPCError.self) { try await queued.value }
        #expect(queuedError?.code == .unavailable)
        let laterError = await #expect(throws: RPCError.self) { try await pool.hash("later") }
        #expect(laterError?.code == .unavailable)
        gate.release()
        for blocker in blockers { try await blocker.value }
    }
}
