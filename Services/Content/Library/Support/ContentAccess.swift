import AccessControl
import BackofficeAPI
import RPC
import ServiceRuntime

/// The service's own check of the access policy, behind the gateway's: when the call carries a
/// verified principal, it must satisfy the method's rule in `AccessPolicy` (deny by default).
/// Without a principal (a process started without `--internal-key`, development only) calls pass
/// and are attributed to `developmentActor`.
enum ContentAccess {
    /// The actor recorded for unsigned calls in development mode.
    static let developmentActor = "anonymous-development"

    /// Throws PERMISSION_DENIED or UNAUTHENTICATED when the principal may not call this method;
    /// returns the id to record as the actor.
    @discardableResult
    static func authorize(_ context: ServerContext) throws -> String {
        guard let principal = context.principal else { return developmentActor }
        guard let entry = AccessPolicy.entry(for: context.method.fullName) else {
            throw RPCError(.permissionDenied, "\(context.method.fullName) has no access rule")
        }
        switch entry.rule {
        case .public:
            break
        case .authenticated:
            if principal.isAnonymous { throw RPCError(.unauthenticated, "log in to call \(context.method.name)") }
        case .permission(let permission):
            if principal.isAnonymous { throw RPCError(.unauthenticated, "log in to call \(context.method.name)") }
            guard principal.holds(permission) else {
                throw RPCError(.permissionDenied, "\(context.method.name) needs the permission \(permission)")
            }
        }
        return principal.isAnonymous ? "anonymous" : principal.subjectId
    }
}
