import Foundation
import Glibc
import RPC
import Synchronization

/// One of the suite's executables started as a real process for an integration test: on a free
/// loopback port, its address read from its `LISTENING host:port` line, stopped by its pid.
public final class ServiceProcess: Sendable {
    /// Where the built executables are: `BACKOFFICE_BIN_DIR`, else the folder of the running test
    /// bundle (SwiftPM puts products and tests side by side).
    public static var binaryDirectory: URL {
        if let override = ProcessInfo.processInfo.environment["BACKOFFICE_BIN_DIR"] {
            return URL(fileURLWithPath: override)
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    }

    public let name: String
    private let child: ChildProcess
    /// The address it listens on.
    public let address: SocketAddress

    /// Starts `name` (e.g. `backoffice-echo`) with `arguments` (`--listen 127.0.0.1:0` is added
    /// unless they choose an address) and waits at most `timeout` seconds for its LISTENING line.
    public init(_ name: String, arguments: [String] = [], environment: [String: String] = [:], timeout: Double = 15) async throws {
        self.name = name
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { _, new in new }
        let arguments = arguments.contains("--listen") ? arguments : arguments + ["--listen", "127.0.0.1:0"]
        child = try ChildProcess(
            executable: Self.binaryDirectory.appendingPathComponent(name).path, arguments: arguments, environment: env)
        StartedChildren.keep(child)
        let deadline = Date().addingTimeInterval(timeout)
        var found: SocketAddress?
        while found == nil && Date() < deadline && child.exitCode == nil {
            found =
                child.standardOutput.split(separator: "\n").lazy
                .filter { $0.hasPrefix("LISTENING ") }
                .compactMap { SocketAddress(parsing: String($0.dropFirst("LISTENING ".count))) }
                .first
            if found == nil { try? await Task.sleep(for: .milliseconds(5)) }
        }
        guard let found else {
            child.signal(SIGKILL)
            _ = await child.waitForExit(timeout: 5)
            throw ServiceProcessError(message: "\(name) did not report LISTENING; stderr:\n\(child.standardError)")
        }
        address = found
    }

    public var pid: Int32 { child.pid }
    /// What it wrote to standard output and standard error so far.
    public var standardOutput: String { child.standardOutput }
    public var standardError: String { child.standardError }

    /// Sends `signal` to this process only.
    public func signal(_ signal: Int32) { child.signal(signal) }

    /// Waits at most `timeout` seconds for the process to exit; its status, or nil if still running.
    public func waitForExit(timeout: Double = 15) async -> Int32? { await child.waitForExit(timeout: timeout) }

    /// Stops it without waiting: SIGTERM, then SIGKILL if it is still there after 5 seconds.
    public func stop() { child.terminate() }

    /// Runs the executable to completion with `arguments` (e.g. `--help`); its status and output.
    /// `environment` is added to the test process's own; `input` is its standard input.
    public static func runToCompletion(
        _ name: String, arguments: [String], environment: [String: String] = [:], input: String? = nil,
        timeout: Double = 15
    ) async throws -> (status: Int32, stdout: String, stderr: String) {
        let child = try ChildProcess(
            executable: binaryDirectory.appendingPathComponent(name).path, arguments: arguments,
            environment: ProcessInfo.processInfo.environment.merging(environment) { _, new in new },
            input: input.map { Array($0.utf8) })
        guard let status = await child.waitForExit(timeout: timeout) else {
            child.signal(SIGKILL)
            _ = await child.waitForExit(timeout: 5)
            throw ServiceProcessError(message: "\(name) \(arguments) did not finish within \(timeout) s")
        }
        return (status, child.standardOutput, child.standardError)
    }

    deinit { stop() }
}

/// A service process did not start or stop as expected.
public struct ServiceProcessError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Every process the tests started, until it has exited. When the test process exits, any of
/// them still running is killed (SIGKILL, by its pid, only while it is known not to have exited),
/// so that a child that did not answer its SIGTERM is not left behind: `stop()` does not wait,
/// and its SIGKILL five seconds later dies with the test process.
private enum StartedChildren {
    private static let running = Mutex<[ChildProcess]>([])
    private static let killAtExit: Void = {
        atexit { StartedChildren.killRunning() }
    }()

    static func keep(_ child: ChildProcess) {
        _ = killAtExit
        running.withLock { children in
            children.removeAll { $0.exitCode != nil }
            children.append(child)
        }
    }

    private static func killRunning() {
        for child in running.withLock({ $0 }) where child.exitCode == nil { child.signal(SIGKILL) }
    }
}
