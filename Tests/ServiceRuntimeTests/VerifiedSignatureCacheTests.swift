import BackofficeAPI
import Crypto
import Foundation
import RPC
import ServiceRuntime
import Testing
import TestSupport

/// `TrustedCallerInterceptor` remembers values that verified; a remembered value must still be
/// refused for another method and once it has expired.
@Suite(.timeLimit(.minutes(1)))
struct VerifiedSignatureCacheTests {
    @Test func aRememberedSignatureIsAcceptedOnlyForItsMethodAndUntilItExpires() async throws {
        let signer = PrincipalSigner(key: SecretKey.random())
        var principal = Auth.Principal()
        principal.subjectId = "u_cached"
        try await TrustedCallerInterceptorTests.withGuardedServer(signer: signer) { echo, _ in
            // Signed once the server runs, so that a slow start does not eat the window.
            let value = signer.metadataValue(for: principal, method: Echo.EchoService.unary.fullName, validFor: .seconds(5))
            let options = CallOptions(timeout: .seconds(5), metadata: [PrincipalSigner.metadataKey: value])
            for _ in 0..<3 {
                let response = try await echo.unary(.with(), options: options)
                #expect(String(decoding: response.payload, as: UTF8.self) == "u_cached|u_cached")
            }
            let otherMethod = await #expect(throws: RPCError.self) {
                try await echo.expand(.with(repeat: 1), options: options) { _ in }
            }
            #expect(otherMethod?.code == .unauthenticated)
            // Once the signature's own expiry passes, the remembered value is refused too.
            var expired: RPCError?
            // (Five seconds leave room for a loaded machine; the wait is bounded at 15 s.)
            for _ in 0..<150 where expired == nil {
                try await Task.sleep(for: .milliseconds(100))
                do {
                    _ = try await echo.unary(.with(), options: options)
                } catch let error as RPCError {
                    expired = error
                }
            }
            #expect(expired?.code == .unauthenticated)
            #expect(expired?.message.contains("expired") == true)
        }
    }
}
