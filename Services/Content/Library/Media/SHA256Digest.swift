import CSodium

/// An incremental SHA-256 (libsodium's `crypto_hash_sha256`): feed bytes with `update`, read the
/// hex digest once with `finalize`. Not thread-safe; one upload owns one.
final class SHA256Digest {
    private let state = UnsafeMutablePointer<crypto_hash_sha256_state>.allocate(capacity: 1)

    init() {
        _ = sodium_init()
        crypto_hash_sha256_init(state)
    }

    deinit { state.deallocate() }

    /// Adds `bytes` to the hashed data.
    func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { buffer in
            _ = crypto_hash_sha256_update(state, buffer.baseAddress, UInt64(buffer.count))
        }
    }

    /// The digest of everything fed, as lower-case hex.
    func finalize() -> String {
        var digest = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_BYTES))
        crypto_hash_sha256_final(state, &digest)
        return digest.map { byte in
            let hex = Array("0123456789abcdef")
            return String([hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]])
        }.joined()
    }

    /// The hex SHA-256 of `bytes`.
    static func hex(of bytes: [UInt8]) -> String {
        let digest = SHA256Digest()
        digest.update(bytes)
        return digest.finalize()
    }
}
