import CSodium

/// Keyed BLAKE2b (`crypto_generichash` with a key): a fast, deterministic, keyed fingerprint.
///
/// Services store session tokens and API keys only as keyed hashes: the database row holds
/// `hexDigest(token)`, a lookup hashes the presented token the same way and compares (an index
/// lookup on the digest is safe because the digest reveals nothing about the token without the
/// key). Do not use it for passwords; those need `PasswordHasher`'s deliberately slow Argon2id.
public struct KeyedHash: Sendable {
    /// The default digest length: 32 bytes (256 bits).
    public static let defaultDigestByteCount = 32

    /// The key.
    public let key: SecretKey
    /// The digest length in bytes (16...64).
    public let digestByteCount: Int

    /// A hasher with `key` producing `digestByteCount`-byte digests (16 to 64, default 32).
    public init(key: SecretKey, digestByteCount: Int = defaultDigestByteCount) {
        precondition(
            (Int(crypto_generichash_bytes_min())...Int(crypto_generichash_bytes_max())).contains(digestByteCount),
            "KeyedHash digests are 16 to 64 bytes long")
        Sodium.ensureInitialized()
        self.key = key
        self.digestByteCount = digestByteCount
    }

    /// The digest of `message`.
    public func digest(_ message: [UInt8]) -> [UInt8] {
        message.withUnsafeBytes { digest($0) }
    }

    /// The digest of `text`'s UTF-8 bytes.
    public func digest(_ text: String) -> [UInt8] {
        var text = text
        return text.withUTF8 { digest(UnsafeRawBufferPointer($0)) }
    }

    /// The digest of `message` as lowercase hex (64 characters by default).
    public func hexDigest(_ message: [UInt8]) -> String {
        digest(message).withUnsafeBytes { SodiumEncoding.hex($0) }
    }

    /// The digest of `text` as lowercase hex (64 characters by default).
    public func hexDigest(_ text: String) -> String {
        digest(text).withUnsafeBytes { SodiumEncoding.hex($0) }
    }

    /// The digest of `message` as URL-safe base64 without padding (43 characters by default).
    public func base64Digest(_ message: [UInt8]) -> String {
        digest(message).withUnsafeBytes { SodiumEncoding.base64($0, variant: .urlSafeNoPadding) }
    }

    /// The digest of `text` as URL-safe base64 without padding (43 characters by default).
    public func base64Digest(_ text: String) -> String {
        digest(text).withUnsafeBytes { SodiumEncoding.base64($0, variant: .urlSafeNoPadding) }
    }

    private func digest(_ message: UnsafeRawBufferPointer) -> [UInt8] {
        let count = digestByteCount
        return [UInt8](unsafeUninitializedCapacity: count) { output, initialized in
            key.withUnsafeBytes { keyBytes in
                // Never fails for lengths inside the limits the initializer enforces.
                _ = crypto_generichash(
                    output.baseAddress!, count, message.bindMemory(to: UInt8.self).baseAddress,
                    UInt64(message.count), keyBytes.bindMemory(to: UInt8.self).baseAddress, keyBytes.count)
            }
            initialized = count
        }
    }
}
