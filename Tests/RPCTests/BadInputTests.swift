import BackofficeAPI
import Foundation
import RPC
import Testing
import TestSupport

/// Every kind of bad input gets the status or closed connection docs/PROTOCOL.md promises, and the
/// server keeps serving every other connection.
@Suite(.timeLimit(.minutes(1)))
struct BadInputTests {
    /// After each bad input: a well-behaved client on another connection is still served.
    private func expectStillServing(_ address: SocketAddress) async throws {
        try await TestServer.withClient(address) { client in
            let answer = try await Echo.EchoClient(channel: client).unary(.with(payload: [1]))
            #expect(answer.payload == [1])
        }
    }

    private func expectGoAway(_ raw: RawConnection, code: StatusCode, containing text: String) async throws {
        let frame = try await raw.frame(ofType: RawConnection.FrameKind.goAway)
        let goAway = try RawConnection.goAway(of: frame)
        #expect(goAway.code == code.rawValue, "GOAWAY: \(goAway.message)")
        #expect(goAway.message.contains(text), "GOAWAY: \(goAway.message)")
        let observed = try await raw.waitForClose()
        #expect(observed, "the connection stayed open")
    }

    @Test func wrongPrefaceIsToldAndDropped() async throws {
        try await TestServer.with { _, address in
            let raw = try RawConnection(to: address)
            try await raw.send(Array("garbage!".utf8))
            let observed = try await raw.readExactly(8, timeout: 5)
            #expect(observed == RawConnection.preface)
            try await expectGoAway(raw, code: .invalidArgument, containing: "preface")
            try await expectStillServing(address)
        }
    }

    @Test func httpClientGetsAnHTTPAnswer() async throws {
        try await TestServer.with { _, address in
            let raw = try RawConnection(to: address)
            try await raw.send(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            let answer = try #require(await raw.readExactly(24, timeout: 5))
            #expect(String(decoding: answer, as: UTF8.self).hasPrefix("HTTP/1.1 400 Bad Request"))
            let observed = try await raw.waitForClose()
            #expect(observed)
            try await expectStillServing(address)
        }
    }

    @Test func unsupportedVersionIsRefused() async throws {
        try await TestServer.with { _, address in
            let raw = try RawConnection(to: address)
            try await raw.send(Array("BORPC\r\n".utf8) + [9])
            let observed = try await raw.readExactly(8, timeout: 5)
            #expect(observed == RawConnection.preface)
            try await expectGoAway(raw, code: .failedPrecondition, containing: "version 9")
        }
    }

    @Test func frameOverTheMaximumIsRefusedBeforeAllocation() async throws {
        try await TestServer.with(configure: { $0.limits.maxFrameSize = 1024 }) { _, address in
            let raw = try RawConnection(to: address)
            try await raw.handshake()
            // Announce 1 GiB and send nothing more: the server must refuse on the header alone.
            try await raw.send(RawConnection.frame(type: RawConnection.FrameKind.message, callID: 1, announcedLength: 1 << 30))
            try await expectGoAway(raw, code: .resourceExhausted, containing: "exceeds the maximum")
            try await expectStillServing(address)
        }
    }

    @Test func truncatedFrameThenVanishingClientHarmsNobody() async throws {
        let probe = EventProbe()
        try await TestServer.with(services: [ProbeEchoProvider(probe: probe)]) { _, address in
            let raw = try RawConnection(to: address)
            try await raw.handshake()
            try await raw.sendCall(1, method: "backoffice.echo.Echo/Unary")
            let frame = RawConnection.frame(
                type: RawConnection.FrameKind.message, flags: 1, callID: 1, payload: Echo.EchoRequest.with().serializedBytes())
            try await raw.send(Array(frame.prefix(frame.count - 3)))
            raw.close()
            try await Task.sleep(for: .milliseconds(200))
            #expect(!probe.recorded.contains("started"), "a handler ran on a truncated request")
            try await expectStillServing(address)
        }
    }

    @Test func callPayloadThatIsNotAnEnvelopeFailsOnlyThatCall() async throws {
        try await TestServer.with { _, address in
            let raw = try RawConnection(to: address)
            try await raw.handshake()
            try await raw.send(RawConnection.frame(type: RawConnection.FrameKind.call, callID: 1, payload: [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]))
            let status = try await raw.frame(ofType: RawConnection.FrameKind.status)
            #expect(status.callID == 1)
            let decoded = try RawConnection.status(of: status)
            #expect(decoded.code == StatusCode.invalidArgument.rawValue)
            #expect(decoded.message.contains("CallHeaders"))
            // The same connection goes on serving.
            try await raw.sendCall(2, method: "backoffice.echo.Echo/Unary")
            try await raw.sendMessage(2, Echo.EchoRequest.with(payload: [5]))
            let message = try await raw.frame(ofType: RawConnection.FrameKind.message)
            #expect(try Echo.EchoResponse(serializedBytes: message.payload).payload == [5])
            #expect(try await raw.frame(ofType: RawConnection.FrameKind.status).callID == 2)
            // A payload that repeats call 2's header, then a truncated timeout: read against the
            // last call's header, and refused all the same.
            let method = Array("backoffice.echo.Echo/Unary".utf8)
            let repeatedThenTruncated = [0x0A, UInt8(method.count)] + method + [0x18, 0xFF]
            try await raw.send(RawConnection.frame(type: RawConnection.FrameKind.call, callID: 3, payload: repeatedThenTruncated))
            let refused = try await raw.frame(ofType: RawConnection.FrameKind.status)
            #expect(refused.callID == 3)
            #expect(try RawConnection.status(of: refused).code == StatusCode.invalidArgument.rawValue)
            try await raw.sendCall(4, method: "backoffice.echo.Echo/Unary")
            try await raw.sendMessage(4, Echo.EchoRequest.with(payload: [6]))
            let after = try await raw.frame(ofType: RawConnection.FrameKind.message)
            #expect(after.callID == 4)
            #expect(try Echo.EchoResponse(serializedBytes: after.payload).payload == [6])
        }
    }

    @Test func unknownFrameTypeClosesTheConnection() async throws {
        try await TestServer.with { _, address in
            let raw = try RawConnection(to: address)
            try await raw.handshake()
            try await raw.send(RawConnection.frame(type: 0x42, callID: 1, payload: [1, 2, 3]))
            try await expectGoAway(raw, code: .invalidArgument, containing: "unknown frame type 0x42")
            try await expectStillServing(address)
        }
    }

    @Test func unknownMethodIsUnimplemented() async throws {
        try await TestServer.with { _, address in
            try await TestServer.withClient(address) { client in
                let bogus = MethodDescriptor(
                    service: "backoffice.echo.Echo", name: "Nope", kind: .unary,
                    requestType: Echo.EchoRequest.self, responseType: Echo.EchoResponse.self)
                let error = await #expect(throws: RPCError.self) {
                    let _: Echo.EchoResponse = try await client.unary(bogus, Echo.EchoRequest(), options: CallOptions())
                }
                #expect(error?.code == .unimplemented)
                #expect(error?.message == "unknown method backoffice.echo.Echo/Nope")
            }
        }
    }

    @Test func undecodableRequestBodyIsInvalidArgument() async throws {
        try await TestServer.with { _, address in
            let raw = try RawConnection(to: address)
            try await raw.handshake()
            try await raw.sendCall(1, method: "backoffice.echo.Echo/Unary")
            try await raw.send(
                RawConnection.frame(type: RawConnection.FrameKind.message, flags: 1, callID: 1, payload: [0x0A, 0x7F, 0x01]))
            let status = try RawConnection.status(of: try await raw.frame(ofType: RawConnection.FrameKind.status))
            #expect(status.code == StatusCode.invalidArgument.rawValue)
            #expect(status.message == "request body is not a valid backoffice.echo.EchoRequest")
        }
    }

    @Test func reusedCallIDClosesTheConnection() async throws {
        try await TestServer.with { _, address in
            let raw = try RawConnection(to: address)
            try await raw.handshake()
            try await raw.sendCall(5, method: "backoffice.echo.Echo/Unary")
            try await raw.sendMessage(5, Echo.EchoRequest.with())
            _ = try await raw.readFrame(ofType: RawConnection.FrameKind.status)
            try await raw.sendCall(5, method: "backoffice.echo.Echo/Unary")
            try await expectGoAway(raw, code: .invalidArgument, containing: "call id 5 was already used")
            try await expectStillServing(address)
        }
    }

    @Test func messageForACallNeverOpenedClosesTheConnection() async throws {
        try await TestServer.with { _, address in
            let raw = try RawConnection(to: address)
            try await raw.handshake()
            try await raw.sendMessage(3, Echo.EchoRequest.with())
            try await expectGoAway(raw, code: .invalidArgument, containing: "never opened")
        }
    }

    @Test func secondRequestOnAUnaryCallIsRefused() async throws {
        try await TestServer.with { _, address in
            let raw = try RawConnection(to: address)
            try await raw.handshake()
            try await raw.sendCall(1, method: "backoffice.echo.Echo/Unary")
            try await raw.sendMessage(1, Echo.EchoRequest.with(delayMillis: 500), last: false)
            try await raw.sendMessage(1, Echo.EchoRequest.with(), last: true)
            let status = try RawConnection.status(of: try await raw.frame(ofType: RawConnection.FrameKind.status))
            #expect(status.code == StatusCode.invalidArgument.rawValue)
            #expect(status.message.contains("exactly one request"))
        }
    }

    @Test func clientVanishingMidCallCancelsItsHandler() async throws {
        let probe = EventProbe()
        try await TestServer.with(services: [ProbeEchoProvider(probe: probe)]) { _, address in
            let raw = try await RawConnection.withSlowCallInFlight(to: address, probe: probe)
            raw.close()
            #expect(await probe.waitFor("cancelled"), "the handler went on after its client vanished")
            try await expectStillServing(address)
        }
    }

    @Test func clientThatNeverReadsKeepsServerMemoryBounded() async throws {
        let probe = EventProbe()
        try await TestServer.with(
            services: [ProbeEchoProvider(probe: probe)],
            configure: {
                $0.limits.maxBufferedBytes = 256 * 1024
                $0.limits.writeStallTimeout = .seconds(60)
            }
        ) { _, address in
            let raw = try RawConnection(to: address)
            try await raw.handshake()
            // Ask for 10,000 responses of 64 KiB (640 MB) and never read one.
            try await raw.sendCall(1, method: "backoffice.echo.Echo/Expand")
            try await raw.sendMessage(1, Echo.EchoRequest.with(payload: [UInt8](repeating: 7, count: 64 * 1024), repeat: 10_000))
            try await Task.sleep(for: .milliseconds(1500))
            let writtenFirst = probe.recorded.filter { $0.hasPrefix("wrote:") }.count
            try await Task.sleep(for: .milliseconds(1000))
            let writtenLater = probe.recorded.filter { $0.hasPrefix("wrote:") }.count
            // The handler is held back: no progress while nobody reads, and what was queued is
            // what the kernel's socket buffers and the 256 KiB server queue hold, far from 640 MB.
            #expect(writtenLater == writtenFirst, "the server kept producing for a client that reads nothing")
            #expect(writtenLater < 400, "the server queued \(writtenLater) responses of 64 KiB")
            try await expectStillServing(address)
        }
    }

    @Test func tooManyConcurrentCallsOnOneConnection() async throws {
        try await TestServer.with(configure: { $0.limits.maxConcurrentCalls = 3 }) { _, address in
            let raw = try RawConnection(to: address)
            try await raw.handshake()
            // The first three stay in flight far longer than any scheduling hiccup of a loaded
            // machine, so the fourth always finds the connection full.
            for id in UInt32(1)...4 {
                try await raw.sendCall(id, method: "backoffice.echo.Echo/Unary")
                try await raw.sendMessage(id, Echo.EchoRequest.with(delayMillis: 30_000))
            }
            let status = try await raw.frame(ofType: RawConnection.FrameKind.status)
            #expect(status.callID == 4)
            #expect(try RawConnection.status(of: status).code == StatusCode.resourceExhausted.rawValue)
            for id in UInt32(1)...3 {
                try await raw.send(RawConnection.frame(type: RawConnection.FrameKind.cancel, callID: id, payload: []))
            }
        }
    }

    @Test func pingIsAnsweredWithTheSameBytes() async throws {
        try await TestServer.with { _, address in
            let raw = try RawConnection(to: address)
            try await raw.handshake()
            let bytes: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
            try await raw.send(RawConnection.frame(type: RawConnection.FrameKind.ping, callID: 0, payload: bytes))
            let pong = try await raw.frame(ofType: RawConnection.FrameKind.ping)
            #expect(pong.flags == 1)
            #expect(pong.payload == bytes)
        }
    }
}
