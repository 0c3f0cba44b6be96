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

    enum CountKey: ServerContextKey { typealias Value = Int }

    @Test func contextValuesAreAttachedReplacedAndRemovedByKey() {
        let method = Echo.EchoService.unary
        let original = ServerContext(method: method, metadata: [:], deadline: nil, peer: "127.0.0.1:1", callID: 1)
        var context = original
        #expect(context[CallerKey.self] == nil)
        context[CallerKey.self] = "ada"
        context[CountKey.self] = 1
        #expect(context[CallerKey.self] == "ada" && context[CountKey.self] == 1)
        context[CallerKey.self] = "grace"
        #expect(context[CallerKey.self] == "grace" && context[CountKey.self] == 1)
        context[CallerKey.self] = nil
        #expect(context[CallerKey.self] == nil && context[CountKey.self] == 1)
        context[CallerKey.self] = nil  // removing what is not there changes nothing
        #expect(context[CountKey.self] == 1)
        // A value type: the context it was copied from is untouched.
        #expect(original[CountKey.self] == nil && original[CallerKey.self] == nil)
        #expect(context.method === method && context.callID == 1 && context.peer == "127.0.0.1:1")
    }

    @Test func preparedValuesAttachToContextsWithAndWithoutValues() {
        let method = Echo.EchoService.unary
        let plain = ServerContext(method: method, metadata: [:], deadline: nil, peer: "127.0.0.1:1", callID: 1)
        let prepared = PreparedContextValue<CallerKey>("ada")
        // Attached as prepared to any number of contexts without values.
        let first = plain.attaching(prepared)
        let second = plain.attaching(prepared)
        #expect(first[CallerKey.self] == "ada" && second[CallerKey.self] == "ada" && plain[CallerKey.self] == nil)
        // A context with values keeps them and gets the prepared one on top.
        var counted = plain
        counted[CountKey.self] = 7
        let both = counted.attaching(prepared)
        #expect(both[CallerKey.self] == "ada" && both[CountKey.self] == 7)
        // Replacing or removing it later touches that context alone.
        var changed = first
        changed[CallerKey.self] = "grace"
        changed[CountKey.self] = 1
        #expect(changed[CallerKey.self] == "grace" && changed[CountKey.self] == 1)
        #expect(first[CallerKey.self] == "ada" && first[CountKey.self] == nil && second[CallerKey.self] == "ada")
        changed[CallerKey.self] = nil
        #expect(changed[CallerKey.self] == nil && changed[CountKey.self] == 1 && second[CallerKey.self] == "ada")
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

    /// Appends its name to the caller seen by the handler; decides at once when `immediate`.
    struct Stamp: ServerInterceptor {
        let name: String
        let immediate: Bool
        let refuses: Bool

        func stamped(_ context: ServerContext, how: String) throws -> ServerContext {
            if refuses { throw RPCError(.permissionDenied, "\(name) refuses") }
            var context = context
            context[CallerKey.self] = (context[CallerKey.self] ?? "") + "\(name)(\(how))"
            return context
        }
        func intercept(context: ServerContext, next: (ServerContext) async throws -> Void) async throws {
            try await next(stamped(context, how: "chain"))
        }
        func interceptImmediately(_ context: ServerContext) throws -> ServerContext? {
            immediate ? try stamped(context, how: "at once") : nil
        }
    }

    @Test func interceptorsThatDecideAtOnceRunFirstOnlyWhileTheyLeadTheOrder() async throws {
        /// The caller the handler saw, or the error the call ended with.
        func caller(_ interceptors: [any ServerInterceptor]) async throws -> String {
            try await TestServer.with(services: [WhoAmI()], configure: { $0.interceptors = interceptors }) { _, address in
                try await TestServer.withClient(address) { client in
                    do {
                        let response = try await Echo.EchoClient(channel: client).unary(.with())
                        return String(decoding: response.payload, as: UTF8.self)
                    } catch let error as RPCError {
                        return "\(error.code.name): \(error.message)"
                    }
                }
            }
        }
        let atOnce = Stamp(name: "A", immediate: true, refuses: false)
        let chained = Stamp(name: "B", immediate: false, refuses: false)
        #expect(try await caller([atOnce, chained]) == "A(at once)B(chain)")
        // Behind one that needs the chain, it runs in the chain too: the order holds.
        #expect(try await caller([chained, atOnce]) == "B(chain)A(chain)")
        #expect(try await caller([Stamp(name: "R", immediate: true, refuses: true), chained]) == "PERMISSION_DENIED: R refuses")
    }
}
