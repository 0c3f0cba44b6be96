import Foundation
import Testing

@testable import Crypto

@Suite("PasswordHasher")
struct PasswordHasherTests {
    let hasher = PasswordHasher(parameters: .testing)

    @Test("hash then verify succeeds; the hash is an Argon2id string")
    func hashAndVerify() throws {
        let encoded = try hasher.hash("correct horse battery staple")
        #expect(encoded.hasPrefix("$argon2id$"))
        #expect(encoded.contains("m=64,t=1"))
        #expect(hasher.verify("correct horse battery staple", against: encoded))
    }

    @Test("a wrong password is rejected")
    func wrongPassword() throws {
        let encoded = try hasher.hash("s3cret")
        #expect(!hasher.verify("s3cret ", against: encoded))
        #expect(!hasher.verify("S3cret", against: encoded))
        #expect(!hasher.verify("", against: encoded))
    }

    @Test("unicode and empty passwords work")
    func unusualPasswords() throws {
        for password in ["", "pässwörd 🔐 日本", String(repeating: "x", count: 10_000)] {
            let encoded = try hasher.hash(password)
            #expect(hasher.verify(password, against: encoded))
        }
        // Unicode is compared byte for byte: composed and decomposed é differ.
        let composed = try hasher.hash("caf\u{E9}")
        #expect(!hasher.verify("cafe\u{301}", against: composed))
    }

    @Test("malformed or truncated hash strings are rejected without crashing")
    func malformedHashes() throws {
        let encoded = try hasher.hash("password")
        let malformed = [
            "", "garbage", "$argon2id$", "$argon2id$v=19$", String(encoded.dropLast(10)), String(encoded.prefix(20)),
            encoded.replacingOccurrences(of: "$v=19$", with: "$v=99$"),
            encoded.replacingOccurrences(of: "argon2id", with: "argon2i"),
            encoded + "AAAA", encoded + "\u{0}", "$argon2id$v=19$m=64,t=1,p=1$!!!!$????",
            String(repeating: "$argon2id$", count: 50),
        ]
        for candidate in malformed {
            #expect(!hasher.verify("password", against: candidate), "accepted \(candidate)")
        }
        // Strings that are not parseable Argon2id hashes always need a rehash (a new hash).
        for candidate in ["", "garbage", "$argon2id$", "$argon2id$v=19$", encoded + "\u{0}", malformed[6], malformed[7]] {
            #expect(hasher.needsRehash(candidate), "\(candidate)")
        }
    }

    @Test("two hashes of one password differ (random salt)")
    func saltedHashes() throws {
        let first = try hasher.hash("same password")
        let second = try hasher.hash("same password")
        #expect(first != second)
        #expect(hasher.verify("same password", against: first))
        #expect(hasher.verify("same password", against: second))
    }

    @Test("needsRehash notices changed parameters")
    func needsRehash() throws {
        let encoded = try hasher.hash("password")
        #expect(!hasher.needsRehash(encoded))
        let stronger = PasswordHasher(parameters: .init(opsLimit: 2, memoryLimitBytes: 128 * 1024))
        #expect(stronger.needsRehash(encoded))
        // Verification still works with the old parameters, which the hash string records.
        #expect(stronger.verify("password", against: encoded))
        let rehashed = try stronger.hash("password")
        #expect(!stronger.needsRehash(rehashed))
        #expect(hasher.needsRehash(rehashed))
    }

    @Test("out-of-range parameters throw a CryptoError")
    func invalidParameters() {
        let broken = PasswordHasher(parameters: .init(opsLimit: 0, memoryLimitBytes: 1024))
        let error = #expect(throws: CryptoError.self) { try broken.hash("password") }
        #expect(error?.call == "crypto_pwhash_str_alg")
        #expect(error?.code == -1)
    }

    @Test("the default (interactive) parameters produce a verifiable hash; cost is reported")
    func defaultParameters() throws {
        let hasher = PasswordHasher()
        #expect(hasher.parameters == .interactive)
        #expect(hasher.parameters.opsLimit == 2)
        #expect(hasher.parameters.memoryLimitBytes == 64 * 1024 * 1024)
        let clock = ContinuousClock()
        var encoded = ""
        let cost = try clock.measure { encoded = try hasher.hash("production password") }
        print("PasswordHasher default cost: \(cost) per hash (\(hasher.parameters), Argon2id, 1 lane)")
        #expect(encoded.contains("m=65536,t=2,p=1"))
        #expect(hasher.verify("production password", against: encoded))
    }
}
