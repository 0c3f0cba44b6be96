/// Who may call a method through the gateway.
public enum AccessRule: Hashable, Sendable, CustomStringConvertible {
    /// Anyone, without logging in (front-office reads, login, registration, health).
    case `public`
    /// Any authenticated caller; the service applies object-level checks (a customer's own orders).
    case authenticated
    /// Callers holding this permission.
    case permission(Permission)

    /// `public`, `authenticated` or the permission's name, as reflection and the CLI show it.
    public var description: String {
        switch self {
        case .public: "public"
        case .authenticated: "authenticated"
        case .permission(let permission): permission.rawValue
        }
    }
}
