import RPC

/// The policy's entry for one method: its access rule, and whether it only reads (so the gateway
/// may retry it when a service instance fails).
public struct MethodRule: Sendable {
    /// The method, as the generated code describes it.
    public let method: MethodDescriptor
    /// Who may call it.
    public let rule: AccessRule
    /// True when calling it twice has the effect of calling it once (reads): safe to retry, and
    /// not recorded in the audit trail.
    public let readOnly: Bool

    /// An entry for `method`.
    public init(_ method: MethodDescriptor, _ rule: AccessRule, readOnly: Bool) {
        self.method = method
        self.rule = rule
        self.readOnly = readOnly
    }
}
