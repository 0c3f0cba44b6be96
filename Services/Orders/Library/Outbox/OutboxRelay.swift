import BackofficeAPI
import RPC
import ServiceRuntime
import Storage
import Synchronization

/// Delivers the outbox to statistics: oldest first, in batches, retrying with exponential
/// back-off while statistics is unreachable or failing. A row is deleted only after statistics
/// acknowledged its event (accepted, or duplicate: already counted); an event statistics rejects
/// stays in the table with the reason, for operators, and is not retried. Since statistics
/// de-duplicates by event id, a crash between sending and deleting only causes a duplicate that
/// is counted once.
public final class OutboxRelay: Sendable {
    /// Sends one batch and returns statistics' answer.
    public typealias Send = @Sendable ([Stats.Event]) async throws -> Stats.IngestBatchResponse

    /// How the relay retries.
    public struct Policy: Sendable {
        /// Events per batch.
        public var batchSize: Int
        /// The first wait after a failure; it doubles with each consecutive failure.
        public var initialBackoff: Duration
        /// The longest wait.
        public var maximumBackoff: Duration

        /// A policy with every value given.
        public init(batchSize: Int = 500, initialBackoff: Duration = .milliseconds(200), maximumBackoff: Duration = .seconds(30)) {
            self.batchSize = batchSize
            self.initialBackoff = initialBackoff
            self.maximumBackoff = maximumBackoff
        }

        /// The wait after `failures` consecutive failures (1 or more), with ±20 % jitter.
        public func backoff(afterFailures failures: Int) -> Duration {
            var delay = initialBackoff
            for _ in 1..<max(1, failures) where delay < maximumBackoff { delay *= 2 }
            return min(delay, maximumBackoff) * Double.random(in: 0.8...1.2)
        }
    }

    private struct State: Sendable {
        var lastError = ""
        var delivered: Int64 = 0
    }

    private let store: OrdersStore
    private let send: Send
    private let policy: Policy
    private let logger: Logger?
    private let state = Mutex(State())

    /// A relay of `store`'s outbox through `send`.
    public init(store: OrdersStore, policy: Policy = Policy(), logger: Logger? = nil, send: @escaping Send) {
        self.store = store
        self.send = send
        self.policy = policy
        self.logger = logger
    }

    /// A relay sending to the stats service at `channel` (a `SigningChannel` as the orders service).
    public convenience init(store: OrdersStore, statsChannel channel: any RPCChannel, policy: Policy = Policy(), logger: Logger? = nil) {
        let client = Stats.IngestClient(channel: channel)
        self.init(store: store, policy: policy, logger: logger) { events in
            var request = Stats.IngestBatchRequest()
            request.events = events
            return try await client.ingestBatch(request, options: CallOptions(timeout: .seconds(10)))
        }
    }

    /// The last delivery error (empty after a success) and the events acknowledged so far.
    public var progress: (lastError: String, delivered: Int64) {
        state.withLock { ($0.lastError, $0.delivered) }
    }

    /// Delivers until the task is cancelled: a batch whenever rows wait, else sleeps until the
    /// store signals new events.
    public func run() async {
        var wakeUps = store.outboxSignal.wakeUps.makeAsyncIterator()
        var failures = 0
        while !Task.isCancelled {
            do {
                let sent = try await deliverBatch()
                failures = 0
                if sent == 0 { _ = await wakeUps.next() }
            } catch {
                failures += 1
                let message = String(describing: error)
                let delay = policy.backoff(afterFailures: failures)
                logger?.warn("outbox delivery failed", ["error": message, "failures": String(failures)])
                try? await Task.sleep(for: delay)
            }
        }
    }

    /// Sends the oldest pending batch and settles its rows; the number of events sent.
    @discardableResult
    public func deliverBatch() async throws -> Int {
        let limit = Int64(policy.batchSize)
        let pending = try await store.database.read { connection in
            try connection.query(
                "SELECT sequence, payload FROM outbox WHERE rejected_reason IS NULL ORDER BY sequence LIMIT ?",
                [.integer(limit)]
            ).map { (try $0.int64("sequence"), try $0.blob("payload")) }
        }
        guard !pending.isEmpty else { return 0 }
        let events = try pending.map { try Stats.Event(serializedBytes: $0.1) }
        let response: Stats.IngestBatchResponse
        do {
            response = try await send(events)
        } catch {
            let message = String(describing: error)
            state.withLock { $0.lastError = message }
            throw error
        }
        var acknowledged: [Int64] = []
        var rejected: [(Int64, String)] = []
        for (index, result) in response.results.enumerated() where index < pending.count {
            guard result.eventId == events[index].eventId else { continue }
            switch result.outcome {
            case .accepted, .duplicate: acknowledged.append(pending[index].0)
            case .rejected: rejected.append((pending[index].0, result.reason.isEmpty ? "rejected" : result.reason))
            default: break
            }
        }
        try await store.database.write { [acknowledged, rejected] connection in
            for sequence in acknowledged {
                try connection.execute("DELETE FROM outbox WHERE sequence = ?", [.integer(sequence)])
            }
            for (sequence, reason) in rejected {
                try connection.execute(
                    "UPDATE outbox SET rejected_reason = ?, attempts = attempts + 1 WHERE sequence = ?",
                    [.text(reason), .integer(sequence)])
            }
        }
        for (sequence, reason) in rejected {
            logger?.error("statistics rejected an event", ["outbox_sequence": String(sequence), "reason": reason])
        }
        state.withLock {
            $0.lastError = acknowledged.count + rejected.count == pending.count ? "" : "statistics left some events unanswered"
            $0.delivered += Int64(acknowledged.count)
        }
        if acknowledged.count + rejected.count < pending.count {
            throw RPCError(.internalError, "statistics answered \(response.results.count) of \(pending.count) events")
        }
        return pending.count
    }

    /// What waits in the outbox, what was rejected, and how delivery goes.
    public func status() async throws -> Orders.OutboxStatus {
        let counts = try await store.database.read { connection in
            try connection.queryOne(
                """
                SELECT COUNT(*) FILTER (WHERE rejected_reason IS NULL) AS pending,
                    COUNT(*) FILTER (WHERE rejected_reason IS NOT NULL) AS rejected,
                    COALESCE(MIN(created_at_unix_ms) FILTER (WHERE rejected_reason IS NULL), 0) AS oldest
                FROM outbox
                """)!
        }
        var status = Orders.OutboxStatus()
        status.pending = try counts.int64("pending")
        status.rejected = try counts.int64("rejected")
        status.oldestPendingUnixMs = try counts.int64("oldest")
        let progress = progress
        status.lastError = progress.lastError
        status.deliveredSinceStart = progress.delivered
        return status
    }
}
