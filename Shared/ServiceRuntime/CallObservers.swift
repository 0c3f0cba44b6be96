import RPC

/// Feeds every finished call into a metrics registry: count, errors by code, latency, per listed
/// method (calls to names no service lists are counted together, under
/// `MetricsRegistry.unlistedMethods`).
public final class MetricsObserver: ServerCallObserver {
    public let registry: MetricsRegistry
    /// Each event loop's handles, by method: found without the registry's lock.
    private let handles = LoopLocal { MethodHandles() }

    public init(registry: MetricsRegistry) { self.registry = registry }

    public func callDidEnd(_ summary: CallSummary) {
        let metrics: MethodMetrics
        if let method = summary.listedMethod {
            metrics = handles.withCurrent { $0.handle(for: method, in: registry) } ?? registry.handle(for: method.fullName)
        } else {
            // Names no service lists share one entry: a client could make up any number of them.
            metrics = registry.handle(for: MetricsRegistry.unlistedMethods)
        }
        metrics.record(code: summary.code.rawValue, codeName: summary.code.name, micros: summary.durationNanoseconds / 1000)
    }
}

/// The metrics handles one event loop has used, by the identity of the method's descriptor
/// (`MetricsObserver`): no name hashed per call.
private final class MethodHandles {
    /// The descriptor is held so that its identity is not reused while it is a key here.
    private var byMethod: [ObjectIdentifier: (method: MethodDescriptor, metrics: MethodMetrics)] = [:]

    /// The method of the last call, and its handle: a loop often serves one method many times
    /// in a row.
    private var last: (method: MethodDescriptor, metrics: MethodMetrics)?

    func handle(for method: MethodDescriptor, in registry: MetricsRegistry) -> MethodMetrics {
        if let last, last.method === method { return last.metrics }
        let handle: MethodMetrics
        if let known = byMethod[ObjectIdentifier(method)] {
            handle = known.metrics
        } else {
            handle = registry.handle(for: method.fullName)
            byMethod[ObjectIdentifier(method)] = (method, handle)
        }
        last = (method, handle)
        return handle
    }
}

/// Writes one access-log line per call: request id, method, code, latency, peer. Failed calls are
/// logged at warn level, INTERNAL errors at error level with their underlying cause (which the
/// caller never sees).
public final class AccessLogObserver: ServerCallObserver {
    public let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    public func callDidEnd(_ summary: CallSummary) {
        let level: LogLevel
        switch summary.code {
        case .ok: level = .debug
        case .internalError, .unknown, .dataLoss: level = .error
        default: level = .info
        }
        guard logger.isEnabled(level) else { return }
        var fields: [(key: String, value: any Sendable)] = [
            ("method", summary.method), ("code", summary.code.name),
            ("latency_us", summary.durationNanoseconds / 1000), ("peer", summary.peer),
        ]
        if let requestID = summary.requestID { fields.append(("request_id", requestID)) }
        if !summary.message.isEmpty { fields.append(("status_message", summary.message)) }
        if let cause = summary.cause { fields.append(("cause", String(describing: cause))) }
        logger.log(level, "call", fields: fields)
    }
}
