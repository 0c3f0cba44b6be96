import Crypto

/// Session tokens: minted from the CSPRNG, handed to the client once, stored only as a keyed hash.
///
/// A token is `bos_` followed by 43 URL-safe base64 characters (32 random bytes, 256 bits). The
/// database keeps `storageKey(for:)`, a keyed BLAKE2b digest under the server's secret, so a leaked
/// table holds nothing a client could present, and a presented token is found by hashing it and
/// looking the digest up (an index lookup on a digest leaks nothing without the key).
public struct SessionTokens: Sendable {
    /// The prefix of every session token: it tells credentials apart in logs and secret scanners.
    public static let prefix = "bos_"
    /// Random bytes per token: 32 (256 bits).
    public static let randomByteCount = 32
    /// The length of a token: the prefix plus 43 base64 characters.
    public static let tokenLength = prefix.count + 43

    /// A freshly minted token and what to store for it.
    public struct Minted: Sendable, CustomStringConvertible {
        /// The token to give the client once; never store or log it.
        public let token: String
        /// The keyed hash to store and look the session up by (64 hex characters).
        public let storageKey: String

        /// Shows the storage key only: `SessionToken(<redacted>, key: ...)`.
        public var description: String { "SessionToken(<redacted>, key: \(storageKey))" }
    }

    private let keyedHash: KeyedHash

    /// Tokens whose storage keys are keyed with `secret` (the service's configured token key).
    public init(secret: SecretKey) {
        keyedHash = KeyedHash(key: secret)
    }

    /// A new random token and its storage key.
    public func mint() -> Minted {
        let token = Self.prefix + SecureRandom.token(byteCount: Self.randomByteCount)
        return Minted(token: token, storageKey: keyedHash.hexDigest(token))
    }

    /// The storage key of a presented token, or nil when it is not shaped like one of ours (so it
    /// cannot match any session and needs no lookup).
    public func storageKey(for token: String) -> String? {
        guard Self.isWellFormed(token) else { return nil }
        return keyedHash.hexDigest(token)
    }

    /// True when `token` has the prefix, the length and the URL-safe base64 alphabet of a token.
    public static func isWellFormed(_ token: String) -> Bool {
        token.utf8.count == tokenLength && token.hasPrefix(prefix)
            && token.utf8.dropFirst(prefix.utf8.count).allSatisfy(CredentialAlphabet.isBase64URL)
    }
}

/// Character classes of the credential formats.
enum CredentialAlphabet {
    /// `A-Z a-z 0-9 - _`: URL-safe base64 without padding.
    static func isBase64URL(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default: false
        }
    }

    /// `0-9 a-f`: lowercase hex.
    static func isLowercaseHex(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"): true
        default: false
        }
    }
}
