import BackofficeAPI
import Crypto
import Foundation
import RPC
import ServiceRuntime
import Testing

/// The signed principal on its own: a round trip, and every way a value can be wrong.
@Suite(.timeLimit(.minutes(1)))
struct PrincipalSignerTests {
    static let unary = "backoffice.echo.Echo/Unary"

    static func alice() -> Auth.Principal {
        var principal = Auth.Principal()
        principal.subjectId = "u_alice"
        principal.kind = .staff
        principal.roles = ["support"]
        principal.permissions = ["orders.read", "orders.refund"]
        principal.sessionId = "s_1"
        principal.expiresAtUnixMs = 1_900_000_000_000
        principal.displayName = "Alice"
        return principal
    }

    @Test func roundTrip() throws {
        let signer = PrincipalSigner(key: .random())
        let value = signer.metadataValue(for: Self.alice(), method: Self.unary, validFor: .seconds(30))
        #expect(value.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }, "not URL-safe: \(value)")
        let principal = try signer.verify(value, method: Self.unary, now: Date())
        #expect(principal == Self.alice())
    }

    @Test func valuesOfEveryLengthAreTheStandardURLSafeEncoding() throws {
        // Display names of 0 to 40 characters give encodings of every length class (3n, 3n+1 and
        // 3n+2 bytes); each must be Foundation's base64 with the URL-safe alphabet and no padding,
        // and verify back to its principal.
        let signer = PrincipalSigner(key: .random())
        for length in 0...40 {
            var principal = Self.alice()
            principal.displayName = String(repeating: "é", count: length)
            let value = signer.metadataValue(for: principal, method: Self.unary, validFor: .seconds(30))
            #expect(Self.encode(try Self.decode(value)) == value, "length \(length)")
            #expect(try signer.verify(value, method: Self.unary, now: Date()) == principal)
        }
    }

    @Test func onlyTheCanonicalTextOfAValueVerifies() throws {
        // The last character of a value carries unused bits; setting one changes no byte that a
        // lenient decoder would read, but the value is no longer the one signed.
        let signer = PrincipalSigner(key: .random())
        for length in 0..<24 {
            var principal = Self.alice()
            principal.displayName = String(repeating: "a", count: length)  // every length class
            let value = signer.metadataValue(for: principal, method: Self.unary, validFor: .seconds(30))
            guard value.utf8.count % 4 != 0 else { continue }  // no unused bits to set
            var characters = Array(value.utf8)
            let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
            let last = alphabet.firstIndex(of: characters[characters.count - 1])!
            characters[characters.count - 1] = alphabet[last | 1]
            let spoiled = String(decoding: characters, as: UTF8.self)
            guard spoiled != value else { continue }
            let error = #expect(throws: RPCError.self) { _ = try signer.verify(spoiled, method: Self.unary, now: Date()) }
            #expect(error?.code == .unauthenticated)
            return
        }
        Issue.record("no value had a last character whose unused bits could be set")
    }

    @Test func twoSignaturesOfTheSameCallDiffer() {
        let signer = PrincipalSigner(key: .random())
        let first = signer.metadataValue(for: Self.alice(), method: Self.unary, validFor: .seconds(30))
        let second = signer.metadataValue(for: Self.alice(), method: Self.unary, validFor: .seconds(30))
        #expect(first != second)
    }

    /// Ways of spoiling a value; each must end in UNAUTHENTICATED.
    enum Spoiling: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case tamperedPrincipalBytes, tamperedMethodField, replayedOnAnotherMethod, wrongKey, expired
        case tooFarInTheFuture, garbageBase64, standardBase64Alphabet, truncated, empty, missingMac

        var testDescription: String { rawValue }
    }

    @Test(arguments: Spoiling.allCases)
    func spoiledValuesAreUnauthenticated(_ spoiling: Spoiling) throws {
        let signer = PrincipalSigner(key: .random())
        let now = Date()
        let good = signer.metadataValue(for: Self.alice(), method: Self.unary, validFor: .seconds(30), now: now)
        var method = Self.unary
        let value: String
        switch spoiling {
        case .tamperedPrincipalBytes:
            var signed = try Self.decode(good)
            var principal = Self.alice()
            principal.kind = .service
            signed.principal = principal.serializedBytes()
            value = Self.encode(signed)
        case .tamperedMethodField:
            var signed = try Self.decode(good)
            signed.method = "backoffice.echo.Echo/Expand"
            method = signed.method
            value = Self.encode(signed)
        case .replayedOnAnotherMethod:
            method = "backoffice.echo.Echo/Expand"
            value = good
        case .wrongKey:
            value = PrincipalSigner(key: .random()).metadataValue(for: Self.alice(), method: method, validFor: .seconds(30))
        case .expired:
            value = signer.metadataValue(
                for: Self.alice(), method: method, validFor: .seconds(30), now: now.addingTimeInterval(-31))
        case .tooFarInTheFuture:
            value = signer.metadataValue(for: Self.alice(), method: method, validFor: .seconds(11 * 60), now: now)
        case .garbageBase64:
            value = "not base64 at all!"
        case .standardBase64Alphabet:
            value = try Self.standardBase64Differing(signer: signer, now: now)
        case .truncated:
            value = String(good.dropLast(8))
        case .empty:
            value = ""
        case .missingMac:
            var signed = try Self.decode(good)
            signed.mac = []
            value = Self.encode(signed)
        }
        #expect(value != good || spoiling == .replayedOnAnotherMethod)
        let error = #expect(throws: RPCError.self) { _ = try signer.verify(value, method: method, now: now) }
        #expect(error?.code == .unauthenticated)
        #expect(error?.message.isEmpty == false)
    }

    @Test func validityWindowEdgesAreAccepted() throws {
        let signer = PrincipalSigner(key: .random())
        let now = Date()
        let atMost = signer.metadataValue(for: Self.alice(), method: Self.unary, validFor: .seconds(600), now: now)
        #expect(try signer.verify(atMost, method: Self.unary, now: now) == Self.alice())
        let later = signer.metadataValue(for: Self.alice(), method: Self.unary, validFor: .seconds(30), now: now)
        #expect(try signer.verify(later, method: Self.unary, now: now.addingTimeInterval(29)) == Self.alice())
    }

    @Test func forwardingOptionsCarryAValueSignedForTheMethod() throws {
        let signer = PrincipalSigner(key: .random())
        let options = CallOptions.forwarding(
            Self.alice(), method: Echo.EchoService.expand, signer: signer, timeout: .seconds(2),
            metadata: [Metadata.Keys.requestID: "r-1"])
        #expect(options.timeout == .seconds(2))
        #expect(options.metadata[Metadata.Keys.requestID] == "r-1")
        let value = try #require(options.metadata[PrincipalSigner.metadataKey])
        #expect(try signer.verify(value, method: "backoffice.echo.Echo/Expand", now: Date()) == Self.alice())
        #expect(throws: RPCError.self) { _ = try signer.verify(value, method: Self.unary, now: Date()) }
    }

    @Test func errorMessagesShowNoKeyOrValue() {
        let key = SecretKey.random()
        let signer = PrincipalSigner(key: key)
        let value = PrincipalSigner(key: .random()).metadataValue(for: Self.alice(), method: Self.unary, validFor: .seconds(30))
        let error = #expect(throws: RPCError.self) { _ = try signer.verify(value, method: Self.unary, now: Date()) }
        let message = error?.message ?? ""
        #expect(!message.contains(key.exportBase64()) && !message.contains(key.exportHex()))
        #expect(!message.contains(value) && !message.contains("u_alice"))
    }

    /// A signature in the standard base64 alphabet that really differs from its URL-safe form.
    ///
    /// A random signature's standard encoding sometimes has no `+`, `/` or padding, and then it
    /// is a valid URL-safe value too; drawing fresh signatures (boundedly) avoids that case.
    static func standardBase64Differing(signer: PrincipalSigner, now: Date) throws -> String {
        for _ in 0..<64 {
            let value = signer.metadataValue(for: alice(), method: unary, validFor: .seconds(30), now: now)
            let standard = Data(try decode(value).serializedBytes()).base64EncodedString()
            if standard.contains(where: { $0 == "+" || $0 == "/" || $0 == "=" }) { return standard }
        }
        Issue.record("64 signatures in a row had the same standard and URL-safe encodings")
        return ""
    }

    static func decode(_ value: String) throws -> Auth.SignedPrincipal {
        var text = value.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        text += String(repeating: "=", count: (4 - text.count % 4) % 4)
        let data = try #require(Data(base64Encoded: text))
        return try Auth.SignedPrincipal(serializedBytes: Array(data))
    }

    static func encode(_ signed: Auth.SignedPrincipal) -> String {
        Data(signed.serializedBytes()).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
