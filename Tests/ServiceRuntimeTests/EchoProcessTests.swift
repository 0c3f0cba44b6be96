import BackofficeAPI
import Foundation
import RPC
import Testing
import TestSupport

/// The echo service as a real process: flags and `--help`, health and metrics over the wire, and a
/// graceful stop on SIGTERM that lets a call in flight finish.
@Suite(.timeLimit(.minutes(2)))
struct EchoProcessTests {
    @Test func helpListsEveryOptionAndExitsZero() throws {
        let result = try ServiceProcess.runToCompletion("backoffice-echo", arguments: ["--help"])
        #expect(result.status == 0)
        for option in ["--listen", "--log-level", "--max-frame-size", "--max-concurrent-calls", "--idle-timeout", "--shutdown-grace"] {
            #expect(result.stdout.contains(option), "usage lacks \(option)")
        }
        #expect(result.stdout.contains("BACKOFFICE_ECHO_LISTEN"))
    }

    @Test(arguments: [["--no-such-flag"], ["--max-frame-size", "lots"], ["--listen", "nowhere"], ["--log-level", "loud"]])
    func badFlagsAreRefusedWithStatusTwo(arguments: [String]) throws {
        let result = try ServiceProcess.runToCompletion("backoffice-echo", arguments: arguments)
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("backoffice-echo: "), "stderr: \(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test func healthAndMetricsOverTheWire() async throws {
        let echo = ServiceProcess("backoffice-echo")
        try echo.start()
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
        let echo = ServiceProcess("backoffice-echo")
        try echo.start()
        defer { echo.stop() }
        try await TestServer.withClient(echo.address) { client in
            let calls = Echo.EchoClient(channel: client)
            do {
                _ = try await calls.unary(.with())  // connected: the next call reaches the server at once
            } catch {
                Issue.record("warm-up call failed: \(error); echo running: \(echo.waitForExit(timeout: 0) == nil); stderr:\n\(echo.standardError)")
                throw error
            }
            let slow = Task { try await calls.unary(.with(payload: [4], delayMillis: 1000)) }
            try await Task.sleep(for: .milliseconds(300))
            echo.signal(SIGTERM)
            let answer = try await slow.value
            #expect(answer.payload == [4])
        }
        #expect(echo.waitForExit(timeout: 10) == 0)
        #expect(echo.standardError.contains("\"msg\":\"stopped\""))
    }
}
