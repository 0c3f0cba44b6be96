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
        return ContentID.hex(digest)
    }
}
