import Foundation
import Testing

@testable import Crypto

/// `Base64URL` against Foundation's base64 with the URL-safe alphabet, and the texts it refuses.
@Suite struct Base64URLTests {
    /// Foundation's encoding of `bytes`, turned URL-safe and unpadded by hand.
    static func reference(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    @Test func everyLengthEncodesAsTheStandardDoesAndDecodesBack() {
        for length in 0...40 {
            // Bytes that use the two URL-safe characters (0xFB 0xFF encode to "-_8").
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: 0xFB &+ $0 * 4) }
            let text = Base64URL.encode(bytes)
            #expect(text == Self.reference(bytes), "length \(length)")
            #expect(Base64URL.decode(text) == bytes, "length \(length)")
        }
    }

    @Test(arguments: [
        "A",  // a length no encoding has
        "AAAAA",
        "-_8=",  // padding
        "+/8",  // the standard alphabet
        "AB",  // unused bits set ("AA" is the canonical text of one zero byte)
        "AAB",
        "AA AA",  // a character outside the alphabet
        "é",
    ])
    func nonCanonicalTextIsRefused(text: String) {
        #expect(Base64URL.decode(text) == nil)
    }

    @Test func theEmptyTextIsNoBytes() {
        #expect(Base64URL.encode([]) == "")
        #expect(Base64URL.decode("") == [])
    }
}
