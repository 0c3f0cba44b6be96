import Crypto
import Testing

@testable import SecurityService

@Suite("SessionTokens", .timeLimit(.minutes(1)))
struct SessionTokensTests {
    let tokens = SessionTokens(secret: SecretKey.random())

    @Test("tokens are unique, prefixed, 256-bit URL-safe base64")
    func shape() {
        var seen = Set<String>()
        for _ in 0..<1000 {
            let minted = tokens.mint()
            #expect(minted.token.hasPrefix("bos_"))
            #expect(minted.token.count == 47)  // 43 base64 characters carry 258 bits
            #expect(SessionTokens.isWellFormed(minted.token))
            seen.insert(minted.token)
        }
        #expect(seen.count == 1000)
    }

    @Test("the storage key differs from the token and is stable for one secret only")
    func storageKey() throws {
        let secret = SecretKey.random()
        let first = SessionTokens(secret: secret)
        let minted = first.mint()
        #expect(minted.storageKey != minted.token)
        #expect(!minted.storageKey.contains(minted.token.dropFirst(4)))
        #expect(minted.storageKey.count == 64)
        #expect(first.storageKey(for: minted.token) == minted.storageKey)
        let reloaded = SessionTokens(secret: try SecretKey(hex: secret.exportHex()))
        #expect(reloaded.storageKey(for: minted.token) == minted.storageKey)
        #expect(tokens.storageKey(for: minted.token) != minted.storageKey)
        #expect(!minted.description.contains(minted.token))
    }

    @Test("malformed tokens have no storage key")
    func malformed() {
        let token = tokens.mint().token
        let bad = [
            "", "bos_", String(token.dropLast()), token + "A", "bot_" + token.dropFirst(4),
            "bos_" + String(repeating: "+", count: 43), "Bearer " + token, String(token.dropLast()) + "é",
        ]
        for candidate in bad {
            #expect(tokens.storageKey(for: candidate) == nil, "\(candidate)")
        }
    }
}
