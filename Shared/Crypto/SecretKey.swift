import CSodium

/// A 32-byte symmetric key for `KeyedHash` and `MessageAuthenticator`.
///
/// Create one with `SecretKey.random()` or load it from configuration as base64 (standard or
/// URL-safe, padded or not) or hex text. The bytes live in a private buffer that is wiped when
/// the last copy of the key goes away, and `description` never shows them, so a key that ends up
/// in a log line prints as `SecretKey(<redacted>)`.
public struct SecretKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The key length in bytes: 32 (256 bits).
    public static let byteCount = 32

    private let storage: Storage

    private init(storage: Storage) {
        self.storage = storage
    }

    /// A fresh key from libsodium's CSPRNG.
    public static func random() -> SecretKey {
        Sodium.ensureInitialized()
        let storage = Storage()
        randombytes_buf(storage.buffer.baseAddress!, storage.buffer.count)
        return SecretKey(storage: storage)
    }

    /// A key made of exactly `bytes` (32 of them). The caller's array is not wiped.
    public init(bytes: [UInt8]) throws {
        Sodium.ensureInitialized()
        guard bytes.count == Self.byteCount else {
            throw CryptoError(
                code: -1, call: "SecretKey(bytes:)", message: "a key needs \(Self.byteCount) bytes, got \(bytes.count)")
        }
        let storage = Storage()
        bytes.withUnsafeBytes { storage.buffer.copyMemory(from: $0) }
        self.storage = storage
    }

    /// A key from base64 text (standard or URL-safe alphabet, with or without padding; leading and
    /// trailing whitespace is ignored) that decodes to exactly 32 bytes.
    public init(base64: String) throws {
        try self.init(decoding: base64, call: "SecretKey(base64:)") { text, buffer in
            for variant in SodiumEncoding.Base64Variant.allCases {
                if let count = try? SodiumEncoding.decodeBase64(text, variant: variant, into: buffer) {
                    return count
                }
            }
            return nil
        }
    }

    /// A key from 64 hex digits (either case; leading and trailing whitespace is ignored).
    public init(hex: String) throws {
        try self.init(decoding: hex, call: "SecretKey(hex:)") { text, buffer in
            try? SodiumEncoding.decodeHex(text, into: buffer)
        }
    }

    private init(
        decoding text: String, call: String,
        _ decode: (String, UnsafeMutableRawBufferPointer) -> Int?
    ) throws {
        Sodium.ensureInitialized()
        var trimmed = Substring(text)
        while let first = trimmed.first, first.isWhitespace { trimmed.removeFirst() }
        while let last = trimmed.last, last.isWhitespace { trimmed.removeLast() }
        // Decode into a buffer one byte larger than a key, so over-long input is detected.
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.byteCount + 1, alignment: 16)
        defer {
            sodium_memzero(scratch.baseAddress, scratch.count)
            scratch.deallocate()
        }
        guard let count = decode(String(trimmed), scratch), count == Self.byteCount else {
            throw CryptoError(code: -1, call: call, message: "the text does not encode a \(Self.byteCount)-byte key")
        }
        let storage = Storage()
        storage.buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: scratch[0..<Self.byteCount]))
        self.storage = storage
    }

    /// Calls `body` with the key bytes. Do not copy them out of the closure.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(storage.buffer))
    }

    /// The key as standard padded base64, for provisioning configuration. Treat the result as a secret.
    public func exportBase64() -> String {
        SodiumEncoding.base64(UnsafeRawBufferPointer(storage.buffer), variant: .original)
    }

    /// The key as lowercase hex, for provisioning configuration. Treat the result as a secret.
    public func exportHex() -> String {
        SodiumEncoding.hex(UnsafeRawBufferPointer(storage.buffer))
    }

    /// Always `SecretKey(<redacted>)`: key bytes never reach logs.
    public var description: String { "SecretKey(<redacted>)" }

    /// Always `SecretKey(<redacted>)`.
    public var debugDescription: String { description }

    /// The key bytes in memory this key owns, wiped with `sodium_memzero` on release.
    ///
    /// `@unchecked Sendable`: the buffer is written only inside the key's initializer, before the
    /// storage is shared, and is read-only afterwards, so concurrent reads are safe.
    private final class Storage: @unchecked Sendable {
        let buffer: UnsafeMutableRawBufferPointer

        init() {
            buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: SecretKey.byteCount, alignment: 16)
            buffer.initializeMemory(as: UInt8.self, repeating: 0)
        }

        deinit {
            sodium_memzero(buffer.baseAddress, buffer.count)
            buffer.deallocate()
        }
    }
}
