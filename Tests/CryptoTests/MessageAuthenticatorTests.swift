import Testing

@testable import Crypto

@Suite("MessageAuthenticator and ConstantTime")
struct MessageAuthenticatorTests {
    let message = Array("POST /internal/v1/accounts\n{\"id\":42}".utf8)

    @Test("verify accepts the right tag and rejects a flipped bit, a wrong key and a truncated tag")
    func macVerification() {
        let key = SecretKey.random()
        let mac = MessageAuthenticator(key: key)
        let tag = mac.sign(message)
        #expect(tag.count == 32)
        #expect(MessageAuthenticator.tagByteCount == 32)
        #expect(mac.verify(tag, for: message))
        #expect(mac.sign(message) == tag)  // deterministic

        for bit in [0, 7, 100, 255] {
            var flipped = tag
            flipped[bit / 8] ^= 1 << (bit % 8)
            #expect(!mac.verify(flipped, for: message))
        }
        var alteredMessage = message
        alteredMessage[3] ^= 0x01
        #expect(!mac.verify(tag, for: alteredMessage))
        #expect(!MessageAuthenticator(key: SecretKey.random()).verify(tag, for: message))
        #expect(!mac.verify(Array(tag.prefix(16)), for: message))
        #expect(!mac.verify(Array(tag.dropLast()), for: message))
        #expect(!mac.verify([], for: message))
        #expect(!mac.verify(tag + [0], for: message))
    }

    @Test("empty messages can be signed and verified")
    func emptyMessage() {
        let mac = MessageAuthenticator(key: SecretKey.random())
        let tag = mac.sign([])
        #expect(mac.verify(tag, for: []))
        #expect(!mac.verify(tag, for: [0]))
    }

    @Test("HMAC-SHA-512-256 matches a reference value")
    func referenceVector() throws {
        // crypto_auth takes 32-byte keys; HMAC zero-pads shorter keys to the block size, so the key
        // "Jefe" padded with zeros to 32 bytes is the same HMAC key as plain "Jefe".
        var keyBytes = Array("Jefe".utf8)
        keyBytes += Array(repeating: 0, count: 32 - keyBytes.count)
        let mac = MessageAuthenticator(key: try SecretKey(bytes: keyBytes))
        let tag = mac.sign(Array("what do ya want for nothing?".utf8))
        // RFC 4231 test case 2 (HMAC-SHA-512, key "Jefe") truncated to its first 32 bytes.
        let expected = "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
        let hex = tag.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
        #expect(hex == expected)
    }

    @Test("constant-time equality handles equal, unequal and different lengths")
    func constantTimeEquals() {
        #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2]))
        #expect(!ConstantTime.equals([], [0]))
        #expect(ConstantTime.equals([], []))
        let token = SecureRandom.token()
        #expect(ConstantTime.equals(token, token))
        #expect(!ConstantTime.equals(token, String(token.dropLast()) + "x"))
        #expect(!ConstantTime.equals(token, token + "x"))
    }
}
