import Foundation
import RPC
import Synchronization

/// One of the suite's executables started as a real process for an integration test: on a free
/// loopback port, its address read from its `LISTENING host:port` line, stopped by its pid.
public final class ServiceProcess: @unchecked Sendable {
    // @unchecked Sendable: `process` is configured before launch and then only signalled; the
    // output buffers are behind a mutex.

    /// Where the built executables are: `BACKOFFICE_BIN_DIR`, else the folder of the running test
    /// bundle (SwiftPM puts products and tests side by side).
    public static var binaryDirectory: URL {
        if let override = ProcessInfo.processInfo.environment["BACKOFFICE_BIN_DIR"] {
            return URL(fileURLWithPath: override)
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    }

    public let name: String
    private let process = Process()
    private let stdout = Pipe()
    private let stderr = Pipe()
    private let output = Mutex<(out: String, err: String)>(("", ""))

    /// The address it listens on, once `start` has returned.
    public private(set) var address = SocketAddress(host: "127.0.0.1", port: 0)
    public var pid: Int32 { process.processIdentifier }

    /// Prepares `name` (e.g. `backoffice-echo`) with `arguments`; `--listen 127.0.0.1:0` is added
    /// unless the arguments choose an address.
    public init(_ name: String, arguments: [String] = [], environment: [String: String] = [:]) {
        self.name = name
        process.executableURL = Self.binaryDirectory.appendingPathComponent(name)
        process.arguments = arguments.contains("--listen") ? arguments : arguments + ["--listen", "127.0.0.1:0"]
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { _, new in new }
        process.environment = env
        process.standardOutput = stdout
        process.standardError = stderr
    }

    /// Launches and waits (at most `timeout` seconds) for its LISTENING line.
    public func start(timeout: Double = 15) throws {
        stdout.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let text = String(decoding: handle.availableData, as: UTF8.self)
            self?.output.withLock { $0.out += text }
        }
        stderr.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let text = String(decoding: handle.availableData, as: UTF8.self)
            self?.output.withLock { $0.err += text }
        }
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let out = output.withLock { $0.out }
            if let line = out.split(separator: "\n").first(where: { $0.hasPrefix("LISTENING ") }),
                let parsed = SocketAddress(parsing: String(line.dropFirst("LISTENING ".count)))
            {
                address = parsed
                return
            }
            if !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.01)
        }
        stop()
        throw ServiceProcessError(message: "\(name) did not report LISTENING; stderr:\n\(standardError)")
    }

    /// What it wrote to standard output and standard error so far.
    public var standardOutput: String { output.withLock { $0.out } }
    public var standardError: String { output.withLock { $0.err } }

    /// Sends `signal` to this process only.
    public func signal(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// Waits at most `timeout` seconds for the process to exit; its status, or nil if still running.
    public func waitForExit(timeout: Double = 15) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// Stops it: SIGTERM, then SIGKILL if it is still there after 5 seconds.
    public func stop() {
        guard process.isRunning else { return }
        signal(SIGTERM)
        if waitForExit(timeout: 5) == nil {
            signal(SIGKILL)
            _ = waitForExit(timeout: 5)
        }
    }

    /// Runs the executable to completion with `arguments` (e.g. `--help`); its status and output.
    public static func runToCompletion(_ name: String, arguments: [String], timeout: Double = 15) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = binaryDirectory.appendingPathComponent(name)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.terminationStatus, stdout, stderr)
    }

    deinit { stop() }
}

/// A service process did not start as expected.
public struct ServiceProcessError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
