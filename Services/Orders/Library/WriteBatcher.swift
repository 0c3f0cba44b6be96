import Storage
import Synchronization

/// Group commit: runs many small writes of the same kind in one transaction, each inside its own
/// savepoint so that one failing item rolls back only itself. Callers still wait for the commit:
/// an item's result is delivered only after the transaction holding it committed.
///
/// While one batch is being written, new items queue; the next batch takes them all (up to
/// `maxBatchSize`). Under no concurrency a batch holds one item, so latency does not suffer.
final class WriteBatcher<Input: Sendable, Output: Sendable>: Sendable {
    /// The work for one item, run inside the batch's transaction.
    typealias Work = @Sendable (DatabaseConnection, Input) throws -> Output

    private struct Pending: Sendable {
        let input: Input
        let continuation: CheckedContinuation<Output, any Error>
    }

    private struct State: Sendable {
        var queue: [Pending] = []
        var draining = false
    }

    private let database: Database
    private let maxBatchSize: Int
    private let work: Work
    private let afterCommit: @Sendable () -> Void
    private let state = Mutex(State())

    /// A batcher writing to `database`; `afterCommit` runs after each committed batch.
    init(database: Database, maxBatchSize: Int = 64, afterCommit: @escaping @Sendable () -> Void, work: @escaping Work) {
        self.database = database
        self.maxBatchSize = max(1, maxBatchSize)
        self.afterCommit = afterCommit
        self.work = work
    }

    /// Writes `input` in the next batch and returns its output once the batch committed.
    func submit(_ input: Input) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            let startDraining = state.withLock { state -> Bool in
                state.queue.append(Pending(input: input, continuation: continuation))
                guard !state.draining else { return false }
                state.draining = true
                return true
            }
            if startDraining { Task.detached { await self.drain() } }
        }
    }

    /// Writes batches until the queue is empty.
    private func drain() async {
        while true {
            let batch = state.withLock { state -> [Pending] in
                let count = min(maxBatchSize, state.queue.count)
                if count == 0 { state.draining = false }
                let batch = Array(state.queue.prefix(count))
                state.queue.removeFirst(count)
                return batch
            }
            guard !batch.isEmpty else { return }
            let inputs = batch.map(\.input)
            let work = work
            do {
                let results = try await database.write { connection in
                    inputs.map { input -> Result<Output, any Error> in
                        Self.runInSavepoint(connection) { try work(connection, input) }
                    }
                }
                afterCommit()
                for (pending, result) in zip(batch, results) { pending.continuation.resume(with: result) }
            } catch {
                for pending in batch { pending.continuation.resume(throwing: error) }
            }
        }
    }

    /// Runs `body` in a savepoint: released on success, rolled back (only it) on failure.
    private static func runInSavepoint(_ connection: DatabaseConnection, _ body: () throws -> Output) -> Result<Output, any Error> {
        do {
            try connection.execute("SAVEPOINT batch_item")
        } catch {
            return .failure(error)
        }
        do {
            let output = try body()
            try connection.execute("RELEASE batch_item")
            return .success(output)
        } catch {
            _ = try? connection.execute("ROLLBACK TO batch_item")
            _ = try? connection.execute("RELEASE batch_item")
            return .failure(error)
        }
    }
}
