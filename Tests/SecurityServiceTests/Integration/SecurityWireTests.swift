import AccessControl
import BackofficeAPI
import Foundation
import RPC
import Testing
import TestSupport

/// The real `backoffice-security` process over TCP: administrative flows with signed principals,
/// secrets never reaching the database files, and logins that cannot starve other calls.
@Suite(.timeLimit(.minutes(1)))
struct SecurityWireTests {
    static let password = "correct horse battery staple"

    /// An admin logged in through the wire, as the principal Authenticate returns for its token.
    static func adminPrincipal(_ harness: SecurityHarness) async throws -> (Auth.Principal, token: String) {
        try await harness.createAccount("u_admin", username: "root", password: password, roles: ["admin"])
        let login = try await harness.login("root", password)
        return (try #require(try await harness.authenticate(login.token).principal), login.token)
    }

    @Test func adminManagesRolesKeysAndReadsEvents() async throws {
        let harness = try await SecurityHarness()
        defer { Task { await harness.close() } }
        let (admin, _) = try await Self.adminPrincipal(harness)
        try await harness.createAccount("u_1", username: "carol", password: Self.password)
        let failed = await rpcError { _ = try await harness.login("carol", "wrong password 123", clientAddress: "198.51.100.77:1234") }
        #expect(failed?.code == .unauthenticated)

        let roles = Security.RolesClient(channel: harness.channel(as: admin))
        var create = Security.CreateRoleRequest()
        create.name = "support"
        create.permissions = ["users.read", "orders.read"]
        let role = try await roles.createRole(create)
        #expect(role.permissions == ["orders.read", "users.read"])
        var assign = Security.AssignRoleRequest()
        assign.userId = "u_1"
        assign.role = "support"
        #expect(try await roles.assignRole(assign).changed)
        let carol = try await harness.authenticate(try await harness.login("carol", Self.password).token).principal
        #expect(carol?.roles == ["support"])

        // Carol (support) may not create a role with what she lacks, nor assign admin.
        let carolRoles = Security.RolesClient(channel: harness.channel(as: try #require(carol)))
        create.name = "sneaky"
        create.permissions = ["security.manage"]
        let denied = await rpcError { _ = try await carolRoles.createRole(create) }
        #expect(denied?.code == .permissionDenied)
        #expect(denied?.message.contains("security.manage") == true)

        let keys = Security.ApiKeysClient(channel: harness.channel(as: admin))
        var key = Security.CreateApiKeyRequest()
        key.name = "exporter"
        key.roles = ["analyst"]
        key.expiresAtUnixMs = Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000
        let created = try await keys.createApiKey(key)
        let program = try await harness.authenticate(created.key).principal
        #expect(program?.kind == .program)
        #expect(program?.permissions == ["stats.read"])
        let listed = try await keys.listApiKeys(Security.ListApiKeysRequest())
        #expect(listed.apiKeys.map(\.keyId) == [created.apiKey?.keyId ?? "?"])
        #expect(listed.apiKeys.first?.lastUsedAtUnixMs ?? 0 > 0)

        let events = Security.SecurityEventsClient(channel: harness.channel(as: admin))
        var query = Security.ListSecurityEventsRequest()
        query.userId = "u_1"
        let page = try await events.listSecurityEvents(query)
        #expect(page.events.map(\.kind) == ["login_failed"])
        #expect(page.events.first?.clientAddress == "198.51.100.77:1234")

        // Without a principal the admin methods have no actor (here: anonymous).
        let anonymous = Security.RolesClient(channel: harness.channel(as: .anonymous))
        #expect(await rpcError { _ = try await anonymous.assignRole(assign) }?.code == .unauthenticated)
    }

    @Test func noPasswordTokenOrKeySecretReachesTheDatabaseFiles() async throws {
        let harness = try await SecurityHarness()
        defer { Task { await harness.close() } }
        let (admin, adminToken) = try await Self.adminPrincipal(harness)
        let carolPassword = "Blue Giraffe Dances 7"
        try await harness.createAccount("u_1", username: "carol", password: carolPassword)
        let carolToken = try await harness.login("carol", carolPassword).token
        var key = Security.CreateApiKeyRequest()
        key.name = "exporter"
        key.roles = ["analyst"]
        key.expiresAtUnixMs = Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000
        let apiKey = try await Security.ApiKeysClient(channel: harness.channel(as: admin)).createApiKey(key).key
        _ = try await harness.authenticate(apiKey)

        let secrets = [
            Self.password, carolPassword, adminToken, carolToken, String(adminToken.dropFirst(4)),
            String(carolToken.dropFirst(4)), apiKey, String(apiKey.suffix(43)),
        ]
        let files = try FileManager.default.contentsOfDirectory(atPath: harness.directory)
        #expect(files.contains("security.sqlite"))
        #expect(files.contains("security.sqlite-wal"))
        var scanned = 0
        for file in files {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: harness.directory + "/" + file))
            scanned += bytes.count
            for secret in secrets {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(file) contains a secret")
            }
        }
        // The scan looked at real data: the usernames are there in clear.
        let wal = try Data(contentsOf: URL(fileURLWithPath: harness.directory + "/security.sqlite-wal"))
        let main = try Data(contentsOf: URL(fileURLWithPath: harness.directory + "/security.sqlite"))
        #expect(wal.range(of: Data("carol@example.com".utf8)) != nil || main.range(of: Data("carol@example.com".utf8)) != nil)
        #expect(scanned > 10_000)
    }

    @Test func aBurstOfLoginsDoesNotStarveAuthenticate() async throws {
        let harness = try await SecurityHarness()
        defer { Task { await harness.close() } }
        try await harness.createAccount("u_1", username: "carol", password: Self.password)
        let token = try await harness.login("carol", Self.password).token
        let burst = 24
        let finished = Locked(0)
        let burstStarted = ContinuousClock.now
        let logins = Task {
            await withTaskGroup(of: Void.self) { group in
                for index in 0..<burst {
                    group.addTask {
                        _ = try? await harness.login(
                            "carol", index % 2 == 0 ? Self.password : "wrong password 123", clientAddress: "10.0.0.\(index):1")
                        finished.withLock { $0 += 1 }
                    }
                }
            }
        }
        // Wait (bounded) until the hashing pool is busy, then time cheap calls while it stays busy.
        var slowest: Duration = .zero
        var measuredDuringBurst = 0
        for _ in 0..<200 {
            let started = ContinuousClock.now
            _ = try await harness.authenticate(token)
            let took = ContinuousClock.now - started
            if finished.withLock({ $0 }) < burst {
                slowest = max(slowest, took)
                measuredDuringBurst += 1
            } else {
                break
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        await logins.value
        let burstLength = ContinuousClock.now - burstStarted
        #expect(measuredDuringBurst >= 5, "the burst ended before it could be measured")
        // Starved, Authenticate would wait behind the queued hashes (most of the burst). Judged
        // against the burst's own length, so a loaded machine slowing everything does not matter.
        #expect(
            slowest < .milliseconds(200) || slowest * 3 < burstLength,
            "Authenticate took \(slowest) during a login burst of \(burstLength)")
    }
}
