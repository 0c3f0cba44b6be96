import Crypto

/// The service's opaque identifiers and hex helpers.
enum ContentID {
    /// A new id: `prefix` then 24 random hex digits, e.g. `itm_3f0c...`.
    static func make(prefix: String) -> String {
        prefix + hex(SecureRandom.bytes(12))
    }

    /// Lower-case hex of `bytes`.
    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        var text = ""
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return text
    }
}
