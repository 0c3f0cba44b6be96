import BackofficeCLI
import Foundation
import Testing

/// What `backoffice up` starts: every process, tied together, the internal key kept off command lines.
@Suite struct SuitePlanTests {
    static func plan() throws -> SuitePlan {
        var next = 7300
        return SuitePlan(
            dataDirectory: URL(fileURLWithPath: "/data"), gatewayPort: 7000, internalKeyHex: String(repeating: "ab", count: 32)
        ) {
            next += 1
            return next
        }
    }

    @Test func servicesFirstThenTheGatewayRoutingEveryPackage() throws {
        let plan = try Self.plan()
        #expect(plan.members.map(\.name) == ["security", "users", "stats", "orders", "content", "gateway"])
        #expect(plan.gatewayAddress == "127.0.0.1:7000")
        let gateway = try #require(plan.members.last)
        let routes = try #require(gateway.arguments.firstIndex(of: "--routes").map { gateway.arguments[$0 + 1] })
        for package in ["security", "audit", "users", "stats", "orders", "content"] {
            #expect(routes.contains("backoffice.\(package)=127.0.0.1:"), "\(package) is not routed")
        }
        let users = try #require(plan.members.first { $0.name == "users" })
        #expect(users.arguments.contains("--security"))
    }

    @Test func theInternalKeyTravelsInTheEnvironmentOnly() throws {
        for member in try Self.plan().members {
            #expect(!member.arguments.contains { $0.contains("internal-key") || $0.contains("abab") }, "\(member.name)")
            let variable = "BACKOFFICE_\(member.executable.dropFirst("backoffice-".count).uppercased())_INTERNAL_KEY"
            #expect(member.environment == [variable: String(repeating: "ab", count: 32)])
        }
    }
}
