import RPC

/// The suite's one access policy: exactly one rule for every method of every service.
///
/// Deny by default: the gateway refuses a method without an entry. Each service's entries live in
/// `AccessPolicy+<Service>.swift` beside this file, and `Tests/AccessControlTests` walks
/// `ServiceCatalogue.all` and fails on any method without exactly one entry.
public enum AccessPolicy {
    /// Every entry, all services together.
    public static let entries: [MethodRule] =
        health + echo + audit + security + users + content + orders + stats + gateway

    /// The entries by full method name (`package.Service/Method`); a method listed twice keeps
    /// its first entry here, and the policy test fails on it.
    public static let byMethod: [String: MethodRule] = Dictionary(
        entries.map { ($0.method.fullName, $0) }, uniquingKeysWith: { first, _ in first })

    /// The entry for a method, or `nil`: such a method cannot be called.
    public static func entry(for fullMethodName: String) -> MethodRule? {
        byMethod[fullMethodName]
    }
}
