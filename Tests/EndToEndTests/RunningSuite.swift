import BackofficeAPI
import BackofficeCLI
import Foundation
import Glibc
import ProtoRuntime
import RPC
import TestSupport

/// The whole suite started the way an operator starts it, `backoffice up`, in a fresh data
/// folder on a free gateway port, with a known admin password; stopped with SIGTERM.
final class RunningSuite: Sendable {
    static let adminPassword = "correct horse battery staple 2026"

    let launcher: ChildProcess
    let dataDirectory: URL
    let gateway: SocketAddress
    /// From `backoffice up` starting to the gateway saying it listens.
    let startup: Duration

    /// Starts the suite and waits (at most 30 s) for the gateway's address. A free port can be
    /// taken by another process before the gateway binds it (suites start in parallel here): the
    /// launcher then refuses at once, and the start is tried again on another port.
    ///
    /// `adminPassword` nil starts without BACKOFFICE_ADMIN_PASSWORD (the password is generated);
    /// `dataDirectory` reuses a folder (a restart), else a fresh one is made.
    init(adminPassword: String? = RunningSuite.adminPassword, dataDirectory: URL? = nil) async throws {
        self.dataDirectory =
            dataDirectory ?? FileManager.default.temporaryDirectory.appendingPathComponent("suite-\(UUID().uuidString)")
        var environment = ProcessInfo.processInfo.environment
        environment["BACKOFFICE_ADMIN_PASSWORD"] = adminPassword
        var failures: [String] = []
        for _ in 0..<3 {
            let port = try LoopbackPort.free()
            let started = ContinuousClock.now
            let launcher = try ChildProcess(
                executable: ServiceProcess.binaryDirectory.appendingPathComponent("backoffice").path,
                arguments: ["up", "--data-dir", self.dataDirectory.path, "--gateway-port", String(port)],
                environment: environment)
            let marker = "backoffice: the gateway listens on 127.0.0.1:\(port)"
            let deadline = Date().addingTimeInterval(30)
            while !launcher.standardOutput.contains(marker) && launcher.exitCode == nil && Date() < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            if launcher.standardOutput.contains(marker) {
                self.launcher = launcher
                startup = ContinuousClock.now - started
                gateway = SocketAddress(host: "127.0.0.1", port: port)
                return
            }
            if launcher.exitCode == nil {
                launcher.signal(SIGTERM)
                _ = await launcher.waitForExit(timeout: 20)
            }
            failures.append("stdout:\n\(launcher.standardOutput.suffix(2000))\nstderr:\n\(launcher.standardError.suffix(2000))")
        }
        throw ChildProcessError(message: "backoffice up did not start:\n" + failures.joined(separator: "\n---\n"))
    }

    /// Waits (at most 30 s) until the users service has logged that it created the first admin,
    /// which it does in the background once security answers.
    func adminCreated() async throws {
        let launcher = self.launcher
        do {
            _ = try await eventually("the first admin", within: 30, every: .milliseconds(20)) { () -> Bool? in
                launcher.standardOutput.contains(#""msg":"administrator created""#) ? true : nil
            }
        } catch {
            throw ChildProcessError(message: "\(error); the suite said:\n\(launcher.standardOutput.suffix(3000))")
        }
    }

    /// Runs `body` with a suite started for it, and always stops the suite afterwards (also when
    /// `body` throws), waiting until every process it started is gone.
    static func with<T>(_ body: (RunningSuite) async throws -> T) async throws -> T {
        let suite = try await RunningSuite()
        do {
            let result = try await body(suite)
            _ = await suite.stop()
            return result
        } catch {
            _ = await suite.stop()
            throw error
        }
    }

    /// SIGTERM to the launcher, which stops every process; its exit status. The data folder is
    /// removed unless `keepingData`.
    func stop(keepingData: Bool = false) async -> Int32? {
        launcher.signal(SIGTERM)
        let status = await launcher.waitForExit(timeout: 30)
        if status == nil { launcher.signal(SIGKILL) }
        if !keepingData { try? FileManager.default.removeItem(at: dataDirectory) }
        return status
    }
}

/// One person or program calling through the gateway with their session.
struct Caller: Sendable {
    let channel: any RPCChannel
    let token: String?
    let userID: String

    /// Options carrying the session token.
    var options: CallOptions {
        var metadata = Metadata()
        if let token { metadata["authorization"] = "Bearer \(token)" }
        return CallOptions(timeout: .seconds(20), metadata: metadata)
    }

    /// Logs `login` in through the gateway.
    static func login(_ login: String, password: String, on channel: any RPCChannel) async throws -> Caller {
        var request = Security.LoginRequest()
        request.login = login
        request.password = password
        let response = try await Security.SessionsClient(channel: channel).login(request, options: CallOptions(timeout: .seconds(20)))
        return Caller(channel: channel, token: response.token, userID: response.principal?.subjectId ?? "")
    }
}
