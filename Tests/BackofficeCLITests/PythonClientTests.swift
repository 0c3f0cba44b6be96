import Foundation
import Testing
import TestSupport

/// The Python client in Clients/python, written from docs/PROTOCOL.md with Debian's
/// python3-protobuf, run against the real servers: the wire format stays what the document says.
@Suite(.timeLimit(.minutes(1)))
struct PythonClientTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Runs `script` from Clients/python with classes `protoc --python_out` generates from every
    /// proto in Protos/ on its path.
    static func runPython(_ script: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        let generated = FileManager.default.temporaryDirectory.appendingPathComponent("python-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: generated, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: generated) }
        let protos = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("Protos").path)
            .filter { $0.hasSuffix(".proto") }.sorted()
        let protoc = try ChildProcess(
            executable: "/usr/bin/protoc",
            arguments: ["--proto_path=\(root.appendingPathComponent("Protos").path)", "--python_out=\(generated.path)"] + protos,
            environment: [:])
        let protocStatus = await protoc.waitForExit(timeout: 30)
        try #require(protocStatus == 0, "protoc failed: \(protoc.standardError)")
        let python = try ChildProcess(
            executable: "/usr/bin/python3", arguments: [root.appendingPathComponent("Clients/python/\(script)").path] + arguments,
            environment: ["PYTHONPATH": "\(generated.path):\(root.appendingPathComponent("Clients/python").path)"])
        guard let status = await python.waitForExit(timeout: 30) else {
            python.signal(SIGKILL)
            _ = await python.waitForExit(timeout: 5)
            throw ChildProcessError(message: "\(script) did not finish in 30 s")
        }
        return (status, python.standardOutput + python.standardError)
    }

    @Test func speaksEveryCallKindToARealServer() async throws {
        let echo = try await ServiceProcess("backoffice-echo")
        defer { echo.stop() }
        let result = try await Self.runPython("echo_check.py", [echo.address.host, String(echo.address.port)])
        #expect(result.status == 0, "\(result.output)")
        #expect(
            result.output
                == "unary ok\nserver streaming ok\nclient streaming ok\nerror status ok\nunknown method ok\nping ok\n")
    }
}
