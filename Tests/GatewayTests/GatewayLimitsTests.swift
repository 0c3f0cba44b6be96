import BackofficeAPI
import Foundation
import RPC
import Testing
import TestSupport

/// The gateway's per-principal concurrency limit, its default deadline, and its access log, over
/// the real executables.
@Suite(.timeLimit(.minutes(1)))
struct GatewayLimitsTests {
    @Test func tooManyCallsInFlightForOnePrincipalAreRefused() async throws {
        try await GatewayFixture.with(gatewayArguments: ["--max-calls-per-principal", "2"]) { fixture in
            let options = GatewayFixture.bearer("tok-user")
            // Two slow calls that stay in flight far longer than a loaded machine needs to start
            // them. One refused because a probe below held a slot tries again (bounded), so both
            // end up in flight.
            let slow = (0..<2).map { _ in
                Task {
                    var outcome: RPCError?
                    for _ in 0..<500 {
                        outcome = await rpcError {
                            _ = try await fixture.echoClient.unary(.with(delayMillis: 20_000), options: options)
                        }
                        guard outcome?.code == .resourceExhausted, !Task.isCancelled else { break }
                        try? await Task.sleep(for: .milliseconds(5))
                    }
                    return outcome
                }
            }
            // Once both are in flight, a third call by the same principal is refused at once.
            var refused: RPCError?
            for _ in 0..<250 where refused == nil {
                try await Task.sleep(for: .milliseconds(20))
                refused = await rpcError { _ = try await fixture.echoClient.unary(.with(), options: options) }
            }
            #expect(refused?.code == .resourceExhausted)
            #expect(refused?.message == "too many concurrent calls by one caller (limit 2)")
            #expect(refused?.metadata[Metadata.Keys.retryAfterMillis] != nil)
            // Another principal is not affected.
            _ = try await fixture.echoClient.unary(.with(), options: GatewayFixture.bearer("tok-auditor"))
            // The slow calls were still running: only now are they given up.
            for call in slow { call.cancel() }
            for call in slow {
                let outcome = await call.value
                #expect(outcome?.code != .resourceExhausted, "\(String(describing: outcome))")
            }
        }
    }

    @Test func aFrameOverTheGatewaysMaximumClosesThatConnectionOnly() async throws {
        try await GatewayFixture.with(gatewayArguments: ["--max-frame-size", "64KiB"]) { fixture in
            let raw = try RawConnection(to: fixture.gateway.address)
            try await raw.handshake()
            try await raw.send(RawConnection.frame(type: RawConnection.FrameKind.message, callID: 1, announcedLength: 1 << 20))
            let goAway = try RawConnection.goAway(of: try await raw.frame(ofType: RawConnection.FrameKind.goAway))
            #expect(goAway.code == StatusCode.resourceExhausted.rawValue)
            #expect(try await raw.waitForClose())
            let response = try await fixture.echoClient.unary(.with(payload: [8]), options: GatewayFixture.bearer("tok-user"))
            #expect(response.payload == [8])
        }
    }

    @Test func callsWithoutADeadlineGetTheDefaultOne() async throws {
        try await GatewayFixture.with(gatewayArguments: ["--default-deadline", "200ms"]) { fixture in
            let started = ContinuousClock.now
            let error = await rpcError {
                _ = try await fixture.echoClient.unary(.with(delayMillis: 20_000), options: GatewayFixture.bearer("tok-user", timeout: nil))
            }
            #expect(error?.code == .deadlineExceeded)
            // The 200 ms default, not the 20 s call (with slack for a loaded machine).
            #expect(ContinuousClock.now - started < .seconds(8))
        }
    }

    @Test func everyCallHasOneAccessLogLineWithItsPrincipal() async throws {
        try await GatewayFixture.with { fixture in
            var options = GatewayFixture.bearer("tok-user")
            options.metadata[Metadata.Keys.requestID] = "req-access-log-1"
            _ = try await fixture.echoClient.unary(.with(), options: options)
            let logged = await GatewayFixture.eventually {
                fixture.gateway.standardError.split(separator: "\n").contains { line in
                    line.contains("\"request_id\":\"req-access-log-1\"") && line.contains("\"principal\":\"u_plain\"")
                        && line.contains("\"method\":\"backoffice.echo.Echo/Unary\"") && line.contains("\"code\":\"OK\"")
                        && line.contains("latency_us")
                }
            }
            #expect(logged, "\(fixture.gateway.standardError)")
        }
    }
}
