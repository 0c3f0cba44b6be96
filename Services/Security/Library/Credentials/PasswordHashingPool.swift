import Crypto
import Foundation
import RPC

/// Runs `PasswordHasher` work (Argon2id hashing and verification) on a few dedicated worker
/// threads, so callers on network event-loop threads only enqueue work and await its result.
///
/// - Workers: a fixed number (default 2, the development server's cores). At most that many
///   hashes run at once, so memory is bounded by `workerCount × parameters.memoryLimitBytes`
///   (128 MiB with the defaults).
/// - Queue: at most `queueCapacity` jobs wait for a worker (default 64). When it is full a call
///   fails at once with `RPCError(.resourceExhausted, ...)` whose metadata carries `retry-after-ms`
///   (an estimate of how long the queued work takes), instead of piling up latency and memory.
/// - Cancellation: a job still waiting when its task is cancelled is removed from the queue and
///   the call throws `CancellationError`; a job a worker has started runs to the end (Argon2id
///   cannot be interrupted) and its result is returned.
/// - Shutdown: `shutdown()` (or releasing the pool) fails waiting jobs with UNAVAILABLE and stops
///   the workers once their current job ends.
///
/// `dummyVerify()` spends as much as a real verification, for logins naming an unknown account, so
/// response times do not tell which accounts exist.
public final class PasswordHashingPool: Sendable {
    /// How a pool is sized.
    public struct Configuration: Sendable {
        /// The number of worker threads (at least 1): the most hashes that run at once.
        public var workerCount: Int
        /// The most jobs that wait for a worker (at least 0); one more is refused.
        public var queueCapacity: Int
        /// What one hash is assumed to cost until the pool has measured some: the basis of the
        /// first `retry-after-ms` estimates.
        public var initialJobDuration: Duration

        /// A configuration with the given sizes (defaults: 2 workers, 64 queued, 100 ms per hash).
        public init(workerCount: Int = 2, queueCapacity: Int = 64, initialJobDuration: Duration = .milliseconds(100)) {
            self.workerCount = workerCount
            self.queueCapacity = queueCapacity
            self.initialJobDuration = initialJobDuration
        }
    }

    /// A snapshot of the pool's counters, for metrics and tests.
    public struct Statistics: Sendable, Equatable {
        /// Jobs running on a worker now.
        public var running: Int
        /// Jobs waiting for a worker now.
        public var queued: Int
        /// The most jobs that ever ran at once.
        public var peakRunning: Int
        /// Jobs that ran to the end.
        public var completed: Int
        /// Calls refused because the queue was full.
        public var rejected: Int
        /// Jobs removed from the queue because their task was cancelled.
        public var cancelled: Int
    }

    /// The hasher the workers use; its parameters apply to new hashes.
    public let hasher: PasswordHasher
    /// The sizes this pool was created with.
    public let configuration: Configuration
    private let core: Core
    private let dummyHash: ConditionLock<String?>

    /// A pool of `configuration.workerCount` threads hashing with `hasher`. The threads start now.
    public init(hasher: PasswordHasher = PasswordHasher(), configuration: Configuration = Configuration()) {
        precondition(configuration.workerCount >= 1, "a hashing pool needs at least one worker")
        precondition(configuration.queueCapacity >= 0, "a hashing pool's queue capacity cannot be negative")
        self.hasher = hasher
        self.configuration = configuration
        self.core = Core(configuration: configuration)
        self.dummyHash = ConditionLock(nil)
        for index in 0..<configuration.workerCount {
            let core = self.core
            // A name for debuggers and `top -H`, set from inside the thread (best effort: Linux
            // keeps at most 15 characters).
            let name = "pwhash-\(index)"
            Thread {
                Thread.current.name = name
                core.runWorker()
            }.start()
        }
    }

    deinit {
        core.shutdown()
    }

    /// Hashes `password` with a fresh salt on a worker; returns the `$argon2id$...` string.
    ///
    /// Throws `RPCError` RESOURCE_EXHAUSTED when the queue is full, UNAVAILABLE after shutdown,
    /// `CancellationError` when the task is cancelled before a worker starts the job, and
    /// `CryptoError` when libsodium fails (for instance, out of memory).
    public func hash(_ password: String) async throws -> String {
        let hasher = self.hasher
        return try await run { try hasher.hash(password) }
    }

    /// True when `password` matches the stored hash `encoded` (false for a wrong password or a
    /// malformed hash), computed on a worker. Throws as `hash` does, except for `CryptoError`.
    public func verify(_ password: String, against encoded: String) async throws -> Bool {
        let hasher = self.hasher
        return try await run { hasher.verify(password, against: encoded) }
    }

    /// Costs what verifying a password against a hash made with this pool's parameters costs, and
    /// reveals nothing: call it when a login names an unknown account, then refuse the login.
    /// Throws as `verify` does.
    public func dummyVerify() async throws {
        let hasher = self.hasher
        let dummyHash = self.dummyHash
        try await run {
            // The first call makes the dummy hash (one Argon2id evaluation, like a verification);
            // later calls verify a random password against it.
            let probe = SecureRandom.token()
            if let existing = dummyHash.withLock({ $0 }) {
                _ = hasher.verify(probe, against: existing)
            } else {
                let made = try hasher.hash(probe)
                dummyHash.withLock { $0 = $0 ?? made }
            }
        }
    }

    /// True when `encoded` should be replaced by a new hash of the password (it was made with other
    /// parameters or is not a valid hash). Cheap: runs on the caller's thread.
    public func needsRehash(_ encoded: String) -> Bool {
        hasher.needsRehash(encoded)
    }

    /// The pool's counters now.
    public var statistics: Statistics {
        core.state.withLock { $0.statistics }
    }

    /// Refuses new work, fails waiting jobs with UNAVAILABLE and lets each worker exit after its
    /// current job. Idempotent.
    public func shutdown() {
        core.shutdown()
    }

    /// Runs `work` on a worker and returns its result: the single path every job takes.
    func run<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
        try Task.checkCancellation()
        let result = ConditionLock<Result<Value, any Error>?>(nil)
        let id = core.nextID()
        let core = self.core
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let job = Job(
                    id: id,
                    work: { result.withLock { $0 = Result { try work() } } },
                    finish: { outcome in
                        switch outcome {
                        case .ran: continuation.resume()
                        case .cancelled: continuation.resume(throwing: CancellationError())
                        case .shutDown:
                            continuation.resume(throwing: RPCError(.unavailable, "password hashing is shutting down"))
                        }
                    })
                if let refusal = core.enqueue(job) {
                    continuation.resume(throwing: refusal)
                } else if Task.isCancelled {
                    // Cancelled between the check above and the enqueue: the handler may have run
                    // before the job was in the queue, so withdraw it here (a no-op if started).
                    core.cancel(id)
                }
            }
        } onCancel: {
            core.cancel(id)
        }
        guard let outcome = result.withLock({ $0 }) else {
            preconditionFailure("a hashing job finished without a result")
        }
        return try outcome.get()
    }

    /// How a job left the pool.
    private enum Outcome: Sendable {
        case ran, cancelled, shutDown
    }

    /// One queued call: the work, and how to resume its caller.
    private struct Job: Sendable {
        let id: UInt64
        let work: @Sendable () -> Void
        let finish: @Sendable (Outcome) -> Void
    }

    /// The queue and counters the callers and workers share.
    private struct State: Sendable {
        var queue: [Job] = []
        var isShutDown = false
        var nextID: UInt64 = 0
        var statistics = Statistics(running: 0, queued: 0, peakRunning: 0, completed: 0, rejected: 0, cancelled: 0)
        /// Moving average of a job's duration in seconds, for `retry-after-ms`.
        var averageJobSeconds: Double
    }

    /// The shared state; the workers hold it (not the pool), so releasing the pool shuts it down.
    private final class Core: Sendable {
        let state: ConditionLock<State>
        let configuration: Configuration

        init(configuration: Configuration) {
            self.configuration = configuration
            let initial = configuration.initialJobDuration.components
            let seconds = Double(initial.seconds) + Double(initial.attoseconds) / 1e18
            self.state = ConditionLock(State(averageJobSeconds: max(seconds, 0.001)))
        }

        func nextID() -> UInt64 {
            state.withLock { state in
                state.nextID += 1
                return state.nextID
            }
        }

        /// Queues `job` and wakes a worker, or returns the error to fail the call with.
        func enqueue(_ job: Job) -> RPCError? {
            state.withLock(wake: .one) { state -> RPCError? in
                if state.isShutDown { return RPCError(.unavailable, "password hashing is shutting down") }
                guard state.queue.count < configuration.queueCapacity else {
                    state.statistics.rejected += 1
                    let pending = Double(state.queue.count + state.statistics.running)
                    let waitSeconds = state.averageJobSeconds * pending / Double(configuration.workerCount)
                    let millis = max(1, Int((waitSeconds * 1000).rounded(.up)))
                    return RPCError(
                        .resourceExhausted, "too many password checks in progress; retry later",
                        metadata: [Metadata.Keys.retryAfterMillis: String(millis)])
                }
                state.queue.append(job)
                state.statistics.queued = state.queue.count
                return nil
            }
        }

        /// Withdraws job `id` if it is still waiting, failing its call with `CancellationError`.
        func cancel(_ id: UInt64) {
            let removed = state.withLock { state -> Job? in
                guard let index = state.queue.firstIndex(where: { $0.id == id }) else { return nil }
                let job = state.queue.remove(at: index)
                state.statistics.queued = state.queue.count
                state.statistics.cancelled += 1
                return job
            }
            removed?.finish(.cancelled)
        }

        func shutdown() {
            let abandoned = state.withLock(wake: .all) { state -> [Job] in
                state.isShutDown = true
                defer {
                    state.queue.removeAll()
                    state.statistics.queued = 0
                }
                return state.queue
            }
            for job in abandoned { job.finish(.shutDown) }
        }

        /// A worker thread's life: take a job, run it, report it, until shutdown.
        func runWorker() {
            while true {
                let next = state.waitUntil { state -> Job?? in
                    if !state.queue.isEmpty {
                        let job = state.queue.removeFirst()
                        state.statistics.queued = state.queue.count
                        state.statistics.running += 1
                        state.statistics.peakRunning = max(state.statistics.peakRunning, state.statistics.running)
                        return .some(job)
                    }
                    return state.isShutDown ? .some(nil) : nil
                }
                guard let job = next else { return }
                let started = ContinuousClock.now
                job.work()
                let elapsed = (ContinuousClock.now - started).components
                let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
                state.withLock { state in
                    state.statistics.running -= 1
                    state.statistics.completed += 1
                    state.averageJobSeconds = state.averageJobSeconds * 0.8 + seconds * 0.2
                }
                job.finish(.ran)
            }
        }
    }
}
