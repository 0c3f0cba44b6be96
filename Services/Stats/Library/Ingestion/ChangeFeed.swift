import Synchronization

/// Tells listeners that new events were accepted. Each listener gets an `AsyncStream` that yields
/// once per change (changes that come while the listener is busy collapse into one).
public final class ChangeFeed: Sendable {
    private let listeners = Mutex<[Int: AsyncStream<Void>.Continuation]>([:])
    private let nextID = Mutex(0)

    /// A feed without listeners.
    public init() {}

    /// A stream of change notices, ended when the consuming task is cancelled or the stream is
    /// dropped. `tick`, when given, also yields every `tick` (so a listener can refresh on time).
    public func updates(tick: Duration? = nil) -> AsyncStream<Void> {
        let id = nextID.withLock { value in
            value += 1
            return value
        }
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        listeners.withLock { $0[id] = continuation }
        let ticker: Task<Void, Never>? = tick.map { interval in
            Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    continuation.yield()
                }
            }
        }
        continuation.onTermination = { [weak self] _ in
            ticker?.cancel()
            _ = self?.listeners.withLock { $0.removeValue(forKey: id) }
        }
        return stream
    }

    /// Wakes every listener.
    public func signal() {
        for continuation in listeners.withLock({ Array($0.values) }) { continuation.yield() }
    }

    /// How many listeners are attached (for tests).
    public var listenerCount: Int { listeners.withLock { $0.count } }
}
