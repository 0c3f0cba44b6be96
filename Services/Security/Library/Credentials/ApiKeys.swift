import Crypto

/// API keys for programs: `boa_<id>_<secret>`, looked up by the id and verified in constant time.
///
/// The id is 16 lowercase hex characters (8 random bytes): public, stored in clear, the row's
/// lookup key, and safe to show in lists ("boa_3f9c…"). The secret is 43 URL-safe base64
/// characters (32 random bytes). The database stores the id and `storageHash`, a keyed BLAKE2b
/// digest of the whole key under the server's secret, never the key itself. Verification parses
/// the presented key, loads the row by id and compares digests with `ConstantTime.equals`.
public struct ApiKeys: Sendable {
    /// The prefix of every API key.
    public static let prefix = "boa_"
    /// Hex characters in the id part.
    public static let idLength = 16
    /// Base64 characters in the secret part (32 random bytes).
    public static let secretLength = 43
    /// The length of a whole key: `boa_` + id + `_` + secret.
    public static let keyLength = prefix.count + idLength + 1 + secretLength

    /// A presented key that has the right shape, split into its parts.
    public struct Parsed: Sendable, Equatable, CustomStringConvertible {
        /// The public id: the row to load.
        public let id: String
        /// The whole key as presented (secret included); never log it.
        let key: String

        /// `boa_<id>_<redacted>`: the secret never reaches logs.
        public var description: String { "\(ApiKeys.prefix)\(id)_<redacted>" }
    }

    /// A freshly minted key and what to store for it.
    public struct Minted: Sendable, CustomStringConvertible {
        /// The whole key, to show its owner once; never store or log it.
        public let key: String
        /// The public id to store in clear and look the key up by.
        public let id: String
        /// The keyed hash to store and compare against (64 hex characters).
        public let storageHash: String

        /// `boa_<id>_<redacted>`.
        public var description: String { "\(ApiKeys.prefix)\(id)_<redacted>" }
    }

    private let keyedHash: KeyedHash

    /// Keys whose storage hashes are keyed with `secret` (the service's configured key).
    public init(secret: SecretKey) {
        keyedHash = KeyedHash(key: secret)
    }

    /// A new random key, its id and its storage hash.
    public func mint() -> Minted {
        let idBytes = SecureRandom.bytes(Self.idLength / 2)
        let id = idBytes.map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]])
        }.joined()
        let key = Self.prefix + id + "_" + SecureRandom.token(byteCount: 32)
        return Minted(key: key, id: id, storageHash: keyedHash.hexDigest(key))
    }

    /// The parts of `key`, or nil when it is not shaped like an API key (wrong prefix, length,
    /// separator or alphabet), which callers answer as UNAUTHENTICATED without a lookup.
    public static func parse(_ key: String) -> Parsed? {
        let bytes = Array(key.utf8)
        let prefixBytes = Array(prefix.utf8)
        guard bytes.count == keyLength, bytes.starts(with: prefixBytes) else { return nil }
        let idRange = prefixBytes.count..<(prefixBytes.count + idLength)
        let separator = idRange.upperBound
        guard bytes[idRange].allSatisfy(CredentialAlphabet.isLowercaseHex), bytes[separator] == UInt8(ascii: "_"),
            bytes[(separator + 1)...].allSatisfy(CredentialAlphabet.isBase64URL)
        else { return nil }
        return Parsed(id: String(decoding: bytes[idRange], as: UTF8.self), key: key)
    }

    /// The storage hash of a parsed key (what `mint` returned for it).
    public func storageHash(of key: Parsed) -> String {
        keyedHash.hexDigest(key.key)
    }

    /// True when `key` hashes to `storedHash` (the row loaded by `key.id`), compared in constant time.
    public func verify(_ key: Parsed, storedHash: String) -> Bool {
        ConstantTime.equals(storageHash(of: key), storedHash)
    }
}
