import CSodium

/// Hex and base64 conversions through libsodium's constant-time codecs (`sodium_bin2hex`,
/// `sodium_bin2base64` and their inverses), so encoding secrets leaks no timing information.
enum SodiumEncoding {
    /// The base64 flavours libsodium knows.
    enum Base64Variant: CaseIterable {
        case original, originalNoPadding, urlSafe, urlSafeNoPadding

        var code: Int32 {
            switch self {
            case .original: sodium_base64_VARIANT_ORIGINAL
            case .originalNoPadding: sodium_base64_VARIANT_ORIGINAL_NO_PADDING
            case .urlSafe: sodium_base64_VARIANT_URLSAFE
            case .urlSafeNoPadding: sodium_base64_VARIANT_URLSAFE_NO_PADDING
            }
        }
    }

    /// Lowercase hex of `bytes`.
    static func hex(_ bytes: UnsafeRawBufferPointer) -> String {
        let capacity = bytes.count * 2 + 1
        return String(unsafeUninitializedCapacity: capacity) { output in
            output.withMemoryRebound(to: CChar.self) { chars in
                _ = sodium_bin2hex(chars.baseAddress!, capacity, bytes.bindMemory(to: UInt8.self).baseAddress, bytes.count)
            }
            return capacity - 1
        }
    }

    /// Base64 of `bytes` in `variant`.
    static func base64(_ bytes: UnsafeRawBufferPointer, variant: Base64Variant) -> String {
        let capacity = csodium_base64_encoded_len(bytes.count, variant.code)
        return String(unsafeUninitializedCapacity: capacity) { output in
            output.withMemoryRebound(to: CChar.self) { chars in
                _ = sodium_bin2base64(
                    chars.baseAddress!, capacity, bytes.bindMemory(to: UInt8.self).baseAddress, bytes.count, variant.code)
            }
            return capacity - 1  // without the terminating NUL
        }
    }

    /// Decodes hex text (the whole string must be hex) into `destination`, returning the
    /// number of bytes written; throws when the text is not hex or does not fit.
    static func decodeHex(_ text: String, into destination: UnsafeMutableRawBufferPointer) throws -> Int {
        var written = 0
        var text = text.utf8CString  // a private copy, wiped below: the text may be key material
        defer { text.withUnsafeMutableBytes { sodium_memzero($0.baseAddress, $0.count) } }
        let code = text.withUnsafeBufferPointer { chars in
            sodium_hex2bin(
                destination.bindMemory(to: UInt8.self).baseAddress!, destination.count, chars.baseAddress,
                chars.count - 1, nil, &written, nil)
        }
        try CryptoError.check(code, "sodium_hex2bin", "the text is not \(destination.count * 2) hex digits")
        return written
    }

    /// Decodes base64 text in `variant` (the whole string must decode) into `destination`,
    /// returning the number of bytes written.
    static func decodeBase64(
        _ text: String, variant: Base64Variant, into destination: UnsafeMutableRawBufferPointer
    ) throws -> Int {
        var written = 0
        var text = text.utf8CString  // a private copy, wiped below: the text may be key material
        defer { text.withUnsafeMutableBytes { sodium_memzero($0.baseAddress, $0.count) } }
        let code = text.withUnsafeBufferPointer { chars in
            sodium_base642bin(
                destination.bindMemory(to: UInt8.self).baseAddress!, destination.count, chars.baseAddress,
                chars.count - 1, nil, &written, nil, variant.code)
        }
        try CryptoError.check(code, "sodium_base642bin", "the text is not valid base64 of at most \(destination.count) bytes")
        return written
    }
}
