import RPC

/// The rules a new password must meet: a length of 12 to 128 characters, not one of the bundled
/// common passwords, and not containing the account's username or the local part of its email.
///
/// Lengths count Unicode characters (extended grapheme clusters), not bytes, so `"pässwörd"` is 8
/// long. Comparisons with the common-password list, the username and the email ignore case. The
/// violations describe the rule broken and never echo the password (nor the username or email).
///
/// ```swift
/// try PasswordPolicy().validate(request.password, username: request.username, email: request.email)
/// ```
public struct PasswordPolicy: Sendable {
    /// The default shortest accepted password, in characters.
    public static let defaultMinimumLength = 12
    /// The default longest accepted password, in characters (Argon2id could take more, but a
    /// bound keeps request sizes and hashing inputs predictable).
    public static let defaultMaximumLength = 128
    /// The shortest username or email local part that is checked for inside the password: shorter
    /// ones ("al", "jo") would forbid too many good passwords.
    public static let minimumIdentifierLength = 3

    /// The shortest accepted password, in characters.
    public let minimumLength: Int
    /// The longest accepted password, in characters.
    public let maximumLength: Int
    private let commonPasswords: Set<String>

    /// A policy accepting `minimumLength...maximumLength` characters that refuses the bundled
    /// common passwords plus `additionalCommonPasswords` (for example the product's name).
    public init(
        minimumLength: Int = defaultMinimumLength, maximumLength: Int = defaultMaximumLength,
        additionalCommonPasswords: [String] = []
    ) {
        precondition(minimumLength >= 1 && maximumLength >= minimumLength, "invalid password length bounds")
        self.minimumLength = minimumLength
        self.maximumLength = maximumLength
        self.commonPasswords = CommonPasswords.set.union(additionalCommonPasswords.map { $0.lowercased() })
    }

    /// Every rule `password` breaks, as violations of `field` (empty when it is acceptable).
    /// `username` and `email` are the account's; pass nil (or empty) when unknown.
    public func violations(
        of password: String, username: String? = nil, email: String? = nil, field: String = "password"
    ) -> [FieldViolation] {
        var violations: [FieldViolation] = []
        let length = password.count
        if length < minimumLength {
            violations.append(FieldViolation(field: field, description: "must be at least \(minimumLength) characters long"))
        }
        if length > maximumLength {
            violations.append(FieldViolation(field: field, description: "must be at most \(maximumLength) characters long"))
        }
        let lowered = password.lowercased()
        if isCommon(password) {
            violations.append(
                FieldViolation(field: field, description: "is too common: it appears in lists of frequently used passwords"))
        }
        if let username = Self.identifier(username), lowered.contains(username) {
            violations.append(FieldViolation(field: field, description: "must not contain the username"))
        }
        if let local = Self.identifier(email.map(Self.localPart)), lowered.contains(local) {
            violations.append(FieldViolation(field: field, description: "must not contain the email address's name part"))
        }
        return violations
    }

    /// Throws `RPCError.invalidArgument` listing every rule `password` breaks; returns when it
    /// breaks none.
    public func validate(
        _ password: String, username: String? = nil, email: String? = nil, field: String = "password"
    ) throws(RPCError) {
        let violations = violations(of: password, username: username, email: email, field: field)
        guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
    }

    /// True when `password`, ignoring case, is on the common-password list.
    public func isCommon(_ password: String) -> Bool {
        commonPasswords.contains(password.lowercased())
    }

    /// The number of passwords on the list (bundled plus additional).
    public var commonPasswordCount: Int { commonPasswords.count }

    /// The local part of an email address: everything before the last `@` (the whole text when it
    /// has none).
    static func localPart(_ email: String) -> String {
        guard let at = email.lastIndex(of: "@") else { return email }
        return String(email[..<at])
    }

    /// `text` lower-cased and trimmed when it is long enough to check for, else nil.
    private static func identifier(_ text: String?) -> String? {
        guard var text = text?.lowercased() else { return nil }
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return text.count >= minimumIdentifierLength ? text : nil
    }
}
