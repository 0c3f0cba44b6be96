import RPC

/// The rules for profile fields. Each check returns the violations of one field, named as the
/// request names it (`email`, `addresses[1].postal_code`), so that a caller learns every bad field
/// at once.
public enum ProfileValidation {
    /// Allowed username lengths, in characters.
    public static let usernameLength = 3...32
    /// Characters a username may contain.
    public static let usernameCharacters = Set("abcdefghijklmnopqrstuvwxyz0123456789._-")
    /// The longest email address (RFC 5321's path limit).
    public static let maximumEmailLength = 254
    /// The longest email local part.
    public static let maximumEmailLocalPartLength = 64
    /// The longest display name.
    public static let maximumDisplayNameLength = 100
    /// The longest phone number.
    public static let maximumPhoneLength = 32
    /// The longest locale tag.
    public static let maximumLocaleLength = 35
    /// How many addresses an account may keep.
    public static let maximumAddressCount = 10
    /// How many street lines an address may have.
    public static let maximumAddressLineCount = 4
    /// The longest free-text address part (label, line, city, region).
    public static let maximumAddressPartLength = 200
    /// The longest postal code.
    public static let maximumPostalCodeLength = 20
    /// The longest password this service forwards (the security service's policy decides the rest).
    public static let maximumPasswordLength = 1024

    /// Every violation of the fields of `profile` named in `fields`.
    public static func violations(of profile: Profile, fields: Set<ProfileField> = Set(ProfileField.allCases)) -> [FieldViolation] {
        ProfileField.allCases.filter(fields.contains).flatMap { field -> [FieldViolation] in
            switch field {
            case .username: usernameViolations(profile.username)
            case .email: emailViolations(profile.email)
            case .displayName: lengthViolations(profile.displayName, field: field.rawValue, maximum: maximumDisplayNameLength)
            case .phone: phoneViolations(profile.phone)
            case .locale: localeViolations(profile.locale)
            case .addresses: addressViolations(profile.addresses)
            }
        }
    }

    /// A username: 3 to 32 of `a-z 0-9 . _ -`.
    public static func usernameViolations(_ username: String, field: String = "username") -> [FieldViolation] {
        var violations: [FieldViolation] = []
        if !usernameLength.contains(username.count) {
            violations.append(
                FieldViolation(
                    field: field,
                    description: "must be \(usernameLength.lowerBound) to \(usernameLength.upperBound) characters long"))
        }
        if !username.allSatisfy(usernameCharacters.contains) {
            violations.append(
                FieldViolation(field: field, description: "may contain only lowercase letters a-z, digits and . _ -"))
        }
        return violations
    }

    /// An email address: `local@domain`, one `@`, no spaces or control characters, a domain of
    /// dot-separated labels of letters, digits and hyphens (a single label such as `localhost`
    /// is accepted), within RFC 5321's lengths.
    public static func emailViolations(_ email: String, field: String = "email") -> [FieldViolation] {
        if email.isEmpty { return [FieldViolation(field: field, description: "is required")] }
        if email.utf8.count > maximumEmailLength {
            return [FieldViolation(field: field, description: "must be at most \(maximumEmailLength) bytes long")]
        }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        let invalid = FieldViolation(field: field, description: "is not a valid email address")
        guard parts.count == 2, let local = parts.first, let domain = parts.last else { return [invalid] }
        let localAllowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~.-")
        guard !local.isEmpty, local.utf8.count <= maximumEmailLocalPartLength, local.allSatisfy(localAllowed.contains),
            !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..")
        else { return [invalid] }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        let labelAllowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")
        let labelsValid = labels.allSatisfy { label in
            (1...63).contains(label.count) && label.allSatisfy(labelAllowed.contains) && !label.hasPrefix("-")
                && !label.hasSuffix("-")
        }
        return labelsValid ? [] : [invalid]
    }

    /// A phone number: optional, at most 32 of digits, spaces, `+ - . ( )`.
    public static func phoneViolations(_ phone: String, field: String = "phone") -> [FieldViolation] {
        var violations = lengthViolations(phone, field: field, maximum: maximumPhoneLength)
        if !phone.allSatisfy(Set("0123456789 +-.()").contains) {
            violations.append(FieldViolation(field: field, description: "may contain only digits, spaces and + - . ( )"))
        }
        return violations
    }

    /// A locale: optional BCP 47-like tag, letters and digits in `-`-separated parts.
    public static func localeViolations(_ locale: String, field: String = "locale") -> [FieldViolation] {
        if locale.isEmpty { return [] }
        var violations = lengthViolations(locale, field: field, maximum: maximumLocaleLength)
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        let parts = locale.split(separator: "-", omittingEmptySubsequences: false)
        if !parts.allSatisfy({ (1...8).contains($0.count) && $0.allSatisfy(allowed.contains) }) {
            violations.append(FieldViolation(field: field, description: "must be a language tag such as fr-FR"))
        }
        return violations
    }

    /// The addresses: at most 10, each part bounded, the country an ISO 3166-1 alpha-2 code.
    public static func addressViolations(_ addresses: [PostalAddress], field: String = "addresses") -> [FieldViolation] {
        if addresses.count > maximumAddressCount {
            return [FieldViolation(field: field, description: "must hold at most \(maximumAddressCount) addresses")]
        }
        return addresses.enumerated().flatMap { index, address -> [FieldViolation] in
            let prefix = "\(field)[\(index)]"
            var violations: [FieldViolation] = []
            if address.lines.count > maximumAddressLineCount {
                violations.append(
                    FieldViolation(field: "\(prefix).lines", description: "must hold at most \(maximumAddressLineCount) lines"))
            }
            for (lineIndex, line) in address.lines.enumerated() {
                violations += lengthViolations(line, field: "\(prefix).lines[\(lineIndex)]", maximum: maximumAddressPartLength)
            }
            violations += lengthViolations(address.label, field: "\(prefix).label", maximum: maximumAddressPartLength)
            violations += lengthViolations(address.city, field: "\(prefix).city", maximum: maximumAddressPartLength)
            violations += lengthViolations(address.region, field: "\(prefix).region", maximum: maximumAddressPartLength)
            violations += lengthViolations(address.postalCode, field: "\(prefix).postal_code", maximum: maximumPostalCodeLength)
            let letters = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
            if !address.country.isEmpty && !(address.country.count == 2 && address.country.allSatisfy(letters.contains)) {
                violations.append(
                    FieldViolation(field: "\(prefix).country", description: "must be an ISO 3166-1 alpha-2 code such as FR"))
            }
            return violations
        }
    }

    /// A password as this service sees it: present and of a sane size; the policy is the
    /// security service's.
    public static func passwordViolations(_ password: String, field: String = "password") -> [FieldViolation] {
        if password.isEmpty { return [FieldViolation(field: field, description: "is required")] }
        return lengthViolations(password, field: field, maximum: maximumPasswordLength)
    }

    /// A free-text value of at most `maximum` characters without control characters.
    public static func lengthViolations(_ value: String, field: String, maximum: Int) -> [FieldViolation] {
        var violations: [FieldViolation] = []
        if value.count > maximum {
            violations.append(FieldViolation(field: field, description: "must be at most \(maximum) characters long"))
        }
        if value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            violations.append(FieldViolation(field: field, description: "must not contain control characters"))
        }
        return violations
    }
}
