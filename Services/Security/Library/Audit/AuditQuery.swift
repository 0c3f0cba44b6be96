import RPC

/// Which entries `AuditLog.query` returns: every non-nil filter must match, newest first, one
/// page at a time.
public struct AuditQuery: Sendable, Equatable {
    /// Entries per page when the caller asks for 0.
    public static let defaultPageSize = 50
    /// The largest page a caller may ask for.
    public static let maxPageSize = 500

    /// Only entries by this actor.
    public var actor: String?
    /// Only entries for this method.
    public var method: String?
    /// Only entries on this target.
    public var target: String?
    /// Only entries with this outcome (a status code name).
    public var outcome: String?
    /// Only entries that occurred at or after this Unix millisecond.
    public var fromUnixMs: Int64?
    /// Only entries that occurred before this Unix millisecond.
    public var toUnixMs: Int64?
    /// Entries per page (1 to `maxPageSize`).
    public var pageSize: Int
    /// Where the page starts: `AuditPage.nextPageToken` of the previous page, or nil for the first.
    public var pageToken: String?

    /// Creates a query; with no arguments, the first page of everything.
    public init(
        actor: String? = nil, method: String? = nil, target: String? = nil, outcome: String? = nil,
        fromUnixMs: Int64? = nil, toUnixMs: Int64? = nil, pageSize: Int = defaultPageSize, pageToken: String? = nil
    ) {
        self.actor = actor
        self.method = method
        self.target = target
        self.outcome = outcome
        self.fromUnixMs = fromUnixMs
        self.toUnixMs = toUnixMs
        self.pageSize = pageSize
        self.pageToken = pageToken
    }

    /// Every rule the query breaks, each naming its request field; empty when valid.
    public func violations() -> [FieldViolation] {
        var violations: [FieldViolation] = []
        if pageSize < 1 || pageSize > Self.maxPageSize {
            violations.append(FieldViolation(field: "page_size", description: "must be 1 to \(Self.maxPageSize)"))
        }
        if let pageToken, Self.sequence(fromPageToken: pageToken) == nil {
            violations.append(FieldViolation(field: "page_token", description: "is not a token this service issued"))
        }
        if let outcome, StatusCode(name: outcome) == nil {
            violations.append(FieldViolation(field: "outcome", description: "must be a status code name such as OK"))
        }
        if let fromUnixMs, fromUnixMs < 0 {
            violations.append(FieldViolation(field: "from_unix_ms", description: "must not be negative"))
        }
        if let toUnixMs, toUnixMs < 0 {
            violations.append(FieldViolation(field: "to_unix_ms", description: "must not be negative"))
        }
        if let fromUnixMs, let toUnixMs, toUnixMs < fromUnixMs {
            violations.append(FieldViolation(field: "to_unix_ms", description: "must not be before from_unix_ms"))
        }
        for (name, value) in [("actor", actor), ("method", method), ("target", target)] {
            if let value, value.unicodeScalars.count > AuditRecord.maxFieldLength {
                violations.append(
                    FieldViolation(field: name, description: "must be at most \(AuditRecord.maxFieldLength) characters"))
            }
        }
        return violations
    }

    /// The token of a page that continues below `sequence`: `ap1` and the sequence in hex.
    static func pageToken(after sequence: UInt64) -> String {
        "ap1" + String(sequence, radix: 16)
    }

    /// The sequence a token continues below, or nil when the token is malformed.
    static func sequence(fromPageToken token: String) -> UInt64? {
        guard token.hasPrefix("ap1") else { return nil }
        let digits = token.dropFirst(3)
        guard !digits.isEmpty, digits.count <= 16, digits.allSatisfy({ $0.isHexDigit && !$0.isUppercase }),
            let sequence = UInt64(digits, radix: 16), sequence > 0
        else { return nil }
        return sequence
    }
}
