import Foundation
import Testing
import TestSupport

/// docs/CONFIGURATION.md shows each executable's `--help` exactly, so the reference cannot drift
/// from the flags the executables really take (regenerate with Scripts/configuration-doc.sh).
@Suite(.timeLimit(.minutes(1)))
struct ConfigurationDocTests {
    static let executables = [
        "backoffice", "backoffice-gateway", "backoffice-security", "backoffice-users", "backoffice-content",
        "backoffice-orders", "backoffice-stats", "backoffice-echo",
    ]

    static let subcommands = [
        "up", "login", "logout", "whoami", "services", "describe", "call", "users list", "users create", "content list",
        "content publish", "orders list", "orders show", "stats summary", "audit list", "backup", "restore",
    ]

    @Test(arguments: subcommands)
    func theReferenceShowsEverySubcommandsHelp(subcommand: String) async throws {
        let document = try String(
            contentsOf: PythonClient.root.appendingPathComponent("docs/CONFIGURATION.md"), encoding: .utf8)
        let help = try await ServiceProcess.runToCompletion(
            "backoffice", arguments: subcommand.split(separator: " ").map(String.init) + ["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.hasPrefix("Usage: backoffice \(subcommand)"), "\(help.stdout)")
        #expect(
            document.contains("### backoffice \(subcommand)\n\n```\n\(help.stdout)```\n"),
            "docs/CONFIGURATION.md is stale for backoffice \(subcommand): run Scripts/configuration-doc.sh")
    }

    @Test(arguments: executables)
    func theReferenceShowsTheCurrentHelp(executable: String) async throws {
        let document = try String(
            contentsOf: PythonClient.root.appendingPathComponent("docs/CONFIGURATION.md"), encoding: .utf8)
        let help = try await ServiceProcess.runToCompletion(executable, arguments: ["--help"])
        #expect(help.status == 0)
        #expect(
            document.contains("## \(executable)\n\n```\n\(help.stdout)```\n"),
            "docs/CONFIGURATION.md is stale for \(executable): run Scripts/configuration-doc.sh")
    }
}
