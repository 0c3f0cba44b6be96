import BackofficeAPI
import Foundation
import RPC
import Testing
import TestSupport

/// Bounded buffering in both directions: a connection stops reading while requests or responses
/// pile up unconsumed, and resumes once they are consumed or dropped with their call.
@Suite(.timeLimit(.minutes(1)))
struct FlowControlTests {
    /// Reads one request of a client stream, waits while the rest piles up, then answers.
    struct ReadsOneRequest: Echo.EchoHandler {
        func unary(_ request: Echo.EchoRequest, context: ServerContext) async throws -> Echo.EchoResponse {
            var response = Echo.EchoResponse()
            response.payload = request.payload
            return response
        }
        func expand(_ request: Echo.EchoRequest, responses: ResponseWriter<Echo.EchoResponse>, context: ServerContext) async throws {}
        func collect(_ requests: RequestStream<Echo.EchoRequest>, context: ServerContext) async throws -> Echo.EchoResponse {
            var iterator = requests.makeAsyncIterator()
            _ = try await iterator.next()
            try await Task.sleep(for: .milliseconds(300))
            return Echo.EchoResponse()
        }
    }

    @Test func requestsLeftUnreadByAFinishedHandlerDoNotPauseTheConnection() async throws {
        try await TestServer.with(services: [ReadsOneRequest()]) { _, address in
            let raw = try RawConnection(to: address)
            try await raw.handshake()
            try await raw.sendCall(1, method: "backoffice.echo.Echo/Collect")
            // 6 MiB of requests: more than the 4 MiB a connection queues for a slow handler.
            let chunk = Echo.EchoRequest.with(payload: [UInt8](repeating: 1, count: 64 * 1024))
            for _ in 0..<96 { try await raw.sendMessage(1, chunk, last: false) }
            try await raw.sendCall(2, method: "backoffice.echo.Echo/Unary")
            try await raw.sendMessage(2, Echo.EchoRequest.with(payload: [42]))
            var answered: [UInt32: Int32] = [:]
            while answered.count < 2 {
                let frame = try await raw.frame(ofType: RawConnection.FrameKind.status, timeout: 10)
                answered[frame.callID] = try RawConnection.status(of: frame).code
            }
            #expect(answered == [1: 0, 2: 0])
        }
    }

    @Test func responsesLeftUnreadByAnAbandonedStreamDoNotPauseTheClient() async throws {
        try await TestServer.with { _, address in
            try await TestServer.withClient(address) { client in
                let echo = Echo.EchoClient(channel: client)
                struct Enough: Error {}
                // 200 responses of 64 KiB; the caller stops after the first.
                await #expect(throws: Enough.self) {
                    try await echo.expand(.with(payload: [UInt8](repeating: 2, count: 64 * 1024), repeat: 200)) { _ in
                        try await Task.sleep(for: .milliseconds(200))
                        throw Enough()
                    }
                }
                let response = try await echo.unary(.with(payload: [7]), options: CallOptions(timeout: .seconds(5)))
                #expect(response.payload == [7])
            }
        }
    }
}
