import BackofficeAPI
import Foundation
import RPC
import Testing
import TestSupport

/// The three call kinds, concurrency on one connection, errors and metadata, over real loopback
/// sockets.
@Suite(.timeLimit(.minutes(1)))
struct CallTests {
    @Test func unaryRoundTrip() async throws {
        try await TestServer.with { _, address in
            try await TestServer.withClient(address) { client in
                let echo = Echo.EchoClient(channel: client)
                let response = try await echo.unary(.with(payload: [0, 1, 2, 255]))
                #expect(response.payload == [0, 1, 2, 255])
            }
        }
    }

    @Test func serverStreamingDeliversEveryResponseInOrder() async throws {
        try await TestServer.with { _, address in
            try await TestServer.withClient(address) { client in
                let received = Locked<[UInt32]>([])
                try await Echo.EchoClient(channel: client).expand(.with(payload: [7], repeat: 25)) { response in
                    #expect(response.payload == [7])
                    received.withLock { $0.append(response.index) }
                }
                #expect(received.withLock { $0 } == Array(0..<25))
            }
        }
    }

    @Test func clientStreamingCollectsEveryRequest() async throws {
        try await TestServer.with { _, address in
            try await TestServer.withClient(address) { client in
                let response = try await Echo.EchoClient(channel: client).collect { writer in
                    for byte in UInt8(0)..<40 { try await writer.write(.with(payload: [byte])) }
                }
                #expect(response.index == 40)
                #expect(response.payload == Array(UInt8(0)..<40))
            }
        }
    }

    @Test func clientStreamingWithNoRequestsGetsAnEmptyAnswer() async throws {
        try await TestServer.with { _, address in
            try await TestServer.withClient(address) { client in
                let response = try await Echo.EchoClient(channel: client).collect { _ in }
                #expect(response.index == 0)
                #expect(response.payload.isEmpty)
            }
        }
    }

    @Test func concurrentCallsOnOneConnectionAreAnsweredOutOfOrder() async throws {
        let probe = EventProbe()
        try await TestServer.with(services: [ProbeEchoProvider(probe: probe)]) { _, address in
            try await TestServer.withClient(address) { client in
                let echo = Echo.EchoClient(channel: client)
                let finishOrder = Locked<[String]>([])
                // A slow call goes first, held by the server until the fast calls on the same
                // connection have overtaken it (not for a fixed time, which a loaded machine can
                // outrun): were they stuck behind it, none would finish until the hold's 30 s.
                let slow = Task {
                    let response = try await echo.unary(.with(payload: ProbeEchoProvider.holdPayload))
                    finishOrder.withLock { $0.append(String(decoding: response.payload, as: UTF8.self)) }
                }
                #expect(await probe.waitFor("started"))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<10 {
                        group.addTask {
                            let payload = Array("fast-\(index)".utf8)
                            let response = try await echo.unary(.with(payload: payload))
                            #expect(response.payload == payload)
                            finishOrder.withLock { $0.append(String(decoding: response.payload, as: UTF8.self)) }
                        }
                    }
                    try await group.waitForAll()
                }
                probe.record(ProbeEchoProvider.releaseEvent)
                try await slow.value
                let order = finishOrder.value
                #expect(order.count == 11)
                #expect(order.last == "hold", "finish order: \(order)")
            }
        }
    }

    @Test func manyConcurrentCallsAllSucceed() async throws {
        try await TestServer.with { _, address in
            try await TestServer.withClient(address, configure: { $0.connections = 2 }) { client in
                let echo = Echo.EchoClient(channel: client)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<500 {
                        group.addTask {
                            let payload = Array(String(index).utf8)
                            let answer = try await echo.unary(.with(payload: payload))
                            #expect(answer.payload == payload)
                        }
                    }
                    try await group.waitForAll()
                }
            }
        }
    }

    @Test(arguments: [StatusCode.notFound, .alreadyExists, .permissionDenied, .failedPrecondition, .aborted, .unauthenticated])
    func handlerErrorsReachTheCallerWithTheirCode(code: StatusCode) async throws {
        try await TestServer.with { _, address in
            try await TestServer.withClient(address) { client in
                let error = await #expect(throws: RPCError.self) {
                    _ = try await Echo.EchoClient(channel: client).unary(.with(failCode: code, failMessage: "because"))
                }
                #expect(error?.code == code)
                #expect(error?.message == "because")
            }
        }
    }

    @Test func fieldViolationsTravelWithInvalidArgument() async throws {
        struct Validating: Echo.EchoHandler {
            func unary(_ request: Echo.EchoRequest, context: ServerContext) async throws -> Echo.EchoResponse {
                throw RPCError.invalidArgument([
                    FieldViolation(field: "payload", description: "must not be empty"),
                    FieldViolation(field: "repeat", description: "must be at most 10"),
                ])
            }
            func expand(_ request: Echo.EchoRequest, responses: ResponseWriter<Echo.EchoResponse>, context: ServerContext) async throws {}
            func collect(_ requests: RequestStream<Echo.EchoRequest>, context: ServerContext) async throws -> Echo.EchoResponse { .init() }
        }
        try await TestServer.with(services: [Validating()]) { _, address in
            try await TestServer.withClient(address) { client in
                let error = await #expect(throws: RPCError.self) {
                    _ = try await Echo.EchoClient(channel: client).unary(.with())
                }
                #expect(error?.code == .invalidArgument)
                #expect(
                    error?.fieldViolations == [
                        FieldViolation(field: "payload", description: "must not be empty"),
                        FieldViolation(field: "repeat", description: "must be at most 10"),
                    ])
            }
        }
    }

    @Test func unexpectedHandlerErrorsBecomeInternalWithoutDetails() async throws {
        struct Leaky: Error { let secret = "database password is hunter2" }
        struct Failing: Echo.EchoHandler {
            func unary(_ request: Echo.EchoRequest, context: ServerContext) async throws -> Echo.EchoResponse { throw Leaky() }
            func expand(_ request: Echo.EchoRequest, responses: ResponseWriter<Echo.EchoResponse>, context: ServerContext) async throws {}
            func collect(_ requests: RequestStream<Echo.EchoRequest>, context: ServerContext) async throws -> Echo.EchoResponse { .init() }
        }
        try await TestServer.with(services: [Failing()]) { _, address in
            try await TestServer.withClient(address) { client in
                let error = await #expect(throws: RPCError.self) { _ = try await Echo.EchoClient(channel: client).unary(.with()) }
                #expect(error?.code == .internalError)
                #expect(error?.message.contains("hunter2") == false)
            }
        }
    }

    @Test func metadataReachesTheHandler() async throws {
        let probe = EventProbe()
        try await TestServer.with(services: [ProbeEchoProvider(probe: probe)]) { _, address in
            try await TestServer.withClient(address) { client in
                _ = try await Echo.EchoClient(channel: client).unary(.with(), options: CallOptions(metadata: ["Request-ID": "r-42"]))
            }
        }
        #expect(probe.recorded.contains("request-id:r-42"))
    }

    @Test func eachCallSendsItsOwnMetadataWhenCallsRepeatOrChangeIt() async throws {
        // The client reuses a method's encoded headers while the metadata repeats; a change, a
        // timeout or no metadata must still reach the server as given.
        let probe = EventProbe()
        let sent = ["a", "a", "b", "a", "b", "b", nil, "a"]
        try await TestServer.with(services: [ProbeEchoProvider(probe: probe)]) { _, address in
            try await TestServer.withClient(address) { client in
                let echo = Echo.EchoClient(channel: client)
                for (index, id) in sent.enumerated() {
                    let metadata: Metadata = id.map { ["request-id": $0] } ?? [:]
                    let timeout: Duration? = index == 3 ? .seconds(10) : nil
                    _ = try await echo.unary(.with(), options: CallOptions(timeout: timeout, metadata: metadata))
                }
            }
        }
        let seen = probe.recorded.filter { $0.hasPrefix("request-id:") }
        #expect(seen == sent.compactMap { $0.map { "request-id:\($0)" } })
        #expect(probe.recorded.filter { $0 == "started" }.count == sent.count)
    }

    @Test func serverStreamErrorAfterSomeResponses() async throws {
        try await TestServer.with { _, address in
            try await TestServer.withClient(address) { client in
                // Each response obeys fail_code, so the first write already fails: no response arrives.
                let count = Locked(0)
                let error = await #expect(throws: RPCError.self) {
                    try await Echo.EchoClient(channel: client).expand(.with(repeat: 3, failCode: .outOfRange, failMessage: "stop")) { _ in
                        count.withLock { $0 += 1 }
                    }
                }
                #expect(error?.code == .outOfRange)
                #expect(count.withLock { $0 } == 0)
            }
        }
    }
}

import Synchronization
