import BackofficeAPI
import Foundation
import RPC
import Testing
import TestSupport

/// Deadlines stop work on the server and propagate downstream; cancelled callers stop it too.
@Suite(.timeLimit(.minutes(1)))
struct DeadlineAndCancellationTests {
    @Test func deadlineExceededStopsTheServerHandler() async throws {
        let probe = EventProbe()
        try await TestServer.with(services: [ProbeEchoProvider(probe: probe)]) { _, address in
            try await TestServer.withClient(address) { client in
                let started = Date()
                let error = await #expect(throws: RPCError.self) {
                    _ = try await Echo.EchoClient(channel: client).unary(
                        .with(delayMillis: 10_000), options: CallOptions(timeout: .milliseconds(200)))
                }
                #expect(error?.code == .deadlineExceeded)
                // The 200 ms deadline, not the 10 s handler (with slack for a loaded machine).
                #expect(Date().timeIntervalSince(started) < 5)
                #expect(await probe.waitFor("cancelled"), "the server handler kept running past the deadline")
                #expect(!probe.recorded.contains("finished"))
            }
        }
    }

    @Test func serverEnforcesTheDeadlineItself() async throws {
        // A raw client that does not enforce its own deadline still gets DEADLINE_EXCEEDED.
        let probe = EventProbe()
        try await TestServer.with(services: [ProbeEchoProvider(probe: probe)]) { _, address in
            let raw = try RawConnection(to: address)
            try await raw.handshake()
            try await raw.sendUnaryCall(
                1, method: "backoffice.echo.Echo/Unary", request: Echo.EchoRequest.with(delayMillis: 10_000), timeoutMicros: 150_000)
            let frame = try await raw.frame(ofType: RawConnection.FrameKind.status, timeout: 3)
            #expect(frame.callID == 1)
            #expect(try RawConnection.status(of: frame).code == StatusCode.deadlineExceeded.rawValue)
            #expect(await probe.waitFor("cancelled"))
        }
    }

    @Test func aLaterCallWithAnEarlierDeadlineExpiresOnTimeOnBothSides() async throws {
        // One timer serves all the deadlines of a connection: a call arriving with a deadline
        // earlier than those already waiting must still end at its own.
        let probe = EventProbe()
        try await TestServer.with(services: [ProbeEchoProvider(probe: probe)]) { _, address in
            // The server's side, from a raw client that does not enforce deadlines itself.
            let raw = try RawConnection(to: address)
            try await raw.handshake()
            let slow = Echo.EchoRequest.with(delayMillis: 10_000)
            try await raw.sendUnaryCall(1, method: "backoffice.echo.Echo/Unary", request: slow, timeoutMicros: 20_000_000)
            try await raw.sendUnaryCall(3, method: "backoffice.echo.Echo/Unary", request: slow, timeoutMicros: 150_000)
            let frame = try await raw.frame(ofType: RawConnection.FrameKind.status, timeout: 3)
            #expect(frame.callID == 3)
            #expect(try RawConnection.status(of: frame).code == StatusCode.deadlineExceeded.rawValue)

            // The client's side: one connection, the long call first.
            try await TestServer.withClient(address) { client in
                let echo = Echo.EchoClient(channel: client)
                let long = Task { try await echo.unary(slow, options: CallOptions(timeout: .seconds(20))) }
                defer { long.cancel() }
                try await Task.sleep(for: .milliseconds(50))
                let started = Date()
                let error = await #expect(throws: RPCError.self) {
                    _ = try await echo.unary(slow, options: CallOptions(timeout: .milliseconds(200)))
                }
                #expect(error?.code == .deadlineExceeded)
                #expect(Date().timeIntervalSince(started) < 5)
            }
        }
    }

    @Test func deadlinePropagatesToDownstreamCalls() async throws {
        let probe = EventProbe()
        try await TestServer.with(services: [ProbeEchoProvider(probe: probe)]) { _, downstream in
            try await TestServer.withClient(downstream) { downstreamClient in
                /// Forwards every call downstream, passing no options: the deadline must flow by itself.
                struct Forwarder: Echo.EchoHandler {
                    let next: Echo.EchoClient
                    func unary(_ request: Echo.EchoRequest, context: ServerContext) async throws -> Echo.EchoResponse {
                        try await Task.sleep(for: .milliseconds(100))
                        return try await next.unary(request)
                    }
                    func expand(
                        _ request: Echo.EchoRequest, responses: ResponseWriter<Echo.EchoResponse>, context: ServerContext
                    ) async throws {}
                    func collect(_ requests: RequestStream<Echo.EchoRequest>, context: ServerContext) async throws -> Echo.EchoResponse {
                        .init()
                    }
                }
                let forwarder = Forwarder(next: Echo.EchoClient(channel: downstreamClient))
                try await TestServer.with(services: [forwarder]) { _, front in
                    try await TestServer.withClient(front) { client in
                        _ = try await Echo.EchoClient(channel: client).unary(
                            .with(), options: CallOptions(timeout: .milliseconds(1000), metadata: ["request-id": "trace-7"]))
                    }
                }
            }
        }
        let remaining = probe.recorded.compactMap { $0.hasPrefix("remaining-ms:") ? Int($0.dropFirst(13)) : nil }
        let millis = try #require(remaining.first, "downstream saw no deadline: \(probe.recorded)")
        #expect(millis <= 900 && millis > 100, "downstream had \(millis) ms left")
        #expect(probe.recorded.contains("request-id:trace-7"))
    }

    @Test func cancellingTheCallerStopsTheServerHandler() async throws {
        let probe = EventProbe()
        try await TestServer.with(services: [ProbeEchoProvider(probe: probe)]) { _, address in
            try await TestServer.withClient(address) { client in
                let echo = Echo.EchoClient(channel: client)
                let call = Task { try await echo.unary(.with(delayMillis: 10_000)) }
                #expect(await probe.waitFor("started"))
                call.cancel()
                let result = await call.result
                #expect(throws: RPCError.self) { try result.get() }
                #expect(await probe.waitFor("cancelled"), "the server handler was not cancelled")
                // The connection still serves other calls.
                let answer = try await echo.unary(.with(payload: [9]))
                #expect(answer.payload == [9])
            }
        }
    }

    @Test func rawCancelFrameStopsTheHandlerAndSendsNothingMore() async throws {
        let probe = EventProbe()
        try await TestServer.with(services: [ProbeEchoProvider(probe: probe)]) { _, address in
            let raw = try await RawConnection.withSlowCallInFlight(to: address, probe: probe)
            try await raw.send(RawConnection.frame(type: RawConnection.FrameKind.cancel, callID: 1))
            #expect(await probe.waitFor("cancelled"))
            let observed = try await raw.readFrame(timeout: 0.3)
            #expect(observed == .timedOut)
        }
    }
}
