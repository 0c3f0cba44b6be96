import Foundation
import Glibc

/// The Python client in Clients/python, run the way its README says: with the classes
/// `protoc --python_out` generates from every proto in Protos/ on its path, by Debian's python3.
public enum PythonClient {
    /// The repository root.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Runs `script` from Clients/python with classes `protoc --python_out` generates from every
    /// proto in Protos/ on its path.
    public static func run(_ script: String, _ arguments: [String], input: String? = nil) async throws -> (status: Int32, output: String) {
        let generated = FileManager.default.temporaryDirectory.appendingPathComponent("python-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: generated, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: generated) }
        let protos = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("Protos").path)
            .filter { $0.hasSuffix(".proto") }.sorted()
        let protoc = try ChildProcess(
            executable: "/usr/bin/protoc",
            arguments: ["--proto_path=\(root.appendingPathComponent("Protos").path)", "--python_out=\(generated.path)"] + protos,
            environment: [:])
        guard await protoc.waitForExit(timeout: 30) == 0 else {
            throw ChildProcessError(message: "protoc failed: \(protoc.standardError)")
        }
        let python = try ChildProcess(
            executable: "/usr/bin/python3", arguments: [root.appendingPathComponent("Clients/python/\(script)").path] + arguments,
            environment: ["PYTHONPATH": "\(generated.path):\(root.appendingPathComponent("Clients/python").path)"],
            input: input.map { Array($0.utf8) })
        guard let status = await python.waitForExit(timeout: 30) else {
            python.signal(SIGKILL)
            _ = await python.waitForExit(timeout: 5)
            throw ChildProcessError(message: "\(script) did not finish in 30 s")
        }
        return (status, python.standardOutput + python.standardError)
    }
}
