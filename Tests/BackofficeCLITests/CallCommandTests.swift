import Foundation
import Testing
import TestSupport

/// `backoffice call` as a user runs it: the real executable against a real echo server (which,
/// started without an internal key, accepts unsigned calls the way the gateway would forward them).
@Suite(.timeLimit(.minutes(1)))
struct CallCommandTests {
    static func call(_ arguments: [String], gateway: String) async throws -> (status: Int32, stdout: String, stderr: String) {
        let sessionFile = FileManager.default.temporaryDirectory.appendingPathComponent("cli-session-\(UUID().uuidString)")
        return try await ServiceProcess.runToCompletion(
            "backoffice", arguments: ["call"] + arguments + ["--gateway", gateway],
            environment: ["BACKOFFICE_SESSION_FILE": sessionFile.path])
    }

    @Test func unaryJSONInJSONOut() async throws {
        let echo = try await ServiceProcess("backoffice-echo")
        defer { echo.stop() }
        let result = try await Self.call(
            ["backoffice.echo.Echo/Unary", "--data", #"{"payload":"aGk=","repeat":0}"#, "--compact"],
            gateway: echo.address.description)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == #"{"payload":"aGk="}"# + "\n")
    }

    @Test func serverStreamingPrintsOneObjectPerLine() async throws {
        let echo = try await ServiceProcess("backoffice-echo")
        defer { echo.stop() }
        let result = try await Self.call(["Echo/Expand", "--data", #"{"payload":"eA==","repeat":3}"#], gateway: echo.address.description)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stdout == #"{"payload":"eA=="}"# + "\n" + #"{"payload":"eA==","index":1}"# + "\n" + #"{"payload":"eA==","index":2}"#
                + "\n")
    }

    @Test func clientStreamingTakesAnArray() async throws {
        let echo = try await ServiceProcess("backoffice-echo")
        defer { echo.stop() }
        let result = try await Self.call(
            ["Echo/Collect", "--compact", "--data", #"[{"payload":"YQ=="},{"payload":"Yg=="}]"#], gateway: echo.address.description)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == #"{"payload":"YWI=","index":2}"# + "\n")
    }

    @Test func serverErrorsPrintCodeNameAndMessage() async throws {
        let echo = try await ServiceProcess("backoffice-echo")
        defer { echo.stop() }
        let result = try await Self.call(
            ["Echo/Unary", "--data", #"{"failCode":5,"failMessage":"no such thing"}"#], gateway: echo.address.description)
        #expect(result.status == 1)
        #expect(result.stderr == "NOT_FOUND: no such thing\n")
        #expect(result.stdout.isEmpty)
    }

    /// Mistakes on the client side never reach the server: one line on stderr and a non-zero status.
    @Test(arguments: [
        (["Echo/Unary", "--data", "{"], "malformed JSON"),
        (["Echo/Unary", "--data", #"{"nope":1}"#], "nope: no such field in backoffice.echo.EchoRequest"),
        (["Echo/Unary", "--data", #"{"repeat":"many"}"#], "repeat: expected an integer"),
        (["Echo/Nope"], "unknown method Echo/Nope"),
        (["Echo/Unary", "--frobnicate"], "unknown option --frobnicate"),
    ])
    func badInputIsOneClearLine(arguments: [String], message: String) async throws {
        let result = try await Self.call(arguments, gateway: "127.0.0.1:1")
        #expect(result.status != 0)
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test func gatewayNotRunningIsUnavailable() async throws {
        let result = try await Self.call(["Echo/Unary", "--data", "{}", "--timeout", "5"], gateway: "127.0.0.1:1")
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("UNAVAILABLE: "), "\(result.stderr)")
    }
}
