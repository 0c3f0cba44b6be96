import BackofficeAPI
import EchoService
import Foundation
import RPC
import Testing
import TestSupport

/// Relayed calls (`MethodHandler.relayUnary` and `RPCClient.relay`), the pair a proxy forwards
/// with: answers and error statuses passed on as the server sent them, a failed attempt retried
/// elsewhere, answers of the proxy's own, cancellation by the client and by the deadline,
/// interceptors, connections on another loop, a server that is down.
@Suite(.timeLimit(.minutes(1)))
struct RelayHandlerTests {
    /// Relays `Echo/Unary` to `first`, and after a failed attempt to `fallback` (when there is
    /// one), the way the gateway does; records what it saw in `probe`. A request whose payload is
    /// "answer here" is answered by the proxy itself, twice (the second answer must be ignored).
    struct RelayingEcho: RPCService {
        static var serviceDescriptor: ServiceDescriptor { Echo.EchoService.descriptor }
        let first: RPCClient
        let fallback: RPCClient?
        let probe: EventProbe
        /// The time the proxy gives the first attempt.
        var relayTimeout = Duration.seconds(40)

        var methodHandlers: [MethodHandler] {
            [
                .relayUnary(Echo.EchoService.unary.raw) { [first, fallback, probe, relayTimeout] call in
                    handle(call, first, fallback, probe, relayTimeout)
                }
            ]
        }

        private func handle(
            _ call: RelayedCall, _ first: RPCClient, _ fallback: RPCClient?, _ probe: EventProbe, _ relayTimeout: Duration
        ) {
            probe.record("handler-ran")
            call.onCancel { probe.record("proxy-cancelled") }
            if let request = try? Echo.EchoRequest(serializedBytes: call.request), request.payload == Array("answer here".utf8) {
                var response = Echo.EchoResponse()
                response.payload = Array("from the proxy".utf8)
                call.respond(response.serializedBytes())
                call.fail(RPCError(.internalError, "answered twice"))
                return
            }
            // A timeout of its own, by default longer than the tests' deadlines: then only the
            // relayed call's end can stop the forwarded attempt early.
            first.relay(call, as: Echo.EchoService.unary.raw, metadata: call.context.metadata, timeout: relayTimeout) { outcome in
                switch outcome {
                case .answered(let code):
                    probe.record("answered:\(code.name)")
                case .failed(let error):
                    probe.record("failed:\(error.code.name)")
                    guard let fallback, !call.isEnded else {
                        call.fail(error)
                        return
                    }
                    fallback.relay(call, as: Echo.EchoService.unary.raw, metadata: Metadata(), timeout: .seconds(40)) { outcome in
                        if case .failed(let error) = outcome { call.fail(error) }
                        probe.record("second attempt ended")
                    }
                }
            }
        }
    }

    /// Runs `body` with a client of a relaying proxy in front of `downstream` (a probing echo
    /// server by default). The proxy's client of the downstream server has a connection on each
    /// of the proxy's loops, or one connection on a loop of its own when `upstreamOnOwnLoop`;
    /// `firstAttemptFails` makes the first attempt go to a port nothing listens on, and
    /// `upstreamIsDown` every attempt.
    private func withProxy(
        interceptors: [any ServerInterceptor] = [], downstream service: (any RPCService)? = nil, upstreamOnOwnLoop: Bool = false,
        firstAttemptFails: Bool = false, upstreamIsDown: Bool = false, relayTimeout: Duration = .seconds(40),
        _ body: (Echo.EchoClient, _ proxyProbe: EventProbe, _ serverProbe: EventProbe) async throws -> Void
    ) async throws {
        let serverProbe = EventProbe()
        let proxyProbe = EventProbe()
        let down = try RawListener(accepting: false)
        let closed = down.address
        try await TestServer.with(services: [service ?? ProbeEchoProvider(probe: serverProbe)]) { _, downstream in
            let group = upstreamOnOwnLoop ? EventLoopGroup(threads: 1, name: "upstream") : .shared
            try await TestServer.withClient(downstream, group: group, configure: Self.upstream(ownLoop: upstreamOnOwnLoop)) { next in
                try await TestServer.withClient(closed, configure: Self.upstream(ownLoop: false)) { nowhere in
                    let proxy = RelayingEcho(
                        first: firstAttemptFails || upstreamIsDown ? nowhere : next, fallback: firstAttemptFails ? next : nil,
                        probe: proxyProbe, relayTimeout: relayTimeout)
                    try await TestServer.with(services: [proxy], configure: { $0.interceptors = interceptors }) { _, proxy in
                        try await TestServer.withClient(proxy) { client in
                            try await body(Echo.EchoClient(channel: client), proxyProbe, serverProbe)
                        }
                    }
                }
            }
        }
        withExtendedLifetime(down) {}  // the port stays down until here
    }

    private static func upstream(ownLoop: Bool) -> (inout RPCClient.Configuration) -> Void {
        { configuration in
            configuration.prefersCallersLoop = !ownLoop
            configuration.connections = ownLoop ? 1 : EventLoopGroup.shared.loops.count
        }
    }

    @Test(arguments: [false, true])
    func aRelayedCallAnswersWithTheServersResponse(upstreamOnOwnLoop: Bool) async throws {
        try await withProxy(upstreamOnOwnLoop: upstreamOnOwnLoop) { client, proxyProbe, serverProbe in
            let response = try await client.unary(.with(payload: Array("through".utf8)), options: CallOptions(timeout: .seconds(10)))
            #expect(response.payload == Array("through".utf8))
            #expect(proxyProbe.recorded.contains("handler-ran"))
            #expect(await proxyProbe.waitFor("answered:OK"))
            // Many calls at once on one connection, each with its own answer.
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        let payload = Array("call-\(index)".utf8)
                        return try await client.unary(.with(payload: payload), options: CallOptions(timeout: .seconds(10))).payload
                            == payload
                    }
                }
                for try await matched in group { #expect(matched) }
            }
            #expect(serverProbe.recorded.filter { $0 == "finished" }.count == 51)
        }
    }

    @Test(arguments: [false, true])
    func errorStatusesPassOnAsTheServerSentThem(upstreamOnOwnLoop: Bool) async throws {
        try await withProxy(downstream: EchoProvider(), upstreamOnOwnLoop: upstreamOnOwnLoop) { client, proxyProbe, _ in
            let error = await rpcError {
                _ = try await client.unary(
                    .with(failCode: .notFound, failMessage: "no such thing"), options: CallOptions(timeout: .seconds(10)))
            }
            #expect(error?.code == .notFound)
            #expect(error?.message == "no such thing")
            #expect(await proxyProbe.waitFor("answered:NOT_FOUND"))
            // UNAVAILABLE from the server fails the attempt instead: the proxy may try elsewhere
            // (this one has nowhere else and passes the failure on).
            let unavailable = await rpcError {
                _ = try await client.unary(
                    .with(failCode: .unavailable, failMessage: "draining"), options: CallOptions(timeout: .seconds(10)))
            }
            #expect(unavailable?.code == .unavailable)
            #expect(unavailable?.message == "draining")
            #expect(await proxyProbe.waitFor("failed:UNAVAILABLE"))
            // The connection still serves.
            let again = try await client.unary(.with(), options: CallOptions(timeout: .seconds(10)))
            #expect(again.payload == Array("hello".utf8))
        }
    }

    @Test func aFailedAttemptCanBeRelayedAgainElsewhere() async throws {
        try await withProxy(firstAttemptFails: true) { client, proxyProbe, serverProbe in
            let started = ContinuousClock.now
            let response = try await client.unary(.with(payload: [7]), options: CallOptions(timeout: .seconds(20)))
            #expect(response.payload == [7])
            #expect(proxyProbe.recorded.contains("failed:UNAVAILABLE"))
            #expect(await serverProbe.waitFor("finished"))
            #expect(ContinuousClock.now - started < .seconds(8), "the refused connection failed fast")
        }
    }

    @Test func theProxyCanAnswerItselfAndASecondAnswerIsIgnored() async throws {
        try await withProxy { client, proxyProbe, serverProbe in
            let response = try await client.unary(.with(payload: Array("answer here".utf8)), options: CallOptions(timeout: .seconds(10)))
            #expect(response.payload == Array("from the proxy".utf8))
            // The ignored second answer sent nothing stray: the connection still serves.
            let again = try await client.unary(.with(payload: [1]), options: CallOptions(timeout: .seconds(10)))
            #expect(again.payload == [1])
            #expect(!proxyProbe.recorded.contains("proxy-cancelled"))
            #expect(serverProbe.recorded.filter { $0 == "started" }.count == 1)
        }
    }

    @Test(arguments: [false, true])
    func aCancelledCallCancelsItsForwardedAttempt(upstreamOnOwnLoop: Bool) async throws {
        try await withProxy(upstreamOnOwnLoop: upstreamOnOwnLoop) { client, proxyProbe, serverProbe in
            let call = Task { try await client.unary(.with(delayMillis: 20_000), options: CallOptions(timeout: .seconds(30))) }
            #expect(await serverProbe.waitFor("started"))
            call.cancel()
            let error = await rpcError { _ = try await call.value }
            #expect(error?.code == .cancelled)
            #expect(await proxyProbe.waitFor("proxy-cancelled"))
            #expect(await proxyProbe.waitFor("failed:CANCELLED"))
            #expect(await serverProbe.waitFor("cancelled"), "the forwarded call kept running")
        }
    }

    @Test func theDeadlineCancelsTheForwardedAttempt() async throws {
        try await withProxy { client, proxyProbe, serverProbe in
            let started = ContinuousClock.now
            let error = await rpcError {
                _ = try await client.unary(.with(delayMillis: 20_000), options: CallOptions(timeout: .milliseconds(300)))
            }
            #expect(error?.code == .deadlineExceeded)
            // The 300 ms deadline, not the 20 s call (with slack for a loaded machine).
            #expect(ContinuousClock.now - started < .seconds(8))
            #expect(await proxyProbe.waitFor("proxy-cancelled"))
            #expect(await serverProbe.waitFor("cancelled"))
        }
    }

    @Test(arguments: [false, true])
    func theProxysOwnTimeoutEndsACallItsClientGaveLonger(upstreamOnOwnLoop: Bool) async throws {
        // The client sets no deadline; the proxy gives its attempt 300 ms. On the call's own loop
        // the attempt is the relayed call itself, whose deadline becomes the proxy's; on another
        // loop the attempt's client call has it. Either way: DEADLINE_EXCEEDED, the server told.
        try await withProxy(upstreamOnOwnLoop: upstreamOnOwnLoop, relayTimeout: .milliseconds(300)) { client, proxyProbe, serverProbe in
            // A first call has the proxy's connection to the server made: on one loop, the next
            // attempt is then opened at once as the relayed call itself.
            _ = try await client.unary(.with(payload: Array("first".utf8)))
            let started = ContinuousClock.now
            let error = await rpcError { _ = try await client.unary(.with(delayMillis: 20_000)) }
            #expect(error?.code == .deadlineExceeded)
            // Opened at once, the attempt had all 300 ms; waiting for a connection takes some off.
            let message = error?.message ?? "no error"
            #expect(upstreamOnOwnLoop ? message.hasPrefix("deadline of 0.") : message == "deadline of 0.3 seconds exceeded", "\(message)")
            #expect(ContinuousClock.now - started < .seconds(8))
            // The server was given the same 300 ms: whichever timer fires first ends the attempt,
            // the proxy's (the attempt failed) or the server's (its status is the answer).
            let ended: Set = ["failed:DEADLINE_EXCEEDED", "answered:DEADLINE_EXCEEDED"]
            #expect(await proxyProbe.waitFor(oneOf: ended), "\(proxyProbe.recorded)")
            #expect(proxyProbe.recorded.filter { $0.hasPrefix("failed:") || $0.hasPrefix("answered:") }.count == 2)
            #expect(await serverProbe.waitFor("cancelled"))
            // The connection serves the next call.
            let fine = try await client.unary(.with(payload: Array("after".utf8)), options: CallOptions(timeout: .seconds(10)))
            #expect(fine.payload == Array("after".utf8))
        }
    }

    @Test func aRelayedCallWithoutExactlyOneRequestIsRefusedAndNeverForwarded() async throws {
        // A client that half-closes without a request, or sends two: INVALID_ARGUMENT each, the
        // proxy's handler never runs for them, nothing reaches the server, and the same
        // connection's next call is relayed.
        let serverProbe = EventProbe()
        let proxyProbe = EventProbe()
        try await TestServer.with(services: [ProbeEchoProvider(probe: serverProbe)]) { _, downstream in
            try await TestServer.withClient(downstream, configure: Self.upstream(ownLoop: false)) { next in
                let proxy = RelayingEcho(first: next, fallback: nil, probe: proxyProbe)
                try await TestServer.with(services: [proxy]) { _, address in
                    let raw = try RawConnection(to: address)
                    try await raw.handshake()
                    let method = Echo.EchoService.unary.fullName
                    try await raw.sendCall(1, method: method)
                    try await raw.send(RawConnection.frame(type: RawConnection.FrameKind.halfClose, callID: 1))
                    let none = try RawConnection.status(of: try await raw.frame(ofType: RawConnection.FrameKind.status))
                    #expect(none.code == StatusCode.invalidArgument.rawValue)
                    #expect(none.message.contains("needs a request message"), "\(none.message)")
                    try await raw.sendCall(3, method: method)
                    try await raw.sendMessage(3, Echo.EchoRequest.with(), last: false)
                    try await raw.sendMessage(3, Echo.EchoRequest.with(), last: true)
                    let two = try RawConnection.status(of: try await raw.frame(ofType: RawConnection.FrameKind.status))
                    #expect(two.code == StatusCode.invalidArgument.rawValue)
                    #expect(two.message.contains("exactly one request message"), "\(two.message)")
                    try await raw.sendUnaryCall(5, method: method, request: Echo.EchoRequest.with(payload: [5]))
                    let answer = try await raw.frame(ofType: RawConnection.FrameKind.message)
                    #expect(answer.callID == 5)
                    #expect(try answer.payload.withUnsafeBytes { try Echo.EchoResponse(serializedBytes: $0) }.payload == [5])
                    let ok = try await raw.frame(ofType: RawConnection.FrameKind.status)
                    #expect(ok.callID == 5 && ok.payload.isEmpty)
                }
            }
        }
        #expect(proxyProbe.recorded.filter { $0 == "handler-ran" }.count == 1)
        #expect(serverProbe.recorded.filter { $0 == "started" }.count == 1)
    }

    /// Refuses calls without `authorization`; applies to every method unless told otherwise.
    struct RequireCredential: ServerInterceptor {
        let appliesToEcho: Bool
        func intercept(context: ServerContext, next: (ServerContext) async throws -> Void) async throws {
            guard context.metadata["authorization"] != nil else { throw RPCError(.unauthenticated, "no credential") }
            try await next(context)
        }
        func applies(to method: MethodDescriptor) -> Bool { appliesToEcho || method.service != Echo.EchoService.descriptor.name }
    }

    @Test func interceptorsThatApplyRunBeforeARelayedCall() async throws {
        try await withProxy(interceptors: [RequireCredential(appliesToEcho: true)]) { client, proxyProbe, serverProbe in
            let error = await rpcError { _ = try await client.unary(.with(), options: CallOptions(timeout: .seconds(10))) }
            #expect(error?.code == .unauthenticated)
            #expect(!proxyProbe.recorded.contains("handler-ran"))
            let response = try await client.unary(
                .with(payload: [1, 2]), options: CallOptions(timeout: .seconds(10), metadata: ["Authorization": "Bearer x"]))
            #expect(response.payload == [1, 2])
            // After the interceptors, cancellation still reaches the forwarded attempt.
            let call = Task {
                try await client.unary(
                    .with(delayMillis: 20_000),
                    options: CallOptions(timeout: .seconds(30), metadata: ["Authorization": "Bearer x", "request-id": "slow"]))
            }
            #expect(await serverProbe.waitFor("request-id:slow"))
            call.cancel()
            #expect(await rpcError { _ = try await call.value }?.code == .cancelled)
            #expect(await serverProbe.waitFor("cancelled"))
        }
        try await withProxy(interceptors: [RequireCredential(appliesToEcho: false)]) { client, _, _ in
            // Not for this method: the handler runs without it.
            let response = try await client.unary(.with(payload: [3]), options: CallOptions(timeout: .seconds(10)))
            #expect(response.payload == [3])
        }
    }

    /// Runs `body` with a client of a proxy that relays to a server played by hand
    /// (`playMisbehavingServer`, answering `calls` calls), and returns what the proxy saw. The
    /// proxy's connection and the upstream one share one loop when `sameLoop` (responses go on at
    /// once); otherwise they are on two loops (responses wait for their STATUS).
    private func withMisbehavingUpstream(
        answering calls: Int, sameLoop: Bool, _ body: (Echo.EchoClient) async throws -> Void
    ) async throws -> EventProbe {
        let listener = try RawListener()
        let server = Task { try await Self.playMisbehavingServer(listener, calls: calls) }
        let probe = EventProbe()
        let proxyLoop = EventLoopGroup(threads: 1, name: "proxy")
        let upstreamLoop = sameLoop ? proxyLoop : EventLoopGroup(threads: 1, name: "upstream")
        // The played server sends its preface from a task, which a loaded machine may run seconds
        // late: the default 5 s to connect would close the connection before it (seen in CI).
        let configure: (inout RPCClient.Configuration) -> Void = { configuration in
            configuration.connections = 1
            configuration.connectTimeout = .seconds(30)
        }
        try await TestServer.withClient(listener.address, group: upstreamLoop, configure: configure) { upstream in
            let proxy = RelayingEcho(first: upstream, fallback: nil, probe: probe)
            try await TestServer.with(services: [proxy], group: proxyLoop) { _, address in
                try await TestServer.withClient(address) { client in try await body(Echo.EchoClient(channel: client)) }
            }
        }
        try await server.value
        return probe
    }

    @Test(arguments: [false, true])
    func badAnswersFromTheServerFailTheRelayedCallWithInternal(sameLoop: Bool) async throws {
        // A server played by hand that answers a relayed call with two responses, with OK but no
        // response, or with a STATUS that does not decode: the client gets INTERNAL saying what
        // went wrong, and the next call is served. (On one loop, the first of two responses went
        // on at once, so that attempt counts as answered: the proxy must not try again.)
        let proxyProbe = try await withMisbehavingUpstream(answering: 4, sameLoop: sameLoop) { echo in
            let cases = [("two", "more than one response"), ("none", "OK but no response"), ("garbage", "undecodable STATUS")]
            for (payload, message) in cases {
                let error = await rpcError {
                    _ = try await echo.unary(.with(payload: Array(payload.utf8)), options: CallOptions(timeout: .seconds(10)))
                }
                #expect(error?.code == .internalError, "\(payload)")
                #expect(error?.message.contains(message) == true, "\(payload): \(error?.message ?? "no error")")
            }
            let fine = try await echo.unary(.with(payload: Array("fine".utf8)), options: CallOptions(timeout: .seconds(10)))
            #expect(fine.payload == Array("fine".utf8))
        }
        #expect(proxyProbe.recorded.filter { $0 == "failed:INTERNAL" }.count == (sameLoop ? 2 : 3))
        #expect(proxyProbe.recorded.filter { $0 == "answered:INTERNAL" }.count == (sameLoop ? 1 : 0))
    }

    @Test(arguments: [false, true])
    func anAttemptWhoseResponseWentOnIsNotTriedAgain(sameLoop: Bool) async throws {
        // The connection is lost after the response, before the STATUS; the call ends with
        // UNAVAILABLE. On one loop the response went to the client at once: the attempt counts as
        // answered (another server must not answer again). Otherwise nothing went, and the
        // attempt failed (the proxy may try elsewhere).
        let proxyProbe = try await withMisbehavingUpstream(answering: 1, sameLoop: sameLoop) { echo in
            let error = await rpcError {
                _ = try await echo.unary(.with(payload: Array("drop".utf8)), options: CallOptions(timeout: .seconds(10)))
            }
            #expect(error?.code == .unavailable)
        }
        #expect(await proxyProbe.waitFor(sameLoop ? "answered:UNAVAILABLE" : "failed:UNAVAILABLE"))
        #expect(proxyProbe.recorded.filter { $0.hasPrefix("answered:") || $0.hasPrefix("failed:") }.count == 1)
    }

    /// Accepts one connection and answers `calls` unary echo calls by the request's payload: "two"
    /// with two responses, "none" with OK alone, "garbage" with a truncated STATUS, "drop" with the
    /// response and then a closed connection, anything else properly.
    private static func playMisbehavingServer(_ listener: RawListener, calls: Int) async throws {
        let connection = try await listener.accept(timeout: 10)
        guard try await connection.readExactly(8, timeout: 10) == RawConnection.preface else { return }
        try await connection.send(RawConnection.preface)
        var answered = 0
        for _ in 0..<1000 where answered < calls {
            guard case .frame(let frame) = try await connection.readFrame(timeout: 10) else { return }
            guard frame.type == RawConnection.FrameKind.message, frame.flags & 1 != 0 else { continue }
            let request = try frame.payload.withUnsafeBytes { try Echo.EchoRequest(serializedBytes: $0) }
            var response = Echo.EchoResponse()
            response.payload = request.payload
            let message = RawConnection.frame(
                type: RawConnection.FrameKind.message, callID: frame.callID, payload: response.serializedBytes())
            let ok = RawConnection.frame(type: RawConnection.FrameKind.status, callID: frame.callID)
            switch String(decoding: request.payload, as: UTF8.self) {
            case "two": try await connection.send(message + message + ok)
            case "none": try await connection.send(ok)
            case "garbage":
                try await connection.send(
                    RawConnection.frame(type: RawConnection.FrameKind.status, callID: frame.callID, payload: [0x08, 0xFF]))
            case "drop":
                try await connection.send(message)
                connection.close()
            default: try await connection.send(message + ok)
            }
            answered += 1
        }
    }

    @Test func aServerThatIsDownFailsTheAttemptOnceAndFast() async throws {
        // A port nothing listens on: UNAVAILABLE, reported once, without waiting for a deadline.
        try await withProxy(upstreamIsDown: true) { client, proxyProbe, _ in
            let started = ContinuousClock.now
            let error = await rpcError { _ = try await client.unary(.with(), options: CallOptions(timeout: .seconds(30))) }
            #expect(error?.code == .unavailable)
            #expect(ContinuousClock.now - started < .seconds(8))
            #expect(proxyProbe.recorded.filter { $0.hasPrefix("failed:") } == ["failed:UNAVAILABLE"])
        }
    }
}
