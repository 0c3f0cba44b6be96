import CSodium

/// Cryptographically secure random bytes and tokens from libsodium's CSPRNG (`randombytes_buf`,
/// backed by the kernel's `getrandom`).
public enum SecureRandom {
    /// The default token size: 32 bytes, i.e. 256 bits of entropy.
    public static let defaultTokenByteCount = 32

    /// `count` random bytes.
    public static func bytes(_ count: Int) -> [UInt8] {
        precondition(count >= 0, "SecureRandom.bytes needs a non-negative count")
        Sodium.ensureInitialized()
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0 { randombytes_buf(buffer.baseAddress!, count) }
            initialized = count
        }
    }

    /// A random token for session ids, API keys and the like: `byteCount` random bytes (default
    /// 32 = 256 bits) as URL-safe base64 without padding (alphabet `A-Z a-z 0-9 - _`), so it can
    /// go in URLs, headers and cookies unchanged. 32 bytes give 43 characters. Store only a
    /// `KeyedHash` of it, never the token itself.
    public static func token(byteCount: Int = defaultTokenByteCount) -> String {
        precondition(byteCount > 0, "SecureRandom.token needs at least one byte")
        Sodium.ensureInitialized()
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: byteCount, alignment: 16)
        defer {
            sodium_memzero(raw.baseAddress, raw.count)
            raw.deallocate()
        }
        randombytes_buf(raw.baseAddress!, byteCount)
        return SodiumEncoding.base64(UnsafeRawBufferPointer(raw), variant: .urlSafeNoPadding)
    }

    /// A uniformly distributed random number in `0..<upperBound` (no modulo bias).
    public static func uniform(_ upperBound: UInt32) -> UInt32 {
        Sodium.ensureInitialized()
        return randombytes_uniform(upperBound)
    }
}
