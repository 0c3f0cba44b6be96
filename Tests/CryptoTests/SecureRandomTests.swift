import Testing

@testable import Crypto

@Suite("SecureRandom")
struct SecureRandomTests {
    static let urlSafeAlphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

    @Test("10,000 tokens are unique, 43 characters of the URL-safe alphabet, no padding")
    func tokens() {
        var seen = Set<String>()
        for _ in 0..<10_000 {
            let token = SecureRandom.token()
            #expect(token.count == 43)  // 32 bytes = 256 bits, unpadded base64
            seen.insert(token)
        }
        #expect(seen.count == 10_000)
        #expect(seen.allSatisfy { $0.allSatisfy(Self.urlSafeAlphabet.contains) })
    }

    @Test("token length follows byteCount")
    func tokenLengths() {
        #expect(SecureRandom.token(byteCount: 16).count == 22)
        #expect(SecureRandom.token(byteCount: 1).count == 2)
        #expect(SecureRandom.token(byteCount: 64).count == 86)
        #expect(SecureRandom.defaultTokenByteCount * 8 >= 256)
    }

    @Test("bytes have the requested length and vary")
    func bytes() {
        #expect(SecureRandom.bytes(0) == [])
        let first = SecureRandom.bytes(32)
        let second = SecureRandom.bytes(32)
        #expect(first.count == 32)
        #expect(first != second)
        #expect((0..<1000).allSatisfy { _ in SecureRandom.uniform(10) < 10 })
    }
}
