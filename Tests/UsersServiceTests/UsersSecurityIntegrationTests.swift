import BackofficeAPI
import Foundation
import RPC
import ServiceRuntime
import Testing
import TestSupport
import UsersService

/// Both real processes, `backoffice-security` and `backoffice-users`, sharing an internal key:
/// what users writes is what security authenticates.
@Suite(.timeLimit(.minutes(1)))
struct UsersSecurityIntegrationTests {
    /// The two processes, a client of each, and the bootstrap administrator's printed password.
    struct Suite {
        let security: ServiceProcess
        let users: ServiceProcess
        let securityClient: RPCClient
        let usersClient: RPCClient
        let adminPassword: String

        func options(_ principal: Auth.Principal, _ method: MethodDescriptor) -> CallOptions {
            .forwarding(principal, method: method, signer: UsersFixture.signer, timeout: .seconds(10))
        }

        func login(_ login: String, _ password: String) async throws -> Security.LoginResponse {
            var request = Security.LoginRequest()
            request.login = login
            request.password = password
            return try await Security.SessionsClient(channel: securityClient)
                .login(request, options: options(.anonymous, Security.SessionsService.login))
        }

        func authenticate(_ token: String) async throws -> Auth.Principal? {
            var request = Security.AuthenticateRequest()
            request.credential = token
            return try await Security.AuthenticationClient(channel: securityClient)
                .authenticate(
                    request,
                    options: options(.service(named: "backoffice-gateway"), Security.AuthenticationService.authenticate)
                ).principal
        }
    }

    static func withSuite(_ body: (Suite) async throws -> Void) async throws {
        let root = UsersFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let security = try await ServiceProcess(
            "backoffice-security", arguments: ["--data-dir", root + "/security", "--internal-key", UsersFixture.key.exportHex()])
        defer { security.stop() }
        let users = try await UsersFixture.startUsers(security: security.address, dataDirectory: root + "/users")
        defer { users.stop() }
        try await UsersFixture.waitUntil("the admin password is printed", seconds: 20) {
            users.standardOutput.contains("ADMIN PASSWORD ")
        }
        let line = try #require(users.standardOutput.split(separator: "\n").first { $0.hasPrefix("ADMIN PASSWORD ") })
        try await TestServer.withClient(security.address) { securityClient in
            try await TestServer.withClient(users.address) { usersClient in
                try await body(
                    Suite(
                        security: security, users: users, securityClient: securityClient, usersClient: usersClient,
                        adminPassword: String(line.dropFirst("ADMIN PASSWORD ".count))))
            }
        }
    }

    @Test func aRegisteredCustomerLogsInAndDeactivationEndsTheirSession() async throws {
        try await Self.withSuite { suite in
            let users = Users.UsersClient(channel: suite.usersClient)
            var register = Users.RegisterCustomerRequest()
            register.username = "rosa"
            register.email = "Rosa@Example.com"
            register.password = "a sturdy passphrase 7"
            register.displayName = "Rosa"
            let rosa = try await users.registerCustomer(
                register, options: suite.options(.anonymous, Users.UsersService.registerCustomer))

            let session = try await suite.login("rosa@example.com", "a sturdy passphrase 7")
            #expect(session.principal?.subjectId == rosa.id)
            #expect(session.principal?.kind == .customer)
            let before = try await suite.authenticate(session.token)
            #expect(before?.subjectId == rosa.id)

            // A display name removed in users is removed from her principal too.
            #expect(session.principal?.displayName == "Rosa")
            var change = Users.ProfileChange()
            change.updateMask = ["display_name"]
            var clear = Users.UpdateUserRequest()
            clear.id = rosa.id
            clear.change = change
            let adminPrincipal = try #require(try await suite.login("admin", suite.adminPassword).principal)
            _ = try await users.updateUser(clear, options: suite.options(adminPrincipal, Users.UsersService.updateUser))
            // (Without one, principals name her by her username.)
            #expect(try await suite.login("rosa", "a sturdy passphrase 7").principal?.displayName == "rosa")

            var deactivate = Users.DeactivateUserRequest()
            deactivate.id = rosa.id
            let adminSession = try await suite.login("admin", suite.adminPassword)
            let admin = try #require(adminSession.principal)
            _ = try await users.deactivate(deactivate, options: suite.options(admin, Users.UsersService.deactivate))

            let after = await UsersFixture.rpcError { _ = try await suite.authenticate(session.token) }
            #expect(after?.code == .unauthenticated)
            let relogin = await UsersFixture.rpcError { _ = try await suite.login("rosa", "a sturdy passphrase 7") }
            #expect(relogin?.code == .unauthenticated)
        }
    }

    @Test func theBootstrapAdministratorLogsInAndCreatesStaff() async throws {
        try await Self.withSuite { suite in
            let session = try await suite.login("admin", suite.adminPassword)
            let admin = try #require(session.principal)
            #expect(admin.kind == .staff)
            #expect(admin.roles == ["admin"])
            #expect(admin.permissions.contains("users.manage"))

            // Forwarded to security as the administrator, who holds every permission of "editor".
            let users = Users.UsersClient(channel: suite.usersClient)
            var staff = Users.CreateStaffRequest()
            staff.username = "sam.editor"
            staff.email = "sam@corp.example"
            staff.password = "editing all day long"
            staff.roles = ["editor"]
            let sam = try await users.createStaff(staff, options: suite.options(admin, Users.UsersService.createStaff))
            let samSession = try await suite.login("sam.editor", "editing all day long")
            #expect(samSession.principal?.subjectId == sam.id)
            #expect(samSession.principal?.roles == ["editor"])

            // A common password is refused by security's policy, and users keeps nothing.
            var weak = Users.RegisterCustomerRequest()
            weak.username = "tom"
            weak.email = "tom@example.com"
            weak.password = "password123"
            let refused = await UsersFixture.rpcError {
                _ = try await users.registerCustomer(weak, options: suite.options(.anonymous, Users.UsersService.registerCustomer))
            }
            #expect(refused?.code == .invalidArgument)
            #expect(refused?.fieldViolations.map(\.field).contains("password") == true)
            var list = Users.ListUsersRequest()
            list.text = "tom"
            let listed = try await users.listUsers(list, options: suite.options(admin, Users.UsersService.listUsers))
            #expect(listed.users.isEmpty)
        }
    }
}
