import Foundation
import RPC
import Synchronization

/// Per-worker measurements, merged at the end.
final class WorkerStats: @unchecked Sendable {
    // @unchecked Sendable: each worker writes only its own instance; the main task reads them
    // after every worker has finished.
    var latenciesNanos: [UInt64] = []
    var errors = 0
}

/// The phases of a load run, shared by every worker.
enum Phase: Int {
    case warmup = 0, measuring = 1, done = 2
}

/// The phase every worker reads before each call.
final class PhaseFlag: Sendable {
    private let value = Atomic<Int>(Phase.warmup.rawValue)

    var current: Phase { Phase(rawValue: value.load(ordering: .relaxed)) ?? .done }

    func set(_ phase: Phase) { value.store(phase.rawValue, ordering: .relaxed) }
}

/// What the measured part of a load run saw.
struct LoadResult {
    /// Latencies of the calls that succeeded while measuring, sorted, in nanoseconds.
    let latenciesNanos: [UInt64]
    /// Calls that failed while measuring.
    let errors: Int
    /// The measured time.
    let seconds: Double

    var calls: Int { latenciesNanos.count }
    var callsPerSecond: Double { Double(calls) / seconds }

    /// The `p` quantile (0.5, 0.99...) in microseconds.
    func percentileMicros(_ p: Double) -> Double {
        guard !latenciesNanos.isEmpty else { return 0 }
        return Double(latenciesNanos[min(latenciesNanos.count - 1, Int(Double(latenciesNanos.count) * p))]) / 1000
    }

    /// The line Scripts/bench*.sh read: `RESULT <rate>=... p50_us=... p99_us=... p999_us=... calls=... errors=...`.
    func resultLine(rate: String = "rps") -> String {
        String(
            format: "RESULT \(rate)=%.1f p50_us=%.1f p99_us=%.1f p999_us=%.1f calls=%d errors=%d", callsPerSecond,
            percentileMicros(0.50), percentileMicros(0.99), percentileMicros(0.999), calls, errors)
    }
}

/// A closed-loop load: `outstanding` workers, each making `call(worker, sequence)` back to back on
/// the event loop of client `worker % clients.count`, for a warm-up and then a measured period.
func runClosedLoop(
    clients: [RPCClient], outstanding: Int, seconds: Double, warmup: Double, expectedRate: Int = 100_000,
    call: @escaping @Sendable (_ worker: Int, _ sequence: Int) async throws -> Void
) async throws -> LoadResult {
    let phase = PhaseFlag()
    let stats = (0..<outstanding).map { _ in WorkerStats() }
    let workers = (0..<outstanding).map { index -> Task<Void, Never> in
        let client = clients[index % clients.count]
        let stat = stats[index]
        stat.latenciesNanos.reserveCapacity(Int(seconds * Double(expectedRate)) / max(1, outstanding) + 1024)
        return Task(executorPreference: client.eventLoops[0]) {
            var sequence = 0
            while true {
                let current = phase.current
                if current == .done { return }
                sequence += 1
                let start = DispatchTime.now().uptimeNanoseconds
                do {
                    try await call(index, sequence)
                    if current == .measuring { stat.latenciesNanos.append(DispatchTime.now().uptimeNanoseconds - start) }
                } catch {
                    if current == .measuring { stat.errors += 1 }
                }
            }
        }
    }
    try await Task.sleep(for: .milliseconds(Int(warmup * 1000)))
    let measureStart = DispatchTime.now().uptimeNanoseconds
    phase.set(.measuring)
    try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
    phase.set(.done)
    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - measureStart) / 1e9
    for worker in workers { await worker.value }
    return LoadResult(
        latenciesNanos: stats.flatMap(\.latenciesNanos).sorted(), errors: stats.reduce(0) { $0 + $1.errors },
        seconds: elapsed)
}
