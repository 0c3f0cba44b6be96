import BackofficeAPI
import Foundation
import Gateway
import RPC
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

    @Test func routesComeFromAServicesFileToo() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-file-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("services.conf")
        try "# the echo service\nbackoffice.echo = 127.0.0.1:1, 127.0.0.1:2\n".write(to: file, atomically: true, encoding: .utf8)
        let gateway = try await ServiceProcess(
            "backoffice-gateway",
            arguments: ["--data-dir", directory.path, "--services-file", file.path, "--routes", "backoffice.stats=127.0.0.1:3"])
        defer { gateway.stop() }
        let client = RPCClient(target: gateway.address)
        let listing = try await Gateway.ReflectionClient(channel: client).listServices(.init(), options: CallOptions(timeout: .seconds(5)))
        await client.close()
        let routed = Set(listing.services.filter(\.routed).map(\.name))
        #expect(routed.isSuperset(of: ["backoffice.echo.Echo", "backoffice.stats.Ingest", "backoffice.gateway.Reflection"]))
        #expect(!routed.contains("backoffice.audit.Audit"))
    }
}
