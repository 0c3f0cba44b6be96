import RPC
import Synchronization

/// Applies the access policy to the methods the gateway answers itself (its own health and
/// metrics, its reflection); forwarded methods are checked by `GatewayService`. The gate is
/// installed once the gateway's parts are built; calls before that are UNAVAILABLE.
public final class LocalAccessInterceptor: ServerInterceptor {
    private let gate = Mutex<CallGate?>(nil)

    /// An interceptor without a gate yet.
    public init() {}

    /// Starts checking calls with `gate`.
    public func install(_ gate: CallGate) {
        self.gate.withLock { $0 = gate }
    }

    /// Only the gateway's own services: forwarded methods are checked by their handlers.
    public func applies(to method: MethodDescriptor) -> Bool {
        GatewayService.localServices.contains(method.service)
    }

    /// Checks a call to a local service.
    public func intercept(context: ServerContext, next: (ServerContext) async throws -> Void) async throws {
        guard let gate = gate.withLock({ $0 }) else {
            throw RPCError(.unavailable, "the gateway is starting")
        }
        try await gate.authorizeLocal(context)
        try await next(context)
    }
}
