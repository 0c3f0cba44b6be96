/// The metrics of one method at one moment: plain values, safe to format, compare or send.
public struct MethodMetricsSnapshot: Sendable, Hashable {
    /// The method's full name, e.g. `backoffice.echo.Echo/Unary`.
    public var method: String
    /// Calls recorded, successful or not.
    public var calls: UInt64
    /// Calls that ended with a status other than OK (code 0).
    public var errors: UInt64
    /// Failed calls per status code name, e.g. `["NOT_FOUND": 3]`.
    public var errorsByCode: [String: UInt64]
    /// Failed calls per numeric status code.
    public var errorsByCodeNumber: [Int32: UInt64]
    /// The histogram's bucket upper bounds in microseconds (`LatencyHistogram.upperBounds`; the
    /// last one, `UInt64.max`, is +infinity).
    public var bucketUpperBounds: [UInt64]
    /// Calls per bucket, same order as `bucketUpperBounds`.
    public var bucketCounts: [UInt64]
    /// The fastest call, in microseconds; 0 without calls.
    public var minMicros: UInt64
    /// The slowest call, in microseconds; 0 without calls.
    public var maxMicros: UInt64
    /// The sum of all calls' latencies, in microseconds.
    public var totalMicros: UInt64

    /// The median latency estimated from the histogram, in microseconds.
    public var p50Micros: Double { percentile(0.50) }
    /// The 99th-percentile latency estimated from the histogram, in microseconds.
    public var p99Micros: Double { percentile(0.99) }
    /// The mean latency, in microseconds; 0 without calls.
    public var meanMicros: Double { calls == 0 ? 0 : Double(totalMicros) / Double(calls) }

    /// The latency at `quantile` (0...1, e.g. 0.999) estimated from the histogram, in microseconds.
    public func percentile(_ quantile: Double) -> Double {
        LatencyHistogram.estimate(quantile: quantile, counts: bucketCounts, minMicros: minMicros, maxMicros: maxMicros)
    }

    /// A snapshot from its values.
    public init(
        method: String, calls: UInt64, errors: UInt64, errorsByCode: [String: UInt64],
        errorsByCodeNumber: [Int32: UInt64], bucketUpperBounds: [UInt64], bucketCounts: [UInt64],
        minMicros: UInt64, maxMicros: UInt64, totalMicros: UInt64
    ) {
        self.method = method
        self.calls = calls
        self.errors = errors
        self.errorsByCode = errorsByCode
        self.errorsByCodeNumber = errorsByCodeNumber
        self.bucketUpperBounds = bucketUpperBounds
        self.bucketCounts = bucketCounts
        self.minMicros = minMicros
        self.maxMicros = maxMicros
        self.totalMicros = totalMicros
    }
}
