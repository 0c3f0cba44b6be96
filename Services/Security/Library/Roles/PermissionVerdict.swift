import AccessControl

/// Whether a set of permissions allows a permission or a method, and why: the "effective
/// permissions" explanation. Methods are looked up in the suite's `AccessPolicy`.
public struct PermissionVerdict: Sendable, Equatable {
    /// True when allowed.
    public var allowed: Bool
    /// The permission that is missing when denied for lack of one.
    public var missing: Permission?
    /// One sentence for people.
    public var explanation: String

    /// The verdict for `permission` or `method` (at most one is given; with neither, a summary)
    /// for an account holding `held`, active or not.
    public static func explain(permission: Permission?, method: String?, held: Set<Permission>, active: Bool) -> PermissionVerdict {
        let required: Permission
        let subject: String
        if let method {
            guard let entry = AccessPolicy.entry(for: method) else {
                return PermissionVerdict(
                    allowed: false, missing: nil,
                    explanation: "\(method) has no rule in the access policy, so nobody may call it (deny by default)")
            }
            switch entry.rule {
            case .public:
                return PermissionVerdict(allowed: true, missing: nil, explanation: "\(method) is public: anyone may call it")
            case .authenticated:
                return active
                    ? PermissionVerdict(allowed: true, missing: nil, explanation: "\(method) is open to any authenticated caller")
                    : PermissionVerdict(allowed: false, missing: nil, explanation: "the account is deactivated and cannot log in")
            case .permission(let permission):
                required = permission
                subject = "\(method) requires \(permission.rawValue)"
            }
        } else if let permission {
            required = permission
            subject = permission.rawValue
        } else {
            return PermissionVerdict(
                allowed: active, missing: nil,
                explanation: active ? "the account holds \(held.count) permissions" : "the account is deactivated")
        }
        if !held.contains(required) {
            return PermissionVerdict(
                allowed: false, missing: required,
                explanation: "denied: \(subject); no role of the account grants \(required.rawValue)")
        }
        if !active {
            return PermissionVerdict(
                allowed: false, missing: nil, explanation: "denied: the account holds \(required.rawValue) but is deactivated")
        }
        return PermissionVerdict(allowed: true, missing: nil, explanation: "allowed: \(subject), which a role of the account grants")
    }
}
