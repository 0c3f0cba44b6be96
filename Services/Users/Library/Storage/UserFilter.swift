/// What `ListUsers` narrows the accounts to; nil or empty means no narrowing.
public struct UserFilter: Sendable, Hashable {
    public var kind: UserKind?
    public var status: UserStatus?
    /// Case-insensitive substring of the username, email or display name.
    public var text = ""
    /// Only these ids (the holders of a role, as the security service reported them).
    public var ids: [String]?

    /// A filter from its parts.
    public init(kind: UserKind? = nil, status: UserStatus? = nil, text: String = "", ids: [String]? = nil) {
        self.kind = kind
        self.status = status
        self.text = text
        self.ids = ids
    }
}
