import AccessControl
import BackofficeAPI
import Crypto
import Foundation
import Glibc
import RPC
import ServiceRuntime
import Testing
import TestSupport

/// Every bad input the gateway must refuse, one test each, over real processes: the gateway and
/// echo executables, with the security service faked in this process.
@Suite(.timeLimit(.minutes(1)))
struct GatewayBadInputTests {
    @Test func noTokenIsUnauthenticatedAndNeverReachesSecurityOrTheService() async throws {
        try await GatewayFixture.with { fixture in
            let error = await rpcError { _ = try await fixture.echoClient.unary(.with(), options: CallOptions(timeout: .seconds(5))) }
            #expect(error?.code == .unauthenticated)
            #expect(error?.message.contains("Bearer") == true)
            #expect(fixture.fake.authentications == 0)
        }
    }

    @Test func badTokenIsUnauthenticated() async throws {
        try await GatewayFixture.with { fixture in
            let error = await rpcError { _ = try await fixture.echoClient.unary(.with(), options: GatewayFixture.bearer("tok-nonsense")) }
            #expect(error?.code == .unauthenticated)
            #expect(error?.message == "the credential is not valid (unknown, expired or revoked)")
            #expect(fixture.fake.authentications == 1)
            // The gateway asked as its own service principal, signed with the internal key.
            #expect(fixture.fake.seen.first?.principal?.subjectId == "service:backoffice-gateway")
        }
    }

    @Test func malformedAuthorizationIsUnauthenticated() async throws {
        try await GatewayFixture.with { fixture in
            let options = CallOptions(timeout: .seconds(5), metadata: [Metadata.Keys.authorization: "Basic dXNlcjpwdw=="])
            let error = await rpcError { _ = try await fixture.echoClient.unary(.with(), options: options) }
            #expect(error?.code == .unauthenticated)
            #expect(fixture.fake.authentications == 0)
        }
    }

    @Test func expiredTokenIsUnauthenticated() async throws {
        try await GatewayFixture.with { fixture in
            fixture.fake.accept("tok-expired", as: TestPrincipals.make("u_expired", expiresInMs: -1000))
            let error = await rpcError { _ = try await fixture.echoClient.unary(.with(), options: GatewayFixture.bearer("tok-expired")) }
            #expect(error?.code == .unauthenticated)
        }
    }

    @Test func tokenOfADeactivatedUserStopsWorkingWithinOneSecond() async throws {
        try await GatewayFixture.with { fixture in
            // The service allows 5 s of caching; the gateway caps it at 1 s.
            fixture.fake.accept("tok-soon-deactivated", as: TestPrincipals.make("u_leaving"), cacheForMs: 5000)
            let first = try await fixture.echoClient.unary(.with(payload: [1]), options: GatewayFixture.bearer("tok-soon-deactivated"))
            #expect(first.payload == [1])
            fixture.fake.revoke("tok-soon-deactivated")
            // The gateway caches for at most 1 s (the service asked for 5 s): no call sent later
            // gets through.
            let stale = await GatewayFixture.staleCredential(since: ContinuousClock.now) {
                await rpcError {
                    _ = try await fixture.echoClient.unary(.with(), options: GatewayFixture.bearer("tok-soon-deactivated"))
                }?.code
            }
            #expect(stale.refused)
            #expect(stale.lateSuccesses == 0)
        }
    }

    @Test func missingPermissionIsPermissionDeniedNamingIt() async throws {
        try await GatewayFixture.with { fixture in
            let audit = Audit.AuditClient(channel: fixture.client)
            let error = await rpcError { _ = try await audit.query(Audit.QueryRequest(), options: GatewayFixture.bearer("tok-user")) }
            #expect(error?.code == .permissionDenied)
            #expect(error?.message == "backoffice.audit.Audit/Query requires the permission audit.read")
            #expect(!fixture.fake.seen.contains { $0.method == Audit.AuditService.query.fullName })
            // The auditor holds it.
            _ = try await audit.query(Audit.QueryRequest(), options: GatewayFixture.bearer("tok-auditor"))
            #expect(fixture.fake.seen.contains { $0.method == Audit.AuditService.query.fullName })
        }
    }

    @Test func aMethodWithoutAnAccessRuleIsDeniedAndAnUnknownServiceIsUnimplemented() async throws {
        try await GatewayFixture.with { fixture in
            let unlisted = MethodDescriptor(
                service: "backoffice.echo.Echo", name: "Unlisted", kind: .unary, requestType: RawMessage.self,
                responseType: RawMessage.self)
            let denied = await rpcError {
                let _: RawMessage = try await fixture.client.unary(unlisted, RawMessage(), options: GatewayFixture.bearer("tok-internal"))
            }
            #expect(denied?.code == .permissionDenied)
            #expect(denied?.message == "backoffice.echo.Echo/Unlisted has no access rule: denied by default")

            let nowhere = MethodDescriptor(
                service: "backoffice.nowhere.Nothing", name: "Call", kind: .unary, requestType: RawMessage.self,
                responseType: RawMessage.self)
            let unknown = await rpcError {
                let _: RawMessage = try await fixture.client.unary(nowhere, RawMessage(), options: GatewayFixture.bearer("tok-internal"))
            }
            #expect(unknown?.code == .unimplemented)
            #expect(fixture.fake.authentications == 0)
        }
    }

    @Test func theGatewaysOwnMetricsFollowThePolicyAndItsHealthCheckIsPublic() async throws {
        try await GatewayFixture.with { fixture in
            let health = Health.HealthClient(channel: fixture.client)
            let check = try await health.check(Health.CheckRequest(), options: CallOptions(timeout: .seconds(5)))
            #expect(check.process == "backoffice-gateway")
            let anonymous = await rpcError {
                _ = try await health.metrics(Health.MetricsRequest(), options: CallOptions(timeout: .seconds(5)))
            }
            #expect(anonymous?.code == .unauthenticated)
            let withoutPermission = await rpcError {
                _ = try await health.metrics(Health.MetricsRequest(), options: GatewayFixture.bearer("tok-user"))
            }
            #expect(withoutPermission?.code == .permissionDenied)
            #expect(withoutPermission?.message == "backoffice.health.Health/Metrics requires the permission security.read")
        }
    }

    @Test func forgedPrincipalStraightToAServiceIsUnauthenticatedAndStrippedAtTheGateway() async throws {
        try await GatewayFixture.with { fixture in
            // Signed with another key, sent straight to echo.
            let forged = PrincipalSigner(key: SecretKey.random()).metadataValue(
                for: TestPrincipals.internalProgram, method: Echo.EchoService.unary.fullName, validFor: .seconds(60))
            let direct = RPCClient(target: fixture.echo.address)
            let error = await rpcError {
                _ = try await Echo.EchoClient(channel: direct).unary(
                    .with(), options: CallOptions(timeout: .seconds(5), metadata: [PrincipalSigner.metadataKey: forged]))
            }
            await direct.close()
            #expect(error?.code == .unauthenticated)
            #expect(error?.message.hasPrefix("calls must come through the gateway") == true)

            // Sent through the gateway with a real credential, the forged entry and a forged client
            // address are replaced by the gateway's own.
            var metadata = Metadata()
            metadata[PrincipalSigner.metadataKey] = forged
            metadata[SuiteMetadata.clientAddress] = "6.6.6.6:666"
            _ = try await Audit.AuditClient(channel: fixture.client).query(
                Audit.QueryRequest(), options: GatewayFixture.bearer("tok-auditor", metadata: metadata))
            let seen = try #require(fixture.fake.seen.last { $0.method == Audit.AuditService.query.fullName })
            #expect(seen.principal?.subjectId == "u_auditor")
            #expect(seen.clientAddress?.hasPrefix("127.0.0.1:") == true)
        }
    }

    @Test func aFloodFromOneCallerIsLimitedWhileOthersAreServed() async throws {
        // A slow refill (2 per second) keeps the count meaningful however slowly a loaded machine
        // sends the 60 calls: at most 20 + 2 per elapsed second can succeed.
        try await GatewayFixture.with(gatewayArguments: ["--principal-rate", "2", "--principal-burst", "20"]) { fixture in
            var exhausted: [RPCError] = []
            for _ in 0..<60 {
                if let error = await rpcError({
                    _ = try await fixture.echoClient.unary(.with(), options: GatewayFixture.bearer("tok-user"))
                }) {
                    exhausted.append(error)
                }
            }
            #expect(exhausted.count >= 20)
            #expect(exhausted.allSatisfy { $0.code == .resourceExhausted })
            let retryAfter = exhausted.first.flatMap { $0.metadata[Metadata.Keys.retryAfterMillis] }.flatMap { Int($0) }
            #expect(retryAfter != nil && retryAfter! > 0 && retryAfter! <= 1000)
            // Another caller from the same address is still served.
            let other = try await fixture.echoClient.unary(.with(payload: [9]), options: GatewayFixture.bearer("tok-auditor"))
            #expect(other.payload == [9])
        }
    }

    @Test func aDeadlineOfTenDaysIsRefused() async throws {
        try await GatewayFixture.with { fixture in
            let error = await rpcError {
                _ = try await fixture.echoClient.unary(.with(), options: GatewayFixture.bearer("tok-user", timeout: .seconds(864_000)))
            }
            #expect(error?.code == .invalidArgument)
            #expect(error?.fieldViolations.map(\.field) == ["timeout_micros"])
            #expect(fixture.fake.authentications == 0)
        }
    }

    /// Kills echo in the middle of a stream, checks how fast the call and the next one fail, and
    /// restarts echo on the same port. The 100 ms bound is checked on the best of up to five
    /// rounds (the test process itself may be descheduled on a loaded machine); every round must
    /// still fail far below the calls' deadlines (20 s and 10 s): within 3 s.
    @Test func aServiceKilledMidCallFailsFastAndRecoversAfterARestart() async throws {
        try await GatewayFixture.with { fixture in
            let port = fixture.echo.address.port
            var bestMidCall = Duration.seconds(60)
            var bestWhileDown = Duration.seconds(60)
            for _ in 0..<5 where bestMidCall >= .milliseconds(100) || bestWhileDown >= .milliseconds(100) {
                // A stream in flight. Right after a restart a pooled connection may still be
                // reconnecting, and a call on it fails before streaming: such a call is started again.
                var call: Task<RPCError?, Never>?
                for _ in 0..<10 {
                    let started = Locked(false)
                    let finished = Locked(false)
                    let attempt = Task {
                        let outcome = await rpcError {
                            try await fixture.echoClient.expand(
                                .with(repeat: 1000, delayMillis: 10), options: GatewayFixture.bearer("tok-user", timeout: .seconds(20))
                            ) { _ in started.withLock { $0 = true } }
                        }
                        finished.withLock { $0 = true }
                        return outcome
                    }
                    _ = await GatewayFixture.eventually { started.withLock { $0 } || finished.withLock { $0 } }
                    if started.withLock({ $0 }) {
                        call = attempt
                        break
                    }
                    _ = await attempt.value
                }
                guard let call else {
                    Issue.record("no stream could be started through the gateway")
                    return
                }
                fixture.echo.signal(SIGKILL)
                let killedAt = ContinuousClock.now
                let error = await call.value
                let midCall = ContinuousClock.now - killedAt
                #expect(error?.code == .unavailable)
                #expect(midCall < .seconds(3))
                bestMidCall = min(bestMidCall, midCall)
                _ = await fixture.echo.waitForExit(timeout: 5)

                // Down: calls fail at once, not after their deadline.
                let beforeDown = ContinuousClock.now
                let down = await rpcError {
                    _ = try await fixture.echoClient.unary(.with(), options: GatewayFixture.bearer("tok-user", timeout: .seconds(10)))
                }
                let whileDown = ContinuousClock.now - beforeDown
                #expect(down?.code == .unavailable)
                #expect(whileDown < .seconds(3))
                bestWhileDown = min(bestWhileDown, whileDown)

                // Restarted on the same port: back in rotation.
                fixture.echo = try await ServiceProcess(
                    "backoffice-echo", arguments: ["--internal-key", fixture.key.exportHex(), "--listen", "127.0.0.1:\(port)"])
                let recovered = await GatewayFixture.eventually(within: 5) {
                    (try? await fixture.echoClient.unary(.with(payload: [3]), options: GatewayFixture.bearer("tok-user")))?.payload == [3]
                }
                #expect(recovered)
            }
            #expect(bestMidCall < .milliseconds(100))
            #expect(bestWhileDown < .milliseconds(100))
        }
    }
}
