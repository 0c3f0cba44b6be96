import Synchronization

/// Applies due publication schedules inside the process: at start (so schedules that fell due while
/// the process was down are applied at once), then at each next due time. `wake()` makes it look
/// again at once (after a schedule changed); without news it looks again after `idleCheck`.
public final class ContentScheduler: Sendable {
    private struct State {
        var wakeups: UInt64 = 0
        var sleeper: Task<Void, Never>?
    }

    /// The items whose schedules are applied.
    public let store: ItemStore
    /// Longest time between two looks, in milliseconds.
    public let idleCheckMs: Int64
    private let onError: @Sendable (any Error) -> Void
    private let state = Mutex(State())

    /// A scheduler over `store`, which also gives the clock; `onError` hears failed passes (the
    /// next pass retries).
    public init(store: ItemStore, idleCheckMs: Int64 = 60_000, onError: @escaping @Sendable (any Error) -> Void = { _ in }) {
        self.store = store
        self.idleCheckMs = idleCheckMs
        self.onError = onError
    }

    /// Runs until the task is cancelled.
    public func run() async {
        while !Task.isCancelled {
            let seen = state.withLock { $0.wakeups }
            let now = store.clock.nowUnixMs()
            var next = now + idleCheckMs
            do {
                try await store.applyDueSchedules(now: now)
                if let due = try await store.nextDueTime() { next = min(next, max(due, now)) }
            } catch {
                onError(error)
                next = min(next, now + 1000)
            }
            let clock = store.clock
            let sleeper = Task<Void, Never> { _ = try? await clock.sleep(untilUnixMs: next) }
            let woken = state.withLock { state -> Bool in
                if state.wakeups != seen { return true }
                state.sleeper = sleeper
                return false
            }
            if woken { sleeper.cancel() }
            await withTaskCancellationHandler {
                await sleeper.value
            } onCancel: {
                sleeper.cancel()
            }
            state.withLock { $0.sleeper = nil }
        }
    }

    /// Makes the scheduler look at the schedules again now.
    public func wake() {
        state.withLock { state in
            state.wakeups &+= 1
            state.sleeper?.cancel()
        }
    }
}
