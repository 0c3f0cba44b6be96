import RPC

/// Collects the field violations of one request, so that every bad field is named at once.
///
/// ```swift
/// var checks = FieldChecks()
/// checks.require(request.userID, "user_id", maxLength: FieldChecks.idLength)
/// try checks.throwIfAny()
/// ```
struct FieldChecks {
    /// The longest id accepted (user ids, session ids, key ids).
    static let idLength = 64
    /// The longest username accepted.
    static let usernameLength = 64
    /// The longest email accepted (RFC 5321's path limit).
    static let emailLength = 254
    /// The longest display name accepted.
    static let displayNameLength = 200
    /// The longest password bytes looked at during a login (four bytes per character of the policy's limit).
    static let passwordBytes = 512

    /// The violations so far.
    private(set) var violations: [FieldViolation] = []

    /// Records that `field` is wrong because of `description`.
    mutating func add(_ field: String, _ description: String) {
        violations.append(FieldViolation(field: field, description: description))
    }

    /// `value` must be non-empty and at most `maxLength` characters.
    mutating func require(_ value: String, _ field: String, maxLength: Int) {
        if value.isEmpty {
            add(field, "is required")
        } else {
            limit(value, field, maxLength: maxLength)
        }
    }

    /// `value` may be empty but at most `maxLength` characters.
    mutating func limit(_ value: String, _ field: String, maxLength: Int) {
        if value.count > maxLength { add(field, "must be at most \(maxLength) characters long") }
    }

    /// An id: required, at most `idLength` characters, printable ASCII without spaces.
    mutating func identifier(_ value: String, _ field: String) {
        require(value, field, maxLength: Self.idLength)
        if !value.isEmpty, !value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) {
            add(field, "must be printable ASCII without spaces")
        }
    }

    /// Throws INVALID_ARGUMENT listing the violations, if any.
    func throwIfAny() throws(RPCError) {
        guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
    }
}
