import BackofficeAPI
import Crypto
import Foundation
import RPC
import ServiceRuntime
import Testing
import TestSupport

/// The echo service as a real process: flags and `--help`, health and metrics over the wire, and a
/// graceful stop on SIGTERM that lets a call in flight finish.
@Suite(.timeLimit(.minutes(2)))
struct EchoProcessTests {
    @Test func helpListsEveryOptionAndExitsZero() async throws {
        let result = try await ServiceProcess.runToCompletion("backoffice-echo", arguments: ["--help"])
        #expect(result.status == 0)
        for option in [
            "--listen", "--log-level", "--max-frame-size", "--max-concurrent-calls", "--idle-timeout", "--shutdown-grace", "--internal-key",
            "--loop-scheduling",
        ] {
            #expect(result.stdout.contains(option), "usage lacks \(option)")
        }
        #expect(result.stdout.contains("BACKOFFICE_ECHO_LISTEN"))
    }

    @Test(arguments: [
        ["--no-such-flag"], ["--max-frame-size", "lots"], ["--listen", "nowhere"], ["--log-level", "loud"], ["--internal-key", "c2hvcnQ="],
        ["--internal-key", "not a key"], ["--loop-scheduling", "fast"],
    ])
    func badFlagsAreRefusedWithStatusTwo(arguments: [String]) async throws {
        let result = try await ServiceProcess.runToCompletion("backoffice-echo", arguments: arguments)
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("backoffice-echo: "), "stderr: \(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test(arguments: [([String](), "batch"), (["--loop-scheduling", "normal"], "normal")])
    func eventLoopThreadsRunUnderTheChosenScheduling(arguments: [String], expected: String) async throws {
        let echo = try await ServiceProcess("backoffice-echo", arguments: arguments)
        defer { echo.stop() }
        // The policy the kernel reports for each of the process's event loop threads (`rpc-N`).
        let policies = try LoopThreads.policies(ofProcess: echo.pid)
        // One loop per online core, as this process counts them for its own loops.
        #expect(policies.count == EventLoopGroup.shared.loops.count, "loop threads: \(policies)")
        #expect(Set(policies.values) == [expected == "batch" ? 3 : 0], "policies by thread: \(policies)")
    }

    @Test func withAnInternalKeyOnlySignedCallsAndHealthChecksAreServed() async throws {
        let key = SecretKey.random()
        let echo = try await ServiceProcess("backoffice-echo", arguments: ["--internal-key", key.exportBase64()])
        defer { echo.stop() }
        try await TestServer.withClient(echo.address) { client in
            let calls = Echo.EchoClient(channel: client)
            let error = await #expect(throws: RPCError.self) { _ = try await calls.unary(.with()) }
            #expect(error?.code == .unauthenticated)
            let check = try await Health.HealthClient(channel: client).check(Health.CheckRequest())
            #expect(check.status == .serving)

            var principal = Auth.Principal()
            principal.subjectId = "gateway-test"
            principal.kind = .service
            let options = CallOptions.forwarding(principal, method: Echo.EchoService.unary, signer: PrincipalSigner(key: key))
            let response = try await calls.unary(.with(payload: [7]), options: options)
            #expect(response.payload == [7])
        }
        #expect(!echo.standardError.contains("no internal key"))
        #expect(!echo.standardError.contains(key.exportBase64()))
    }

    @Test func withoutAnInternalKeyUnsignedCallsAreServedWithAWarning() async throws {
        let echo = try await ServiceProcess("backoffice-echo")
        defer { echo.stop() }
        try await TestServer.withClient(echo.address) { client in
            let response = try await Echo.EchoClient(channel: client).unary(.with(payload: [1]))
            #expect(response.payload == [1])
        }
        #expect(echo.standardError.contains("no internal key: accepting calls without a gateway signature (development only)"))
    }

    @Test func healthAndMetricsOverTheWire() async throws {
        let echo = try await ServiceProcess("backoffice-echo")
        defer { echo.stop() }
        try await TestServer.withClient(echo.address) { client in
            let health = Health.HealthClient(channel: client)
            let check = try await health.check(Health.CheckRequest())
            #expect(check.status == .serving)
            #expect(check.process == "backoffice-echo")

            let calls = Echo.EchoClient(channel: client)
            for _ in 0..<5 { _ = try await calls.unary(.with()) }
            _ = try? await calls.unary(.with(failCode: .notFound, failMessage: "nope"))

            var request = Health.MetricsRequest()
            request.methodPrefix = "backoffice.echo."
            let metrics = try await health.metrics(request)
            let unary = try #require(metrics.methods.first { $0.method == "backoffice.echo.Echo/Unary" })
            #expect(unary.calls == 6)
            #expect(unary.errorsByCode["NOT_FOUND"] == 1)
            #expect(unary.bucketCounts.reduce(0, +) == 6)
        }
        // Structured logs: one JSON object per line, with the request id when a call carried one.
        let lines = echo.standardError.split(separator: "\n")
        #expect(lines.contains { $0.contains("\"msg\":\"listening\"") })
    }

    @Test func sigtermDrainsTheCallInFlightThenExitsZero() async throws {
        let echo = try await ServiceProcess("backoffice-echo")
        defer { echo.stop() }
        try await TestServer.withClient(echo.address) { client in
            // A stream of two slow responses: once the first has arrived, the call is certainly in
            // flight on the server when the signal comes.
            let firstArrived = EventProbe()
            let indices = Locked<[UInt32]>([])
            let call = Task {
                try await Echo.EchoClient(channel: client).expand(.with(payload: [4], repeat: 2, delayMillis: 400)) { response in
                    indices.withLock { $0.append(response.index) }
                    firstArrived.record("first")
                }
            }
            #expect(await firstArrived.waitFor("first", timeout: 10))
            echo.signal(SIGTERM)
            try await call.value
            #expect(indices.value == [0, 1])
        }
        let status = await echo.waitForExit(timeout: 10)
        #expect(status == 0)
        #expect(echo.standardError.contains("\"msg\":\"stopped\""))
    }
}

/// What /proc says of a process's event loop threads.
enum LoopThreads {
    /// The scheduling policy of each thread named `rpc-N`, by name (SCHED_OTHER is 0,
    /// SCHED_BATCH 3): field 41 of /proc/PID/task/TID/stat.
    static func policies(ofProcess pid: Int32) throws -> [String: Int] {
        let tasks = "/proc/\(pid)/task"
        var policies: [String: Int] = [:]
        for tid in try FileManager.default.contentsOfDirectory(atPath: tasks) {
            guard let comm = try? String(contentsOfFile: "\(tasks)/\(tid)/comm", encoding: .utf8),
                let stat = try? String(contentsOfFile: "\(tasks)/\(tid)/stat", encoding: .utf8)
            else { continue }
            let name = comm.trimmingCharacters(in: .whitespacesAndNewlines)
            guard name.hasPrefix("rpc-"), let end = stat.lastIndex(of: ")") else { continue }
            // The fields after the name, which may hold spaces, start with field 3.
            let fields = stat[stat.index(after: end)...].split(separator: " ")
            policies[name] = Int(fields[41 - 3])
        }
        return policies
    }
}
