/// One page of `AuditLog.query`'s answer.
public struct AuditPage: Sendable, Equatable {
    /// Newest (highest sequence) first.
    public var entries: [AuditEntry]
    /// The token for the next page; nil when there is none.
    public var nextPageToken: String?

    /// Creates a page.
    public init(entries: [AuditEntry], nextPageToken: String?) {
        self.entries = entries
        self.nextPageToken = nextPageToken
    }
}
