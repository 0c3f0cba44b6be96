import BackofficeAPI
import EchoService
import Foundation
import Synchronization
import Testing
import TestSupport

@testable import RPC

/// Graceful shutdown, idle timeout, keepalive and reconnection.
@Suite(.timeLimit(.minutes(1)))
struct ConnectionLifecycleTests {
    @Test func gracefulShutdownDrainsCallsInFlightAndRefusesNewOnes() async throws {
        let probe = EventProbe()
        let server = RPCServer(services: [ProbeEchoProvider(probe: probe)])
        let address = try await server.start()
        try await TestServer.withClient(address) { client in
            let echo = Echo.EchoClient(channel: client)
            let slow = Task { try await echo.unary(.with(payload: [1], delayMillis: 400)) }
            #expect(await probe.waitFor("started"))
            let shutdownStarted = Date()
            let shutdown = Task { await server.shutdown() }
            // The call in flight completes normally.
            let answer = try await slow.value
            #expect(answer.payload == [1])
            await shutdown.value
            // Done once the call is, not after the 10 s grace period (with slack for a loaded machine).
            #expect(Date().timeIntervalSince(shutdownStarted) < 8)
            // New calls are refused: the listener is closed.
            let error = await #expect(throws: RPCError.self) { _ = try await echo.unary(.with()) }
            #expect(error?.code == .unavailable)
        }
    }

    @Test func shutdownAnnouncesGoAwayAndRefusesNewCallsOnOpenConnections() async throws {
        let probe = EventProbe()
        let server = RPCServer(services: [ProbeEchoProvider(probe: probe)])
        let address = try await server.start()
        let raw = try RawConnection(to: address)
        try await raw.handshake()
        try await raw.sendCall(1, method: "backoffice.echo.Echo/Unary")
        // Call 1 stays in flight until call 2 has its status, however loaded the machine (once
        // call 1 is done the server closes the connection, and call 2 would get no status).
        try await raw.sendMessage(1, Echo.EchoRequest.with(payload: ProbeEchoProvider.holdPayload))
        #expect(await probe.waitFor("started"))
        let shutdown = Task { await server.shutdown() }
        let goAway = try RawConnection.goAway(of: try await raw.frame(ofType: RawConnection.FrameKind.goAway))
        #expect(goAway.code == 0)
        #expect(goAway.lastCallId == 1)
        try await raw.sendCall(2, method: "backoffice.echo.Echo/Unary")
        try await raw.sendMessage(2, Echo.EchoRequest.with())
        var statuses: [UInt32: Int32] = [:]
        var seen: [String] = []
        reading: for _ in 0..<100 {
            switch try await raw.readFrame(timeout: 5) {
            case .frame(let frame):
                seen.append("type \(frame.type) call \(frame.callID)")
                if frame.type == RawConnection.FrameKind.status {
                    statuses[frame.callID] = try RawConnection.status(of: frame).code
                    if frame.callID == 2 { probe.record(ProbeEchoProvider.releaseEvent) }
                }
            case .closed:
                seen.append("closed")
                break reading
            case .timedOut:
                seen.append("timed out")
                break reading
            }
        }
        #expect(statuses == [1: 0, 2: StatusCode.unavailable.rawValue], "frames: \(seen)")
        #expect(seen.last == "closed")
        await shutdown.value
    }

    @Test func shutdownEndsCallsThatOutliveTheGracePeriod() async throws {
        var configuration = RPCServer.Configuration()
        configuration.shutdownGracePeriod = .milliseconds(200)
        let probe = EventProbe()
        let server = RPCServer(configuration: configuration, services: [ProbeEchoProvider(probe: probe)])
        let address = try await server.start()
        try await TestServer.withClient(address) { client in
            let call = Task { try await Echo.EchoClient(channel: client).unary(.with(delayMillis: 10_000)) }
            #expect(await probe.waitFor("started"))
            let started = Date()
            await server.shutdown()
            // Well under the call's 10 s: the grace period ended it (with slack for a loaded machine).
            #expect(Date().timeIntervalSince(started) < 5)
            let error = await #expect(throws: RPCError.self) { _ = try await call.value }
            #expect(error?.code == .unavailable)
        }
    }

    @Test func idleConnectionsAreClosedWithAGoAway() async throws {
        try await TestServer.with(configure: { $0.limits.idleTimeout = .milliseconds(200) }) { _, address in
            let raw = try RawConnection(to: address)
            try await raw.handshake()
            let started = Date()
            let frame = try await raw.frame(ofType: RawConnection.FrameKind.goAway, timeout: 8)
            #expect(try RawConnection.goAway(of: frame).message == "idle timeout")
            let observed = try await raw.waitForClose()
            #expect(observed)
            // The 200 ms timeout, not the 5-minute default (with slack for a loaded machine).
            #expect(Date().timeIntervalSince(started) < 8)
        }
    }

    @Test func aCallInFlightKeepsTheConnectionFromIdling() async throws {
        try await TestServer.with(configure: { $0.limits.idleTimeout = .milliseconds(150) }) { _, address in
            try await TestServer.withClient(address) { client in
                let response = try await Echo.EchoClient(channel: client).unary(.with(payload: [3], delayMillis: 600))
                #expect(response.payload == [3])
            }
        }
    }

    @Test func whatArrivedWhileTheLoopWasBusyIsNotIdleness() async throws {
        // A server on a loop of its own, which the test keeps busy for longer than the idle
        // timeout while a call waits in the socket: when the loop runs again its timers fire
        // before it reads, and they must not call the connection idle (GOAWAY, call dropped).
        // The setup needs the stall to begin well within the idle timeout after connecting; on a
        // machine too loaded for that (the whole suite runs at once on 2 cores), it starts over.
        for _ in 0..<4 {
            if try await callWaitingThroughAStallIsServed() { return }
        }
        Issue.record("the machine never let the stall begin within 2 s of connecting")
    }

    /// One attempt of the scenario above: true when it ran (its expectations were checked), false
    /// when the stall began too late after the handshake to prove anything.
    private func callWaitingThroughAStallIsServed() async throws -> Bool {
        let group = EventLoopGroup(threads: 1, name: "busy-loop-test")
        let loop = group.loops[0]
        var configuration = RPCServer.Configuration()
        configuration.limits.idleTimeout = .seconds(4)
        let server = RPCServer(configuration: configuration, services: [EchoProvider()], group: group)
        let address = try await server.start()
        // Read before connecting, not after the handshake: the server's connection was last
        // active after this instant, however late this task runs again after the handshake (on a
        // loaded machine it can resume seconds later, when the idle timeout has already passed).
        let connecting = ContinuousClock.now
        let raw = try RawConnection(to: address)
        try await raw.handshake()
        // The loop stays busy until the call was sent, then longer than the idle timeout.
        let busy = Atomic<Bool>(false)
        let sent = Atomic<Bool>(false)
        loop.execute {
            busy.store(true, ordering: .releasing)
            for _ in 0..<20_000 where !sent.load(ordering: .acquiring) { usleep(1000) }
            usleep(4_500_000)
        }
        for _ in 0..<5000 where !busy.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(2)) }
        let settled = ContinuousClock.now - connecting < .seconds(2)
        if settled {
            try await raw.sendUnaryCall(1, method: "backoffice.echo.Echo/Unary", request: Echo.EchoRequest.with(payload: [7]))
        }
        sent.store(true, ordering: .releasing)
        if settled {
            let status = try await raw.frame(ofType: RawConnection.FrameKind.status, timeout: 30)
            #expect(status.callID == 1)
            #expect(try RawConnection.status(of: status).code == StatusCode.ok.rawValue)
        }
        raw.close()
        await server.shutdown()
        loop.stop()
        return settled
    }

    @Test func unansweredKeepalivePingClosesTheConnection() async throws {
        try await TestServer.with(configure: {
            $0.limits.keepaliveInterval = .milliseconds(100)
            $0.limits.keepaliveTimeout = .milliseconds(200)
            $0.limits.idleTimeout = nil
        }) { _, address in
            let raw = try RawConnection(to: address)
            try await raw.handshake()
            let ping = try await raw.frame(ofType: RawConnection.FrameKind.ping, timeout: 3)
            #expect(ping.flags == 0 && ping.payload.count == 8)
            // Not answering: the server gives up on us.
            let observed = try await raw.waitForClose(timeout: 3)
            #expect(observed)
        }
    }

    @Test func clientReconnectsAfterTheServerComesBack() async throws {
        let first = RPCServer(services: [EchoProvider()])
        let address = try await first.start()
        try await TestServer.withClient(address) { client in
            let echo = Echo.EchoClient(channel: client)
            let answer = try await echo.unary(.with(payload: [1]))
            #expect(answer.payload == [1])
            await first.shutdown()
            // Down: calls fail fast with UNAVAILABLE rather than waiting for a deadline.
            let started = Date()
            let error = await #expect(throws: RPCError.self) {
                _ = try await echo.unary(.with(), options: CallOptions(timeout: .seconds(10)))
            }
            #expect(error?.code == .unavailable)
            // Fast, not after the 10 s deadline (with slack for a loaded machine).
            #expect(Date().timeIntervalSince(started) < 3)
            // Back on the same port: the client reconnects after its back-off.
            var configuration = RPCServer.Configuration()
            configuration.address = address
            let second = RPCServer(configuration: configuration, services: [EchoProvider()])
            try await second.start()
            var answered = false
            for _ in 0..<100 where !answered {
                answered = (try? await echo.unary(.with(payload: [2])).payload) == [2]
                if !answered { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(answered)
            await second.shutdown()
        }
    }
}
