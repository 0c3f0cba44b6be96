import AccessControl
import RPC
import ServiceRuntime

/// The service's own check of the permission the access policy names for each method (the
/// gateway checks it first; this keeps a misrouted signed call from getting through). Without an
/// internal key there is no principal (development mode) and calls are served.
enum CallerCheck {
    /// Throws PERMISSION_DENIED unless the call's principal, when there is one, holds `permission`.
    static func require(_ permission: Permission, _ context: ServerContext) throws {
        guard let principal = context.principal else { return }
        guard principal.holds(permission) else {
            throw RPCError(.permissionDenied, "\(permission.rawValue) is required")
        }
    }
}
