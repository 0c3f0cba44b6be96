/// URL-safe base64 without padding (RFC 4648, section 5), through libsodium's codec: for values
/// that travel in call metadata, such as signed principals.
public enum Base64URL {
    /// The encoding of `bytes`.
    public static func encode(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { SodiumEncoding.base64($0, variant: .urlSafeNoPadding) }
    }

    /// The bytes of `text`; `nil` for anything but the canonical encoding of some bytes (another
    /// alphabet, padding, a length no encoding has, unused bits that are not zero).
    public static func decode(_ text: String) -> [UInt8]? {
        let capacity = text.utf8.count * 3 / 4
        // Nothing to decode into (libsodium needs a buffer): only the empty text is the empty encoding.
        guard capacity > 0 else { return text.isEmpty ? [] : nil }
        var bytes = [UInt8](repeating: 0, count: capacity)
        guard
            let count = try? bytes.withUnsafeMutableBytes({
                try SodiumEncoding.decodeBase64(text, variant: .urlSafeNoPadding, into: $0)
            })
        else { return nil }
        bytes.removeLast(bytes.count - count)
        return bytes
    }
}
