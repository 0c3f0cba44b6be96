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

    /// Starts the suite and waits (at most 30 s) for the gateway's address.
    init() async throws {
        dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("suite-\(UUID().uuidString)")
        let port = try LoopbackPort.free()
        let started = ContinuousClock.now
        launcher = try ChildProcess(
            executable: ServiceProcess.binaryDirectory.appendingPathComponent("backoffice").path,
            arguments: ["up", "--data-dir", dataDirectory.path, "--gateway-port", String(port)],
            environment: ProcessInfo.processInfo.environment.merging(["BACKOFFICE_ADMIN_PASSWORD": Self.adminPassword]) { _, new in new })
        let marker = "backoffice: the gateway listens on 127.0.0.1:\(port)"
        let deadline = Date().addingTimeInterval(30)
        while !launcher.standardOutput.contains(marker) {
            guard Date() < deadline, launcher.exitCode == nil else {
                launcher.signal(SIGKILL)
                throw ChildProcessError(message: "backoffice up did not start:\n\(launcher.standardOutput.suffix(4000))")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        startup = ContinuousClock.now - started
        gateway = SocketAddress(host: "127.0.0.1", port: port)
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

    /// SIGTERM to the launcher, which stops every process; its exit status.
    func stop() async -> Int32? {
        launcher.signal(SIGTERM)
        let status = await launcher.waitForExit(timeout: 30)
        if status == nil { launcher.signal(SIGKILL) }
        try? FileManager.default.removeItem(at: dataDirectory)
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
