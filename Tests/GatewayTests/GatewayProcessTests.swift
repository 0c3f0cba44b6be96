import Foundation
import Gateway
import Testing
import TestSupport

/// The executable's flags: `--help` lists the gateway's own, and a bad route stops it at start.
@Suite(.timeLimit(.minutes(1)))
struct GatewayProcessTests {
    @Test func helpListsTheGatewaysOptions() async throws {
        let result = try await ServiceProcess.runToCompletion("backoffice-gateway", arguments: ["--help"])
        #expect(result.status == 0)
        for setting in GatewayDefaults.settings {
            #expect(result.stdout.contains("--\(setting.name)"), "usage lacks --\(setting.name)")
        }
        #expect(result.stdout.contains("BACKOFFICE_GATEWAY_ROUTES"))
    }

    @Test func aBadRouteStopsTheGatewayAtStartNamingIt() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-bad-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try await ServiceProcess.runToCompletion(
            "backoffice-gateway",
            arguments: ["--listen", "127.0.0.1:0", "--data-dir", directory.path, "--routes", "backoffice.echo=nowhere"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("bad route"))
        #expect(!result.stdout.contains("LISTENING"))
    }
}
