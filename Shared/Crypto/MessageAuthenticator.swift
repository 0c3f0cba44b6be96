import CSodium

/// Message authentication codes with HMAC-SHA-512-256 (`crypto_auth`), for messages between
/// services that share a `SecretKey`.
///
/// `sign` produces a 32-byte tag; `verify` checks one in constant time (`crypto_auth_verify`),
/// returning false for a wrong tag, a tag of the wrong length or a message signed with another key.
public struct MessageAuthenticator: Sendable {
    /// The tag length: 32 bytes.
    public static let tagByteCount = Int(crypto_auth_bytes())

    /// The shared key.
    public let key: SecretKey

    /// An authenticator using `key`.
    public init(key: SecretKey) {
        Sodium.ensureInitialized()
        self.key = key
    }

    /// The 32-byte tag for `message`.
    public func sign(_ message: [UInt8]) -> [UInt8] {
        let count = Self.tagByteCount
        return [UInt8](unsafeUninitializedCapacity: count) { output, initialized in
            Self.withInput(message) { input, length in
                key.withUnsafeBytes { keyBytes in
                    // crypto_auth cannot fail.
                    _ = crypto_auth(
                        output.baseAddress!, input, length,
                        keyBytes.bindMemory(to: UInt8.self).baseAddress!)
                }
            }
            initialized = count
        }
    }

    /// True when `tag` is the tag of `message` under this key (checked in constant time).
    public func verify(_ tag: [UInt8], for message: [UInt8]) -> Bool {
        // crypto_auth_verify reads exactly 32 tag bytes: anything else is rejected up front.
        guard tag.count == Self.tagByteCount else { return false }
        return tag.withUnsafeBufferPointer { tagBytes in
            Self.withInput(message) { input, length in
                key.withUnsafeBytes { keyBytes in
                    crypto_auth_verify(
                        tagBytes.baseAddress!, input, length,
                        keyBytes.bindMemory(to: UInt8.self).baseAddress!) == 0
                }
            }
        }
    }

    /// Calls `body` with a valid pointer to `message` and its length; an empty message (whose
    /// array may have no storage) is passed as a pointer to a dummy byte with length 0.
    private static func withInput<Result>(
        _ message: [UInt8], _ body: (UnsafePointer<UInt8>, UInt64) -> Result
    ) -> Result {
        let storage = message.isEmpty ? [0] : message
        return storage.withUnsafeBufferPointer { body($0.baseAddress!, UInt64(message.count)) }
    }
}
