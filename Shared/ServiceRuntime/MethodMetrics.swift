import Synchronization

/// The live metrics of one method: resolve it once with `MetricsRegistry.handle(for:)`, then
/// `record` each call. Recording takes one uncontended lock and a few additions.
public final class MethodMetrics: Sendable {
    /// The method's full name.
    public let method: String
    private let state: Mutex<State>

    private struct State {
        var calls: UInt64 = 0
        var errors: UInt64 = 0
        /// Per code: its name (as first recorded) and count. Errors are rare: a small dictionary.
        var errorsByCode: [Int32: (name: String, count: UInt64)] = [:]
        var buckets = [UInt64](repeating: 0, count: LatencyHistogram.upperBounds.count)
        var minMicros: UInt64 = .max
        var maxMicros: UInt64 = 0
        var totalMicros: UInt64 = 0
    }

    /// Empty metrics for `method`.
    init(method: String) {
        self.method = method
        self.state = Mutex(State())
    }

    /// Records one call that ended with status `code` (0 is OK; `codeName` names it, e.g.
    /// `NOT_FOUND`) after `micros` microseconds.
    public func record(code: Int32, codeName: String, micros: UInt64) {
        let bucket = LatencyHistogram.bucketIndex(for: micros)
        state.withLock { state in
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
        let copy = state.withLock { $0 }
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
