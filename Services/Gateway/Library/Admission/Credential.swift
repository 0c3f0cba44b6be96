import RPC

/// The credential a client presents in its call's `authorization` metadata:
/// `Bearer <session token or API key>` (or `ApiKey <key>`).
public enum Credential {
    /// The schemes accepted before the credential, compared case-insensitively (ASCII).
    public static let schemes = ["bearer", "apikey"]

    /// Longest credential accepted (tokens and keys are under 100 characters).
    public static let maximumLength = 1024

    /// The credential in `metadata`: `nil` when there is no `authorization` entry.
    /// - Throws: UNAUTHENTICATED when the entry is there but not `<scheme> <credential>`.
    public static func from(_ metadata: Metadata) throws(RPCError) -> String? {
        guard var value = metadata[Metadata.Keys.authorization] else { return nil }
        // Parsed on bytes, without copying them: this runs for every call.
        let credential = value.withUTF8 { bytes -> String? in
            guard let space = bytes.firstIndex(where: isBlank),
                schemes.contains(where: { matchesIgnoringCase(bytes[..<space], $0) })
            else { return nil }
            var start = space
            while start < bytes.count && isBlank(bytes[start]) { start += 1 }
            var end = bytes.count
            while end > start && isBlank(bytes[end - 1]) { end -= 1 }
            guard end > start, end - start <= maximumLength, !bytes[start..<end].contains(where: isBlank) else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        }
        guard let credential else { throw malformed }
        return credential
    }

    private static let malformed = RPCError(.unauthenticated, "the authorization metadata must be \"Bearer <token>\"")

    private static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    private static func matchesIgnoringCase(_ bytes: Slice<UnsafeBufferPointer<UInt8>>, _ lowercase: String) -> Bool {
        guard bytes.count == lowercase.utf8.count else { return false }
        return zip(bytes, lowercase.utf8).allSatisfy { byte, expected in
            (byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte) == expected
        }
    }
}
