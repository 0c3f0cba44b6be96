import Crypto

/// Opaque ids (`ord_3f9a...`), order numbers (`BO-000123`) and page tokens.
enum Identifiers {
    /// A new id: `prefix`, an underscore and 16 random hex digits.
    static func make(_ prefix: String) -> String {
        prefix + "_"
            + SecureRandom.bytes(8).map { byte in
                let digits = Array("0123456789abcdef")
                return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
            }.joined()
    }

    /// The number shown to people for the order with `sequence`: `BO-` and at least six digits.
    static func orderNumber(_ sequence: Int64) -> String {
        let digits = String(sequence)
        return "BO-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// A page token continuing after `key`: `prefix` and `key` in hex.
    static func pageToken(_ prefix: String, after key: Int64) -> String {
        prefix + String(key, radix: 16)
    }

    /// The key a token made by `pageToken` continues after, or nil when it is not one.
    static func key(fromPageToken token: String, prefix: String) -> Int64? {
        guard token.hasPrefix(prefix) else { return nil }
        let digits = token.dropFirst(prefix.count)
        guard !digits.isEmpty, digits.count <= 16, digits.allSatisfy({ $0.isHexDigit && !$0.isUppercase }),
            let key = Int64(digits, radix: 16), key > 0
        else { return nil }
        return key
    }
}
