import Foundation
import RPC

/// Opaque page tokens holding an offset into an ordered result: base64url of `p:<offset>`.
/// A token that does not decode is INVALID_ARGUMENT naming `page_token`.
enum PageToken {
    /// Largest page size a list accepts; 0 means `defaultSize`.
    static let maximumSize = 200
    /// The page size used when the request leaves it 0.
    static let defaultSize = 50

    /// The token for the page starting at `offset`.
    static func encode(offset: Int) -> String {
        Data("p:\(offset)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The offset a token names (0 for the empty token) and the page size to use.
    static func window(token: String, pageSize: Int32) throws -> (offset: Int, size: Int) {
        var violations: [FieldViolation] = []
        if pageSize < 0 || Int(pageSize) > maximumSize {
            violations.append(FieldViolation(field: "page_size", description: "must be between 0 and \(maximumSize)"))
        }
        var offset = 0
        if !token.isEmpty {
            if let decoded = decode(token) {
                offset = decoded
            } else {
                violations.append(FieldViolation(field: "page_token", description: "is not a token this service issued"))
            }
        }
        guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
        return (offset, pageSize == 0 ? defaultSize : Int(pageSize))
    }

    /// The token of the page after `count` rows read at `offset` when more remain.
    static func next(offset: Int, size: Int, fetched: Int) -> String {
        fetched > size ? encode(offset: offset + size) : ""
    }

    private static func decode(_ token: String) -> Int? {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8),
            text.hasPrefix("p:"), let offset = Int(text.dropFirst(2)), offset >= 0
        else { return nil }
        return offset
    }
}
