import BackofficeAPI
import RPC
import Synchronization
import Testing
import TestSupport

/// Server interceptors: rejecting calls, attaching values, observing outcomes; call observers.
@Suite(.timeLimit(.minutes(1)))
struct InterceptorTests {
    enum CallerKey: ServerContextKey { typealias Value = String }

    /// Requires an `authorization` entry and attaches the caller's name for the handler.
    struct RequireCaller: ServerInterceptor {
        func intercept(context: ServerContext, next: (ServerContext) async throws -> Void) async throws {
            guard let caller = context.metadata["authorization"] else {
                throw RPCError(.unauthenticated, "no credential")
            }
            var context = context
            context[CallerKey.self] = caller
            try await next(context)
        }
    }

    struct WhoAmI: Echo.EchoHandler {
        func unary(_ request: Echo.EchoRequest, context: ServerContext) async throws -> Echo.EchoResponse {
            var response = Echo.EchoResponse()
            response.payload = Array((context[CallerKey.self] ?? "nobody").utf8)
            return response
        }
        func expand(_ request: Echo.EchoRequest, responses: ResponseWriter<Echo.EchoResponse>, context: ServerContext) async throws {}
        func collect(_ requests: RequestStream<Echo.EchoRequest>, context: ServerContext) async throws -> Echo.EchoResponse { .init() }
    }

    final class Recorder: ServerCallObserver {
        let summaries = Mutex<[CallSummary]>([])
        func callDidEnd(_ summary: CallSummary) { summaries.withLock { $0.append(summary) } }
    }

    @Test func interceptorRejectsAndAttaches() async throws {
        let recorder = Recorder()
        try await TestServer.with(
            services: [WhoAmI()],
            configure: {
                $0.interceptors = [RequireCaller()]
                $0.observers = [recorder]
            }
        ) { _, address in
            try await TestServer.withClient(address) { client in
                let echo = Echo.EchoClient(channel: client)
                let error = await #expect(throws: RPCError.self) { _ = try await echo.unary(.with()) }
                #expect(error?.code == .unauthenticated)
                let response = try await echo.unary(.with(), options: CallOptions(metadata: ["authorization": "alice"]))
                #expect(response.payload == Array("alice".utf8))
            }
        }
        let codes = recorder.summaries.withLock { $0.map(\.code) }
        #expect(codes == [.unauthenticated, .ok])
        #expect(recorder.summaries.withLock { $0.allSatisfy { $0.method == "backoffice.echo.Echo/Unary" } })
    }
}
