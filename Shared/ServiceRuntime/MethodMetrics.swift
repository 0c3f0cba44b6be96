import RPC
import Synchronization

/// The live metrics of one method: resolve it once with `MetricsRegistry.handle(for:)`, then
/// `record` each call. Recording takes a lock and makes a few additions; the counts are kept in
/// a few shards, one per event loop (by the loop's index), so that loops recording at once do
/// not contend for one lock. A snapshot adds the shards up.
public final class MethodMetrics: Sendable {
    /// The method's full name.
    public let method: String
    private let shards: [Shard]

    /// One part of the counts, behind its own lock.
    private final class Shard: Sendable {
        let state = Mutex(State())
    }

    private struct State {
        var calls: UInt64 = 0
        var errors: UInt64 = 0
        /// Per code: its name (as first recorded) and count. Errors are rare: a small dictionary.
        var errorsByCode: [Int32: (name: String, count: UInt64)] = [:]
        var buckets = [UInt64](repeating: 0, count: LatencyHistogram.upperBounds.count)
        var minMicros: UInt64 = .max
        var maxMicros: UInt64 = 0
        var totalMicros: UInt64 = 0

        /// Adds `other`'s counts to these.
        mutating func add(_ other: State) {
            calls &+= other.calls
            errors &+= other.errors
            for (code, entry) in other.errorsByCode {
                let name = errorsByCode[code]?.name ?? entry.name
                errorsByCode[code] = (name, (errorsByCode[code]?.count ?? 0) &+ entry.count)
            }
            for index in buckets.indices { buckets[index] &+= other.buckets[index] }
            minMicros = min(minMicros, other.minMicros)
            maxMicros = max(maxMicros, other.maxMicros)
            totalMicros &+= other.totalMicros
        }
    }

    /// Empty metrics for `method`.
    init(method: String) {
        self.method = method
        shards = (0..<Self.shardCount).map { _ in Shard() }
    }

    /// Shards per method: a few, for the usual few event loops (more loops share them).
    static let shardCount = 4

    /// Records one call that ended with status `code` (0 is OK; `codeName` names it, e.g.
    /// `NOT_FOUND`) after `micros` microseconds.
    public func record(code: Int32, codeName: String, micros: UInt64) {
        let bucket = LatencyHistogram.bucketIndex(for: micros)
        let shard = shards[(EventLoop.withCurrent { $0.index } ?? 0) % shards.count]
        shard.state.withLock { state in
            state.calls &+= 1
            state.buckets[bucket] &+= 1
            state.totalMicros &+= micros
            if micros > state.maxMicros { state.maxMicros = micros }
            if micros < state.minMicros { state.minMicros = micros }
            if code != 0 {
                state.errors &+= 1
                if state.errorsByCode[code] != nil {
                    state.errorsByCode[code]!.count &+= 1
                } else {
                    state.errorsByCode[code] = (codeName.isEmpty ? "CODE_\(code)" : codeName, 1)
                }
            }
        }
    }

    /// The metrics as they are now.
    public func snapshot() -> MethodMetricsSnapshot {
        var copy = State()
        for shard in shards { copy.add(shard.state.withLock { $0 }) }
        var byName: [String: UInt64] = [:]
        var byNumber: [Int32: UInt64] = [:]
        for (code, entry) in copy.errorsByCode {
            byName[entry.name, default: 0] += entry.count
            byNumber[code] = entry.count
        }
        return MethodMetricsSnapshot(
            method: method, calls: copy.calls, errors: copy.errors, errorsByCode: byName,
            errorsByCodeNumber: byNumber, bucketUpperBounds: LatencyHistogram.upperBounds,
            bucketCounts: copy.buckets, minMicros: copy.calls == 0 ? 0 : copy.minMicros,
            maxMicros: copy.maxMicros, totalMicros: copy.totalMicros)
    }
}
