import Crypto
import Testing

@testable import SecurityService

@Suite("ApiKeys", .timeLimit(.minutes(1)))
struct ApiKeysTests {
    let keys = ApiKeys(secret: SecretKey.random())

    @Test("minted keys are unique, prefixed and parse back to their id")
    func mintAndParse() throws {
        var ids = Set<String>()
        var all = Set<String>()
        for _ in 0..<500 {
            let minted = keys.mint()
            #expect(minted.key.hasPrefix("boa_\(minted.id)_"))
            #expect(minted.key.count == ApiKeys.keyLength)
            #expect(minted.id.count == 16)
            let parsed = try #require(ApiKeys.parse(minted.key))
            #expect(parsed.id == minted.id)
            #expect(keys.storageHash(of: parsed) == minted.storageHash)
            #expect(minted.storageHash != minted.key && minted.storageHash.count == 64)
            ids.insert(minted.id)
            all.insert(minted.key)
        }
        #expect(ids.count == 500 && all.count == 500)
    }

    @Test("verification accepts the key and refuses a changed secret or another server secret")
    func verify() throws {
        let minted = keys.mint()
        let parsed = try #require(ApiKeys.parse(minted.key))
        #expect(keys.verify(parsed, storedHash: minted.storageHash))
        let last = minted.key.last == "A" ? "B" : "A"
        let tampered = try #require(ApiKeys.parse(String(minted.key.dropLast()) + last))
        #expect(tampered.id == parsed.id)
        #expect(!keys.verify(tampered, storedHash: minted.storageHash))
        #expect(!ApiKeys(secret: SecretKey.random()).verify(parsed, storedHash: minted.storageHash))
        #expect(!keys.verify(parsed, storedHash: ""))
    }

    @Test("malformed keys do not parse")
    func malformed() {
        let key = keys.mint().key
        let secret = String(key.suffix(43))
        let bad = [
            "", "boa_", key + "A", String(key.dropLast()), "bos_" + key.dropFirst(4),
            "boa_0123456789ABCDEF_" + secret,  // upper-case hex id
            "boa_0123456789abcdeg_" + secret,  // not hex
            "boa_0123456789abcdef-" + secret,  // wrong separator
            "boa_0123456789abcdef_" + String(secret.dropLast()) + "/",  // not URL-safe base64
            "boa_0123456789abcdef_" + String(secret.dropLast()) + "é",
            "ApiKey " + key,
        ]
        for candidate in bad {
            #expect(ApiKeys.parse(candidate) == nil, "\(candidate)")
        }
        #expect(ApiKeys.parse("boa_0123456789abcdef_" + secret)?.id == "0123456789abcdef")
    }

    @Test("descriptions never show the secret")
    func redaction() throws {
        let minted = keys.mint()
        let secret = String(minted.key.suffix(43))
        #expect(!minted.description.contains(secret))
        #expect(!(try #require(ApiKeys.parse(minted.key))).description.contains(secret))
        #expect(minted.description.contains(minted.id))
    }
}
