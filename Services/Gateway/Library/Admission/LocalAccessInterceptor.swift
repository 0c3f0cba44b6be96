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

    /// Checks calls to local services; lets every other call through to its forwarding handler.
    public func intercept(context: ServerContext, next: (ServerContext) async throws -> Void) async throws {
        guard GatewayService.localServices.contains(context.method.service) else {
            try await next(context)
            return
        }
        guard let gate = gate.withLock({ $0 }) else {
            throw RPCError(.unavailable, "the gateway is starting")
        }
        try await gate.authorizeLocal(context)
        try await next(context)
    }
}
