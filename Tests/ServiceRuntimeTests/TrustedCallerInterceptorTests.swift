import BackofficeAPI
import Crypto
import Foundation
import RPC
import ServiceRuntime
import Testing
import TestSupport

/// `TrustedCallerInterceptor` in a real in-process server, and `--internal-key` in a real process.
@Suite(.timeLimit(.minutes(1)))
struct TrustedCallerInterceptorTests {
    /// Answers with who the call is for, as the handler's context and `ServerContext.current` see it.
    struct WhoAmI: Echo.EchoHandler {
        func unary(_ request: Echo.EchoRequest, context: ServerContext) async throws -> Echo.EchoResponse {
            var response = Echo.EchoResponse()
            let fromContext = context.principal?.subjectId ?? "nobody"
            let fromCurrent = ServerContext.current?.principal?.subjectId ?? "nobody"
            response.payload = Array("\(fromContext)|\(fromCurrent)".utf8)
            return response
        }
        func expand(_ request: Echo.EchoRequest, responses: ResponseWriter<Echo.EchoResponse>, context: ServerContext) async throws {
            var response = Echo.EchoResponse()
            response.payload = Array((context.principal?.subjectId ?? "nobody").utf8)
            try await responses.write(response)
        }
        func collect(_ requests: RequestStream<Echo.EchoRequest>, context: ServerContext) async throws -> Echo.EchoResponse { .init() }
    }

    static func withGuardedServer(
        signer: PrincipalSigner, _ body: @escaping (Echo.EchoClient, Health.HealthClient) async throws -> Void
    ) async throws {
        let health = HealthProvider(process: "test", metrics: MetricsRegistry())
        try await TestServer.with(
            services: [WhoAmI(), health],
            configure: { $0.interceptors = [TrustedCallerInterceptor(signer: signer)] }
        ) { _, address in
            try await TestServer.withClient(address) { client in
                try await body(Echo.EchoClient(channel: client), Health.HealthClient(channel: client))
            }
        }
    }

    @Test func unsignedCallsAreRefusedHealthChecksAreNot() async throws {
        try await Self.withGuardedServer(signer: PrincipalSigner(key: .random())) { echo, health in
            let error = await #expect(throws: RPCError.self) { _ = try await echo.unary(.with()) }
            #expect(error?.code == .unauthenticated)
            #expect(error?.message.hasPrefix("calls must come through the gateway") == true)
            let check = try await health.check(Health.CheckRequest())
            #expect(check.status == .serving)
        }
    }

    @Test func signedCallsReachTheHandlerWithThePrincipal() async throws {
        let signer = PrincipalSigner(key: .random())
        try await Self.withGuardedServer(signer: signer) { echo, _ in
            let options = CallOptions.forwarding(PrincipalSignerTests.alice(), method: Echo.EchoService.unary, signer: signer)
            let response = try await echo.unary(.with(), options: options)
            #expect(response.payload == Array("u_alice|u_alice".utf8))
        }
    }

    @Test func aSignatureForUnaryIsRefusedOnExpand() async throws {
        let signer = PrincipalSigner(key: .random())
        try await Self.withGuardedServer(signer: signer) { echo, _ in
            let options = CallOptions.forwarding(PrincipalSignerTests.alice(), method: Echo.EchoService.unary, signer: signer)
            let error = await #expect(throws: RPCError.self) {
                try await echo.expand(.with(), options: options) { _ in }
            }
            #expect(error?.code == .unauthenticated)
            let received = Locked<[String]>([])
            let right = CallOptions.forwarding(PrincipalSignerTests.alice(), method: Echo.EchoService.expand, signer: signer)
            try await echo.expand(.with(), options: right) { response in
                received.withLock { $0.append(String(decoding: response.payload, as: UTF8.self)) }
            }
            #expect(received.value == ["u_alice"])
        }
    }

    @Test func aSignatureWithAnotherKeyIsRefused() async throws {
        try await Self.withGuardedServer(signer: PrincipalSigner(key: .random())) { echo, _ in
            let other = PrincipalSigner(key: .random())
            let options = CallOptions.forwarding(PrincipalSignerTests.alice(), method: Echo.EchoService.unary, signer: other)
            let error = await #expect(throws: RPCError.self) { _ = try await echo.unary(.with(), options: options) }
            #expect(error?.code == .unauthenticated)
        }
    }
}
