import Crypto

/// Staff or customer.
public enum UserKind: String, Sendable, Hashable, CaseIterable {
    case staff
    case customer
}

/// Where an account is in its life. `pending` rows exist only while the credential is being
/// created in the security service (see `UserDirectory`); no read ever returns them.
public enum UserStatus: String, Sendable, Hashable, CaseIterable {
    case pending
    case active
    case deactivated
    case erased
}

/// A postal address of an account, stored as JSON inside the account's row.
public struct PostalAddress: Codable, Sendable, Hashable {
    public var label = ""
    public var lines: [String] = []
    public var city = ""
    public var region = ""
    public var postalCode = ""
    public var country = ""

    /// An address from its parts.
    public init(
        label: String = "", lines: [String] = [], city: String = "", region: String = "", postalCode: String = "",
        country: String = ""
    ) {
        self.label = label
        self.lines = lines
        self.city = city
        self.region = region
        self.postalCode = postalCode
        self.country = country
    }
}

/// The profile fields an account owner or an administrator may change.
public struct Profile: Sendable, Hashable {
    public var username: String
    public var email: String
    public var displayName = ""
    public var phone = ""
    public var locale = ""
    public var addresses: [PostalAddress] = []

    /// A profile from its parts.
    public init(
        username: String, email: String, displayName: String = "", phone: String = "", locale: String = "",
        addresses: [PostalAddress] = []
    ) {
        self.username = username
        self.email = email
        self.displayName = displayName
        self.phone = phone
        self.locale = locale
        self.addresses = addresses
    }
}

/// The names of the profile's fields, as requests spell them (`update_mask`, field violations).
public enum ProfileField: String, Sendable, Hashable, CaseIterable {
    case username
    case email
    case displayName = "display_name"
    case phone
    case locale
    case addresses

    /// Whether the security service keeps a copy of the field (and must hear of changes).
    public var isMirroredInSecurity: Bool {
        self == .username || self == .email || self == .displayName
    }
}

/// One account as stored.
public struct UserRecord: Sendable, Hashable {
    public var id: String
    public var kind: UserKind
    public var profile: Profile
    public var status: UserStatus
    /// Incremented by every change (optimistic concurrency).
    public var version: Int64
    public var createdAtUnixMs: Int64
    public var updatedAtUnixMs: Int64

    /// A record from its parts.
    public init(
        id: String, kind: UserKind, profile: Profile, status: UserStatus, version: Int64 = 1, createdAtUnixMs: Int64,
        updatedAtUnixMs: Int64
    ) {
        self.id = id
        self.kind = kind
        self.profile = profile
        self.status = status
        self.version = version
        self.createdAtUnixMs = createdAtUnixMs
        self.updatedAtUnixMs = updatedAtUnixMs
    }

    /// A fresh opaque id: `u_` and 16 random bytes in hex.
    public static func newID() -> String {
        "u_" + SecureRandom.bytes(16).map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }

    /// The profile an erased account keeps: no personal data, unique placeholders derived from
    /// the id for the unique columns.
    public static func erasedProfile(id: String) -> Profile {
        let suffix = id.hasPrefix("u_") ? String(id.dropFirst(2)) : id
        return Profile(username: "erased-\(suffix.prefix(24))", email: "erased-\(suffix)@erased.invalid")
    }
}

extension String {
    /// The string with `"0"`s in front up to `length` characters.
    func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
