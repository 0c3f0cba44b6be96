/// The fixed latency buckets of `MetricsRegistry` and the arithmetic over them.
///
/// Bucket `i` counts latencies `l` with `upperBounds[i-1] < l <= upperBounds[i]` (the first starts
/// at 0); the last bound is `UInt64.max`, standing for +infinity.
public enum LatencyHistogram {
    /// Upper bounds in microseconds: 50µs, 100µs, 250µs, 500µs, 1ms, 2.5ms, 5ms, 10ms, 25ms, 50ms,
    /// 100ms, 250ms, 500ms, 1s, 2.5s, 5s, 10s, +inf.
    public static let upperBounds: [UInt64] = [
        50, 100, 250, 500,
        1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
        1_000_000, 2_500_000, 5_000_000, 10_000_000,
        UInt64.max,
    ]

    /// The index of the bucket counting `micros`.
    @inline(__always)
    static func bucketIndex(for micros: UInt64) -> Int {
        // Few buckets, most calls fast: a linear scan from the bottom beats a binary search.
        var index = 0
        while micros > upperBounds[index] { index += 1 }
        return index
    }

    /// Estimates the `quantile` (0...1) of the recorded latencies, in microseconds: finds the
    /// bucket holding the sample of that rank and interpolates linearly inside it, with the
    /// bucket's range narrowed to the observed minimum and maximum. 0 without samples.
    public static func estimate(
        quantile: Double, counts: [UInt64], minMicros: UInt64, maxMicros: UInt64
    ) -> Double {
        let total = counts.reduce(0, +)
        guard total > 0 else { return 0 }
        let clamped = min(max(quantile, 0), 1)
        let rank = max(1, (clamped * Double(total)).rounded(.up))
        var below: UInt64 = 0
        for (index, count) in counts.enumerated() where count > 0 {
            if Double(below + count) >= rank {
                let bucketLow = index == 0 ? 0 : upperBounds[index - 1]
                let low = Double(max(bucketLow, minMicros))
                let high = Double(min(upperBounds[index], maxMicros))
                guard high > low else { return high }
                let fraction = (rank - Double(below)) / Double(count)
                return low + (high - low) * fraction
            }
            below += count
        }
        return Double(maxMicros)
    }
}
