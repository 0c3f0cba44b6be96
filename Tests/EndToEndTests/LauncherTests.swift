import BackofficeAPI
import Foundation
import Glibc
import RPC
import Testing
import TestSupport

/// `backoffice up` as an operator meets it: quick to answer, one suite per data folder, a clean stop.
@Suite(.timeLimit(.minutes(2)))
struct LauncherTests {
    @Test func upAnswersHealthChecksRefusesASecondSuiteAndStopsCleanly() async throws {
        try await RunningSuite.with { suite in
            let gateway = RPCClient(target: suite.gateway)
            let check = Health.CheckRequest()
            let answered = ContinuousClock.now
            _ = try await eventually("the gateway's health check") { () -> Bool? in
                (try? await Health.HealthClient(channel: gateway).check(check, options: CallOptions(timeout: .seconds(2)))) != nil
                    ? true : nil
            }
            let toHealthy = suite.startup + (ContinuousClock.now - answered)
            print("backoffice up: gateway answering health checks after \(toHealthy)")
            #expect(toHealthy < .seconds(15), "far beyond the 3 s target even on a loaded machine")

            // Its processes have the internal key in their environment, never on their command line.
            let processes = try Self.processes(mentioning: suite.dataDirectory.path)
            #expect(processes.count == 6)
            for (commandLine, environment) in processes {
                #expect(!commandLine.contains("internal-key"), "\(commandLine)")
                #expect(environment.contains("_INTERNAL_KEY="), "\(commandLine)")
            }

            // A second suite on the same data folder is refused with one line, and nothing else starts.
            let second = try await ServiceProcess.runToCompletion(
                "backoffice", arguments: ["up", "--data-dir", suite.dataDirectory.path, "--gateway-port", "1"])
            #expect(second.status == 1)
            #expect(second.stderr.hasPrefix("backoffice up: \(suite.dataDirectory.path) is in use by another suite (pid "))
            #expect(second.stdout.isEmpty)

            await gateway.close()
            let status = await suite.stop()
            #expect(status == 0)
            #expect(suite.launcher.standardOutput.contains("backoffice: stopped"))
            // Every process was stopped: the gateway's port is free again.
            let probe = RPCClient(target: suite.gateway)
            let refused = await #expect(throws: RPCError.self) {
                _ = try await Health.HealthClient(channel: probe).check(check, options: CallOptions(timeout: .seconds(2)))
            }
            #expect(refused?.code == .unavailable)
            await probe.close()
        }
    }

    /// Without BACKOFFICE_ADMIN_PASSWORD the first start prints a generated password once; it
    /// works, and a restart on the same data folder prints nothing.
    @Test func aGeneratedAdminPasswordIsPrintedOnceAndWorks() async throws {
        let first = try await RunningSuite(adminPassword: nil)
        let line = try await eventually("the admin password line", within: 30) { () -> String? in
            first.launcher.standardOutput.split(separator: "\n").first { $0.contains("first start: created the user `admin`") }
                .map(String.init)
        }
        let password = try #require(line.split(separator: " ").first { $0.count >= 16 && !$0.contains("`") }.map(String.init))
        let gateway = RPCClient(target: first.gateway)
        var login = Security.LoginRequest()
        login.login = "admin"
        login.password = password
        let session = try await Security.SessionsClient(channel: gateway).login(login, options: CallOptions(timeout: .seconds(20)))
        #expect(session.principal?.roles == ["admin"])
        await gateway.close()
        #expect(await first.stop(keepingData: true) == 0)

        let second = try await RunningSuite(adminPassword: nil, dataDirectory: first.dataDirectory)
        let restarted = await second.launcher.waitForExit(timeout: 0.5)
        #expect(restarted == nil)
        #expect(!second.launcher.standardOutput.contains("first start"))
        #expect(!second.launcher.standardOutput.contains(password))
        #expect(await second.stop() == 0)
    }

    /// The command line and environment of every process whose command line names `text`.
    static func processes(mentioning text: String) throws -> [(commandLine: String, environment: String)] {
        try FileManager.default.contentsOfDirectory(atPath: "/proc").filter { $0.allSatisfy(\.isNumber) }.compactMap { pid in
            guard let commandLine = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
                let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ")
            else { return nil }
            let line = String(decoding: commandLine.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            guard line.contains(text), !line.contains("backoffice up") else { return nil }
            return (line, String(decoding: environment.map { $0 == 0 ? 0x0A : $0 }, as: UTF8.self))
        }
    }
}
