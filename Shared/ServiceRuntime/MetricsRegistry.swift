import Synchronization

/// Per-method call metrics of a server: calls, errors by status code, and a latency histogram.
///
/// On a hot path, resolve each method's slot once and record through it:
/// ```swift
/// let unary = registry.handle(for: "backoffice.echo.Echo/Unary")
/// unary.record(code: 0, codeName: "OK", micros: 87)
/// ```
/// `record(method:...)` does the lookup for you, at the cost of one more lock and a hash.
public final class MetricsRegistry: Sendable {
    private let methods = Mutex<[String: MethodMetrics]>([:])

    /// An empty registry.
    public init() {}

    /// The name `MetricsObserver` counts calls under when their method is not one the server
    /// lists.
    public static let unlistedMethods = "(unlisted methods)"

    /// The latency bucket upper bounds, in microseconds (the last, `UInt64.max`, is +infinity).
    public static var bucketUpperBounds: [UInt64] { LatencyHistogram.upperBounds }

    /// The metrics slot of `method`, created on first use; the same object on every call.
    public func handle(for method: String) -> MethodMetrics {
        methods.withLock { methods in
            if let existing = methods[method] { return existing }
            let created = MethodMetrics(method: method)
            methods[method] = created
            return created
        }
    }

    /// Records one call of `method` that ended with status `code` named `codeName` after
    /// `micros` microseconds.
    public func record(method: String, code: Int32, codeName: String, micros: UInt64) {
        handle(for: method).record(code: code, codeName: codeName, micros: micros)
    }

    /// The metrics of every method whose name starts with `prefix` (all by default), sorted by
    /// method name.
    public func snapshot(prefix: String = "") -> [MethodMetricsSnapshot] {
        let slots = methods.withLock { methods in
            methods.values.filter { $0.method.hasPrefix(prefix) }
        }
        return slots.map { $0.snapshot() }.sorted { $0.method < $1.method }
    }
}
