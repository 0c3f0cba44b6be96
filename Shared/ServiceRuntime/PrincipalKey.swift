import BackofficeAPI
import RPC

/// The `ServerContext` key under which `TrustedCallerInterceptor` attaches the verified caller.
public enum PrincipalKey: ServerContextKey {
    /// The principal the gateway signed for this call, shared by reference.
    public typealias Value = VerifiedPrincipal
}

/// A principal whose signature verified, kept by reference: the calls that present the same
/// signature share one, so attaching it to a call copies no strings and allocates no box.
public final class VerifiedPrincipal: Sendable {
    /// The principal.
    public let principal: Auth.Principal

    /// Wraps `principal`.
    public init(_ principal: Auth.Principal) { self.principal = principal }
}

extension ServerContext {
    /// The verified caller of this call; `nil` when the server checks no signatures (a process
    /// started without an internal key) or for health checks.
    public var principal: Auth.Principal? {
        get { self[PrincipalKey.self]?.principal }
        set { self[PrincipalKey.self] = newValue.map(VerifiedPrincipal.init) }
    }
}
