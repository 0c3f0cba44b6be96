import Foundation
import RPC

/// The opaque `page_token` of `ListUsers`: where the previous page ended (creation time and id of
/// its last account) and a fingerprint of the filters it was made for, as URL-safe base64.
/// Anything that does not decode, or was made for other filters, is INVALID_ARGUMENT.
public struct PageToken: Sendable, Hashable {
    /// The last account of the previous page, in list order.
    public var createdAtUnixMs: Int64
    public var id: String
    /// `fingerprint(of:)` of the filters the token was issued with.
    public var filterFingerprint: UInt64

    /// A token from its parts.
    public init(createdAtUnixMs: Int64, id: String, filterFingerprint: UInt64) {
        self.createdAtUnixMs = createdAtUnixMs
        self.id = id
        self.filterFingerprint = filterFingerprint
    }

    /// The token as the client sees it.
    public var encoded: String {
        let text = "1|\(createdAtUnixMs)|\(id)|\(String(filterFingerprint, radix: 16))"
        return Data(text.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Decodes `text` and checks it was issued for filters with `fingerprint`.
    public static func decode(_ text: String, expectedFingerprint fingerprint: UInt64) throws(RPCError) -> PageToken {
        let invalid = RPCError.invalidArgument([
            FieldViolation(field: "page_token", description: "is not a token this service issued for these filters")
        ])
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard text.count <= 512, let data = Data(base64Encoded: base64), let decoded = String(data: data, encoding: .utf8)
        else { throw invalid }
        let parts = decoded.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "1", let created = Int64(parts[1]), !parts[2].isEmpty,
            let print = UInt64(parts[3], radix: 16), print == fingerprint
        else { throw invalid }
        return PageToken(createdAtUnixMs: created, id: String(parts[2]), filterFingerprint: print)
    }

    /// A stable 64-bit FNV-1a hash of the filter values (not a secret: it only catches a token
    /// reused with other filters).
    public static func fingerprint(of values: [String]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in values.joined(separator: "\u{1F}").utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return hash
    }
}
