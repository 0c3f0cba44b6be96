import AccessControl
import BackofficeAPI
import RPC
import ServiceRuntime

/// Who is calling, as the orders service sees it: a customer (acting on their own orders only) or
/// staff, programs and services (acting by their permissions).
public struct Caller: Sendable {
    /// The verified principal.
    public let principal: Auth.Principal

    /// The id recorded as the actor of changes.
    public var actor: String { principal.subjectId }

    /// Whether the caller is a customer: their subject id is their customer id.
    public var isCustomer: Bool { principal.kind == .customer }

    /// Allows acting on something owned by `customerID`: the customer themselves, or a caller
    /// holding `permission`. Anyone else gets PERMISSION_DENIED.
    public func requireOwnerOr(_ permission: Permission, customerID: String, what: String) throws {
        if isCustomer {
            guard principal.subjectId == customerID else {
                throw RPCError(.permissionDenied, "customers may only act on their own \(what)")
            }
        } else if !principal.holds(permission) {
            throw RPCError(.permissionDenied, "\(permission.rawValue) is required")
        }
    }
}

/// The service's own enforcement of the suite's policy (defence in depth behind the gateway).
public enum OrdersAccess {
    /// The caller of the call in `context`, after checking the method's `AccessPolicy` rule.
    ///
    /// Without a principal (a process started without `--internal-key`) or with the anonymous
    /// one, only public methods may be called: the others need an actor and fail with
    /// UNAUTHENTICATED.
    public static func caller(_ context: ServerContext) throws -> Caller {
        guard let rule = AccessPolicy.entry(for: context.method.fullName)?.rule else {
            throw RPCError(.permissionDenied, "\(context.method.fullName) has no access rule")
        }
        guard let principal = context.principal, !principal.isAnonymous else {
            throw RPCError(.unauthenticated, "\(context.method.name) needs an authenticated caller")
        }
        if case .permission(let permission) = rule, !principal.holds(permission) {
            throw RPCError(.permissionDenied, "\(permission.rawValue) is required")
        }
        return Caller(principal: principal)
    }
}
