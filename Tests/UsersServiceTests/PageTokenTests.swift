import RPC
import Testing
import UsersService

/// Page tokens round-trip, and anything else is INVALID_ARGUMENT on `page_token`.
@Suite(.timeLimit(.minutes(1)))
struct PageTokenTests {
    @Test func aTokenRoundTripsForTheSameFilters() throws {
        let fingerprint = PageToken.fingerprint(of: ["customer", "", "ann", ""])
        let token = PageToken(createdAtUnixMs: 1_763_000_000_123, id: "u_abc", filterFingerprint: fingerprint)
        #expect(!token.encoded.contains("="))
        #expect(!token.encoded.contains("+"))
        #expect(try PageToken.decode(token.encoded, expectedFingerprint: fingerprint) == token)
    }

    @Test func fingerprintsDifferForDifferentFilters() {
        #expect(PageToken.fingerprint(of: ["a", "b"]) != PageToken.fingerprint(of: ["ab", ""]))
        #expect(PageToken.fingerprint(of: ["staff"]) == PageToken.fingerprint(of: ["staff"]))
    }

    @Test(arguments: ["", "%%%", "MnwxMnx1X2F8MA", "MXx4fHVfYXww", "bm90IGEgdG9rZW4", String(repeating: "A", count: 600)])
    func malformedTokensAreRefused(_ text: String) {
        #expect(throws: RPCError.self) { try PageToken.decode(text, expectedFingerprint: 0) }
        do {
            _ = try PageToken.decode(text, expectedFingerprint: 0)
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(error.fieldViolations.map(\.field) == ["page_token"])
        }
    }

    @Test func aTokenForOtherFiltersIsRefused() {
        let token = PageToken(createdAtUnixMs: 5, id: "u_x", filterFingerprint: PageToken.fingerprint(of: ["staff"]))
        #expect(throws: RPCError.self) {
            try PageToken.decode(token.encoded, expectedFingerprint: PageToken.fingerprint(of: ["customer"]))
        }
    }
}
