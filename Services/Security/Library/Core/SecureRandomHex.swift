import Crypto

/// Random bytes as lowercase hex.
enum SecureRandomHex {
    /// `byteCount` random bytes as `2 × byteCount` lowercase hex characters.
    static func hex(byteCount: Int) -> String {
        let digits = Array("0123456789abcdef")
        var text = ""
        text.reserveCapacity(byteCount * 2)
        for byte in SecureRandom.bytes(byteCount) {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return text
    }
}
