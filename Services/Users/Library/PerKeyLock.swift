/// Runs async operations one at a time per key (here: per user id), in arrival order, while
/// operations on different keys run concurrently.
///
/// The users service is the only writer of its accounts, so serializing the operations on one
/// account inside this process is enough to keep the sequence "check locally, write security,
/// write locally (or compensate)" of two concurrent requests from interleaving.
public actor PerKeyLock {
    private var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]
    private var held: Set<String> = []

    /// A lock with no key held.
    public init() {}

    /// Runs `body` once no other operation holds `key`.
    public func withLock<T: Sendable>(_ key: String, _ body: @Sendable () async throws -> T) async throws -> T {
        await acquire(key)
        do {
            let result = try await body()
            release(key)
            return result
        } catch {
            release(key)
            throw error
        }
    }

    private func acquire(_ key: String) async {
        if held.insert(key).inserted { return }
        await withCheckedContinuation { waiters[key, default: []].append($0) }
    }

    private func release(_ key: String) {
        if var queue = waiters[key], !queue.isEmpty {
            let next = queue.removeFirst()
            waiters[key] = queue.isEmpty ? nil : queue
            next.resume()  // ownership passes to the next waiter; `held` keeps the key
        } else {
            held.remove(key)
        }
    }
}
