import CSodium

/// Password hashing with Argon2id (`crypto_pwhash_str_alg`, `crypto_pwhash_ALG_ARGON2ID13`).
///
/// `hash` returns libsodium's self-describing string (`$argon2id$v=19$m=...,t=...,p=1$salt$hash`),
/// which records the salt and parameters, so `verify` needs nothing else and `needsRehash` can tell
/// when a stored hash was made with other parameters (rehash it at the next successful login).
///
/// Choosing parameters: production should pick the most memory and passes that keep one hash
/// between 50 and 250 ms on the target machine (here a 2-core server), and remember that each
/// concurrent hash holds `memoryLimitBytes` of RAM. The default, `.interactive` (2 passes over
/// 64 MiB, one lane), is libsodium's recommendation for online logins; on the 2-core development
/// machine it measured about 60-80 ms per hash when idle (110-180 ms while parallel builds kept
/// both cores busy), inside that window. `.moderate` costs about five
/// times as much. `.testing` is deliberately weak and exists only to keep test suites fast.
///
/// Hashing and verifying are CPU-bound and block the calling thread for the full cost; run them
/// off network event-loop threads. Copies of the password made for libsodium are wiped with
/// `sodium_memzero` after use.
public struct PasswordHasher: Sendable {
    /// Argon2id cost parameters.
    public struct Parameters: Sendable, Equatable, CustomStringConvertible {
        /// Number of passes over memory (`opslimit`, at least 1).
        public var opsLimit: UInt64
        /// Memory used per hash in bytes (`memlimit`, at least 8 KiB).
        public var memoryLimitBytes: Int

        /// Parameters with the given passes and memory.
        public init(opsLimit: UInt64, memoryLimitBytes: Int) {
            self.opsLimit = opsLimit
            self.memoryLimitBytes = memoryLimitBytes
        }

        /// libsodium's interactive preset: 2 passes, 64 MiB. The default.
        public static let interactive = Parameters(
            opsLimit: UInt64(crypto_pwhash_argon2id_opslimit_interactive()),
            memoryLimitBytes: Int(crypto_pwhash_argon2id_memlimit_interactive()))

        /// libsodium's moderate preset: 3 passes, 256 MiB (about 5x the cost of `.interactive`).
        public static let moderate = Parameters(
            opsLimit: UInt64(crypto_pwhash_argon2id_opslimit_moderate()),
            memoryLimitBytes: Int(crypto_pwhash_argon2id_memlimit_moderate()))

        /// A fast, weak preset for tests only: 1 pass over 64 KiB.
        public static let testing = Parameters(opsLimit: 1, memoryLimitBytes: 64 * 1024)

        /// `opsLimit=…, memory=… KiB`.
        public var description: String { "opsLimit=\(opsLimit), memory=\(memoryLimitBytes / 1024) KiB" }
    }

    /// The prefix of every hash this type produces.
    public static let prefix = "$argon2id$"

    /// The parameters new hashes use.
    public let parameters: Parameters

    /// A hasher using `parameters` (default `.interactive`).
    public init(parameters: Parameters = .interactive) {
        Sodium.ensureInitialized()
        self.parameters = parameters
    }

    /// Hashes `password` with a fresh random salt and returns the encoded `$argon2id$...` string.
    ///
    /// Throws a `CryptoError` when libsodium refuses (parameters outside Argon2id's limits, or
    /// not enough memory for `memoryLimitBytes`).
    public func hash(_ password: String) throws -> String {
        let capacity = Int(crypto_pwhash_strbytes())
        var output = [CChar](repeating: 0, count: capacity)
        let parameters = self.parameters
        let code = Self.withPasswordBytes(password) { bytes, length in
            crypto_pwhash_str_alg(
                &output, bytes, length, parameters.opsLimit, parameters.memoryLimitBytes, crypto_pwhash_ALG_ARGON2ID13)
        }
        try CryptoError.check(
            code, "crypto_pwhash_str_alg",
            "Argon2id hashing failed (\(parameters); out of memory or parameters out of range)")
        return String(decoding: output.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// True when `password` matches `encoded`. A wrong password, or an `encoded` string that is
    /// malformed, truncated or not Argon2id, gives false (never a crash or a throw). Costs as much
    /// as one `hash` with the parameters recorded in `encoded`.
    public func verify(_ password: String, against encoded: String) -> Bool {
        guard let encodedBytes = Self.encodedBuffer(encoded) else { return false }
        return Self.withPasswordBytes(password) { bytes, length in
            crypto_pwhash_argon2id_str_verify(encodedBytes, bytes, length) == 0
        }
    }

    /// True when `encoded` was not made by Argon2id with this hasher's parameters (or is not a
    /// valid hash at all), so the password should be rehashed after the next successful `verify`.
    public func needsRehash(_ encoded: String) -> Bool {
        guard let encodedBytes = Self.encodedBuffer(encoded) else { return true }
        return crypto_pwhash_argon2id_str_needs_rehash(encodedBytes, parameters.opsLimit, parameters.memoryLimitBytes) != 0
    }

    /// `encoded` as a NUL-padded buffer of `crypto_pwhash_STRBYTES`, the size libsodium's API
    /// declares, or nil when it cannot be one of ours (wrong prefix, too long, embedded NUL).
    private static func encodedBuffer(_ encoded: String) -> [CChar]? {
        let capacity = Int(crypto_pwhash_strbytes())
        let utf8 = Array(encoded.utf8)
        guard encoded.hasPrefix(prefix), utf8.count < capacity, !utf8.contains(0) else { return nil }
        var buffer = [CChar](repeating: 0, count: capacity)
        for (index, byte) in utf8.enumerated() { buffer[index] = CChar(bitPattern: byte) }
        return buffer
    }

    /// Calls `body` with a private copy of the password's UTF-8 bytes, wiped afterwards.
    private static func withPasswordBytes<Result>(
        _ password: String, _ body: (UnsafePointer<CChar>, UInt64) -> Result
    ) -> Result {
        let length = password.utf8.count
        let buffer = UnsafeMutableBufferPointer<CChar>.allocate(capacity: max(length, 1))
        defer {
            sodium_memzero(buffer.baseAddress, buffer.count)
            buffer.deallocate()
        }
        buffer[0] = 0
        for (index, byte) in password.utf8.enumerated() { buffer[index] = CChar(bitPattern: byte) }
        return body(UnsafePointer(buffer.baseAddress!), UInt64(length))
    }
}
