import BackofficeAPI
import RPC

/// The `ServerContext` key under which `TrustedCallerInterceptor` attaches the verified caller.
public enum PrincipalKey: ServerContextKey {
    /// The principal the gateway signed for this call.
    public typealias Value = Auth.Principal
}

extension ServerContext {
    /// The verified caller of this call; `nil` when the server checks no signatures (a process
    /// started without an internal key) or for health checks.
    public var principal: Auth.Principal? {
        get { self[PrincipalKey.self] }
        set { self[PrincipalKey.self] = newValue }
    }
}
