import BackofficeAPI
import EchoService
import Foundation
import RPC
import Synchronization
import Testing
import TestSupport

/// Immediate handlers (run on the connection's loop, answered through a `UnaryResponder`) and
/// `RPCClient.startUnary`, the pair a proxy forwards with: answers, errors, a second answer,
/// cancellation by the client and by the deadline, and interceptors.
@Suite(.timeLimit(.minutes(1)))
struct ImmediateHandlerTests {
    /// Forwards `Echo/Unary` to `next` from an immediate handler, the way the gateway does, and
    /// records what it saw in `probe`.
    struct ForwardingEcho: RPCService {
        static var serviceDescriptor: ServiceDescriptor { Echo.EchoService.descriptor }
        let next: RPCClient
        let probe: EventProbe

        var methodHandlers: [MethodHandler] {
            [
                .immediateUnary(Echo.EchoService.unary.raw) {
                    [next, probe] (request: RawMessage, context, responder: UnaryResponder<RawMessage>) in
                    probe.record("handler-ran")
                    // A timeout of its own, longer than the tests' deadlines: only the proxy's
                    // cancellation can stop the forwarded call early.
                    let started = next.startUnary(Echo.EchoService.unary.raw, request, options: CallOptions(timeout: .seconds(40))) {
                        result in
                        probe.record("completed")
                        responder.finish(result.map { $0 as! RawMessage }.mapError { $0 })
                        // A second answer is ignored.
                        responder.fail(RPCError(.internalError, "answered twice"))
                    }
                    responder.onCancel {
                        probe.record("proxy-cancelled")
                        started.cancel()
                    }
                }
            ]
        }
    }

    /// Runs `body` with a client of a proxy (immediate handlers) in front of a probing echo server.
    /// `downstream` replaces the probing echo server (the real echo service answers `fail_code`).
    private func withProxy(
        interceptors: [any ServerInterceptor] = [], downstream service: (any RPCService)? = nil,
        _ body: (Echo.EchoClient, _ proxyProbe: EventProbe, _ serverProbe: EventProbe) async throws -> Void
    ) async throws {
        let serverProbe = EventProbe()
        let proxyProbe = EventProbe()
        try await TestServer.with(services: [service ?? ProbeEchoProvider(probe: serverProbe)]) { _, downstream in
            try await TestServer.withClient(downstream) { next in
                try await TestServer.with(
                    services: [ForwardingEcho(next: next, probe: proxyProbe)], configure: { $0.interceptors = interceptors }
                ) { _, proxy in
                    try await TestServer.withClient(proxy) { client in
                        try await body(Echo.EchoClient(channel: client), proxyProbe, serverProbe)
                    }
                }
            }
        }
    }

    @Test func anImmediateHandlerAnswersWithTheForwardedResponse() async throws {
        try await withProxy { client, proxyProbe, _ in
            let response = try await client.unary(.with(payload: Array("through".utf8)), options: CallOptions(timeout: .seconds(10)))
            #expect(response.payload == Array("through".utf8))
            #expect(proxyProbe.recorded.contains("handler-ran"))
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
        }
    }

    @Test func errorsKeepTheirStatusAndASecondAnswerIsIgnored() async throws {
        try await withProxy(downstream: EchoProvider()) { client, _, _ in
            let error = await rpcError {
                _ = try await client.unary(
                    .with(failCode: .notFound, failMessage: "no such thing"), options: CallOptions(timeout: .seconds(10)))
            }
            #expect(error?.code == .notFound)
            #expect(error?.message == "no such thing")
            // The connection still serves: the ignored second answer sent nothing stray.
            let again = try await client.unary(.with(), options: CallOptions(timeout: .seconds(10)))
            #expect(again.payload == Array("hello".utf8))
        }
    }

    @Test func aCancelledCallTellsTheHandlerWhichCancelsItsForwardedCall() async throws {
        try await withProxy { client, proxyProbe, serverProbe in
            let call = Task { try await client.unary(.with(delayMillis: 20_000), options: CallOptions(timeout: .seconds(30))) }
            #expect(await serverProbe.waitFor("started"))
            call.cancel()
            let error = await rpcError { _ = try await call.value }
            #expect(error?.code == .cancelled)
            #expect(await proxyProbe.waitFor("proxy-cancelled"))
            #expect(await serverProbe.waitFor("cancelled"), "the forwarded call kept running")
        }
    }

    @Test func theDeadlineCancelsTheHandler() async throws {
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

    /// Refuses calls without `authorization`; applies to every method unless told otherwise.
    struct RequireCredential: ServerInterceptor {
        let appliesToEcho: Bool
        func intercept(context: ServerContext, next: (ServerContext) async throws -> Void) async throws {
            guard context.metadata["authorization"] != nil else { throw RPCError(.unauthenticated, "no credential") }
            try await next(context)
        }
        func applies(to method: MethodDescriptor) -> Bool { appliesToEcho || method.service != Echo.EchoService.descriptor.name }
    }

    @Test func interceptorsThatApplyRunBeforeAnImmediateHandler() async throws {
        try await withProxy(interceptors: [RequireCredential(appliesToEcho: true)]) { client, proxyProbe, _ in
            let error = await rpcError { _ = try await client.unary(.with(), options: CallOptions(timeout: .seconds(10))) }
            #expect(error?.code == .unauthenticated)
            #expect(!proxyProbe.recorded.contains("handler-ran"))
            let response = try await client.unary(
                .with(payload: [1, 2]), options: CallOptions(timeout: .seconds(10), metadata: ["Authorization": "Bearer x"]))
            #expect(response.payload == [1, 2])
        }
        try await withProxy(interceptors: [RequireCredential(appliesToEcho: false)]) { client, _, _ in
            // Not for this method: the handler runs without it.
            let response = try await client.unary(.with(payload: [3]), options: CallOptions(timeout: .seconds(10)))
            #expect(response.payload == [3])
        }
    }

    @Test func startUnaryReportsOnceAndFailsFastWithoutAServer() async throws {
        // A port nothing listens on: UNAVAILABLE, reported once, without waiting for a deadline.
        let closed = try await TestServer.with { _, address in address }
        try await TestServer.withClient(closed) { client in
            let outcomes = Mutex<[StatusCode]>([])
            let started = ContinuousClock.now
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                client.startUnary(Echo.EchoService.unary, Echo.EchoRequest.with(), options: CallOptions(timeout: .seconds(30))) { result in
                    outcomes.withLock { $0.append((try? result.get()) == nil ? (result.failure?.code ?? .unknown) : .ok) }
                    continuation.resume()
                }
            }
            #expect(outcomes.withLock { $0 } == [.unavailable])
            #expect(ContinuousClock.now - started < .seconds(8))
        }
    }
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let error) = self { error } else { nil }
    }
}
