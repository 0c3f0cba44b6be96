import RPC

/// What a caller records about one call: who (actor), what (method, target), how it ended
/// (outcome), from where and when, plus free-form details. The input of `AuditLog.append`.
public struct AuditRecord: Sendable, Equatable {
    /// Longest string field, in Unicode scalars.
    public static let maxFieldLength = 512
    /// Most entries in `details`.
    public static let maxDetailCount = 32
    /// Longest `details` key, in Unicode scalars.
    public static let maxDetailKeyLength = 128

    /// The principal that made the call; may be empty.
    public var actor: String
    /// What kind of principal `actor` is ("user", "service", ...).
    public var actorKind: String
    /// The full RPC name; required.
    public var method: String
    /// The id of the thing acted on; may be empty.
    public var target: String
    /// A status code name (`StatusCode.name`), e.g. "OK".
    public var outcome: String
    /// The client's address.
    public var clientAddress: String
    /// The call's request id.
    public var requestID: String
    /// When the call happened, Unix milliseconds; 0 means "now" when appended.
    public var occurredAtUnixMs: Int64
    /// Free-form details.
    public var details: [String: String]

    /// Creates a record; only `method` and `outcome` have no default.
    public init(
        actor: String = "", actorKind: String = "", method: String, target: String = "", outcome: String,
        clientAddress: String = "", requestID: String = "", occurredAtUnixMs: Int64 = 0, details: [String: String] = [:]
    ) {
        self.actor = actor
        self.actorKind = actorKind
        self.method = method
        self.target = target
        self.outcome = outcome
        self.clientAddress = clientAddress
        self.requestID = requestID
        self.occurredAtUnixMs = occurredAtUnixMs
        self.details = details
    }

    /// Every rule the record breaks, each naming its field under `prefix` (e.g. `record.` or
    /// `records[2].`); empty when the record is valid.
    public func violations(prefix: String) -> [FieldViolation] {
        var violations: [FieldViolation] = []
        func bounded(_ value: String, _ name: String) {
            if value.unicodeScalars.count > Self.maxFieldLength {
                violations.append(
                    FieldViolation(field: prefix + name, description: "must be at most \(Self.maxFieldLength) characters"))
            }
        }
        bounded(actor, "actor")
        bounded(actorKind, "actor_kind")
        if method.isEmpty {
            violations.append(FieldViolation(field: prefix + "method", description: "is required"))
        }
        bounded(method, "method")
        bounded(target, "target")
        if StatusCode(name: outcome) == nil {
            violations.append(
                FieldViolation(field: prefix + "outcome", description: "must be a status code name such as OK or NOT_FOUND"))
        }
        bounded(clientAddress, "client_address")
        bounded(requestID, "request_id")
        if occurredAtUnixMs < 0 {
            violations.append(FieldViolation(field: prefix + "occurred_at_unix_ms", description: "must not be negative"))
        }
        if details.count > Self.maxDetailCount {
            violations.append(
                FieldViolation(field: prefix + "details", description: "must have at most \(Self.maxDetailCount) entries"))
        }
        for key in details.keys.sorted() {
            let scalars = key.unicodeScalars.count
            if scalars == 0 || scalars > Self.maxDetailKeyLength {
                violations.append(
                    FieldViolation(
                        field: prefix + "details[\(key)]",
                        description: "keys must be 1 to \(Self.maxDetailKeyLength) characters"))
            }
            if let value = details[key], value.unicodeScalars.count > Self.maxFieldLength {
                violations.append(
                    FieldViolation(
                        field: prefix + "details[\(key)]",
                        description: "values must be at most \(Self.maxFieldLength) characters"))
            }
        }
        return violations
    }
}
