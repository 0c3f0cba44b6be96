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
        let value = signer.metadataValue(for: principal, method: Echo.EchoService.unary.fullName, validFor: .seconds(4))
        let options = CallOptions(timeout: .seconds(5), metadata: [PrincipalSigner.metadataKey: value])
        try await TrustedCallerInterceptorTests.withGuardedServer(signer: signer) { echo, _ in
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
            // (Four seconds leave room for a slow start on a loaded machine; the wait is bounded at 12 s.)
            for _ in 0..<120 where expired == nil {
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
