import Foundation
import Testing

@testable import Crypto

@Suite("SecretKey and KeyedHash")
struct KeyedHashTests {
    @Test("keyed hash is deterministic per key and differs across keys and inputs")
    func deterministic() {
        let key = SecretKey.random()
        let hash = KeyedHash(key: key)
        let token = SecureRandom.token()
        #expect(hash.hexDigest(token) == hash.hexDigest(token))
        #expect(hash.digest(token) == hash.digest(Array(token.utf8)))
        #expect(KeyedHash(key: key).hexDigest(token) == hash.hexDigest(token))
        #expect(hash.hexDigest(token) != hash.hexDigest(token + "x"))
        #expect(KeyedHash(key: SecretKey.random()).hexDigest(token) != hash.hexDigest(token))
        #expect(hash.hexDigest("") != hash.hexDigest(" "))
    }

    @Test("digest encodings have the expected sizes and alphabets")
    func encodings() {
        let hash = KeyedHash(key: SecretKey.random())
        let hex = hash.hexDigest("api-key")
        #expect(hex.count == 64)
        #expect(hex.allSatisfy { "0123456789abcdef".contains($0) })
        let base64 = hash.base64Digest("api-key")
        #expect(base64.count == 43)
        #expect(!base64.contains("=") && !base64.contains("+") && !base64.contains("/"))
        #expect(hash.digest([]).count == 32)
        #expect(KeyedHash(key: SecretKey.random(), digestByteCount: 64).digest("x").count == 64)
    }

    @Test("keyed BLAKE2b matches an independent implementation")
    func referenceVector() throws {
        // Expected values from Python's hashlib.blake2b(data, key=bytes(range(32)), digest_size=n).
        let key = try SecretKey(bytes: Array(0..<32))
        #expect(
            KeyedHash(key: key).hexDigest([0, 1, 2])
                == "e14fc9161564dd081204f2dd6146a9ffbef66f95d5dc80e0a225e213c09dad7b")
        #expect(
            KeyedHash(key: key, digestByteCount: 64).hexDigest([])
                == "84bfa69f0d90df7db2a3ee026042988b5bd9caa2320af1f371823dd28351202f"
                + "8e6277c40c050711c8dd4e2c1ac30c34c9aed0bddd468b031287fe872675e0cc")
    }

    @Test("secret keys load from hex and base64 and never print their bytes")
    func secretKeys() throws {
        let key = SecretKey.random()
        let fromHex = try SecretKey(hex: key.exportHex())
        let fromBase64 = try SecretKey(base64: key.exportBase64())
        let fromPaddedLine = try SecretKey(base64: " \(key.exportBase64())\n")
        let urlSafe = key.exportBase64().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        let fromURLSafe = try SecretKey(base64: urlSafe)
        let probe = KeyedHash(key: key).hexDigest("probe")
        for loaded in [fromHex, fromBase64, fromPaddedLine, fromURLSafe] {
            #expect(KeyedHash(key: loaded).hexDigest("probe") == probe)
        }
        #expect(key.exportHex().count == 64)
        #expect("\(key)" == "SecretKey(<redacted>)")
        #expect(String(reflecting: key) == "SecretKey(<redacted>)")
        #expect(!"\(key)".contains(key.exportHex().prefix(8)))

        #expect(throws: CryptoError.self) { try SecretKey(bytes: [1, 2, 3]) }
        #expect(throws: CryptoError.self) { try SecretKey(hex: "abcd") }
        #expect(throws: CryptoError.self) { try SecretKey(hex: String(repeating: "zz", count: 32)) }
        #expect(throws: CryptoError.self) { try SecretKey(hex: key.exportHex() + "00") }
        #expect(throws: CryptoError.self) { try SecretKey(base64: "not base64 at all!") }
        #expect(throws: CryptoError.self) { try SecretKey(base64: "AAAA") }
    }
}
