import BackofficeAPI
import Foundation
import RPC
import Synchronization

/// The health and metrics service every process of the suite serves next to its own: whether the
/// process is serving or draining, and its per-method metrics.
public final class HealthProvider: Health.HealthHandler, Sendable {
    private let process: String
    private let version: String
    private let registry: MetricsRegistry
    private let startedAt = Date()
    private let draining = Atomic<Bool>(false)

    /// A health service for the process `process`, reporting from `metrics`.
    public init(process: String, version: String = BackofficeVersion.current, metrics: MetricsRegistry) {
        self.process = process
        self.version = version
        self.registry = metrics
    }

    /// Reports DRAINING from now on: the process is shutting down.
    public func markDraining() { draining.store(true, ordering: .relaxed) }

    public func check(_ request: Health.CheckRequest, context: ServerContext) async throws -> Health.CheckResponse {
        var response = Health.CheckResponse()
        response.status = draining.load(ordering: .relaxed) ? .draining : .serving
        response.process = process
        response.version = version
        response.uptimeSeconds = Int64(Date().timeIntervalSince(startedAt))
        return response
    }

    public func metrics(_ request: Health.MetricsRequest, context: ServerContext) async throws -> Health.MetricsResponse {
        var response = Health.MetricsResponse()
        response.methods = registry.snapshot(prefix: request.methodPrefix).map { snapshot in
            var method = Health.MethodMetrics()
            method.method = snapshot.method
            method.calls = snapshot.calls
            method.errorsByCode = snapshot.errorsByCode
            method.bucketUpperMicros = snapshot.bucketUpperBounds
            method.bucketCounts = snapshot.bucketCounts
            method.p50Micros = UInt64(snapshot.p50Micros.rounded())
            method.p99Micros = UInt64(snapshot.p99Micros.rounded())
            method.maxMicros = snapshot.maxMicros
            method.totalMicros = snapshot.totalMicros
            return method
        }
        return response
    }
}

/// The suite's version, reported by health checks and `--version`.
public enum BackofficeVersion {
    public static let current = "0.1.0"
}
