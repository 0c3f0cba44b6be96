import AccessControl
import BackofficeAPI
import Foundation
import RPC
import Testing
import TestSupport

/// The real `backoffice-security` process over TCP with `--internal-key`: accounts, login,
/// authentication and deactivation as the users service and the gateway use them.
@Suite(.timeLimit(.minutes(1)))
struct SecurityServiceIntegrationTests {
    static let password = "correct horse battery staple"

    @Test func createLoginAuthenticateDeactivate() async throws {
        let harness = try await SecurityHarness()
        defer { Task { await harness.close() } }
        try await harness.createAccount("u_admin", username: "alice", password: Self.password, roles: ["admin"])
        try await harness.createAccount("u_bob", username: "bob", password: Self.password, kind: .customer, roles: ["customer"])

        let login = try await harness.login("ALICE@example.com", Self.password)
        #expect(login.token.hasPrefix("bos_"))
        #expect(login.principal?.subjectId == "u_admin")
        let authenticated = try await harness.authenticate(login.token)
        let principal = try #require(authenticated.principal)
        #expect(principal.subjectId == "u_admin")
        #expect(principal.kind == .staff)
        #expect(principal.roles == ["admin"])
        #expect(principal.permissions.contains(Permission.securityManage.rawValue))
        #expect(!principal.permissions.contains(Permission.suiteInternal.rawValue))
        #expect(principal.sessionId == login.sessionId)
        #expect(authenticated.cacheForMs > 0 && authenticated.cacheForMs <= 1000)

        let bob = try await harness.login("bob", Self.password)
        var deactivate = Security.SetAccountStatusRequest()
        deactivate.userId = "u_bob"
        deactivate.status = .deactivated
        let deactivated = try await harness.accounts.setAccountStatus(deactivate)
        #expect(deactivated.sessionsRevoked == 1)
        let refused = await rpcError { _ = try await harness.authenticate(bob.token) }
        #expect(refused?.code == .unauthenticated)
        #expect(refused?.message == "invalid or expired credential")
        let loginRefused = await rpcError { _ = try await harness.login("bob", Self.password) }
        #expect(loginRefused?.code == .unauthenticated)
        #expect(loginRefused?.message == "invalid username or password")

        deactivate.status = .active
        _ = try await harness.accounts.setAccountStatus(deactivate)
        let again = try await harness.login("bob", Self.password)
        let bobPrincipal = try await harness.authenticate(again.token).principal
        #expect(bobPrincipal?.kind == .customer)
        #expect(bobPrincipal?.permissions == [])
    }

    @Test func sessionsSurviveARestartBecauseTheServerSecretIsStored() async throws {
        let harness = try await SecurityHarness()
        defer { Task { await harness.close() } }
        try await harness.createAccount("u_1", username: "carol", password: Self.password)
        let token = try await harness.login("carol", Self.password).token
        harness.process.stop()
        #expect(await harness.process.waitForExit(timeout: 10) != nil)

        let restarted = try await ServiceProcess(
            "backoffice-security", arguments: ["--listen", "127.0.0.1:0", "--data-dir", harness.directory],
            environment: ["BACKOFFICE_SECURITY_INTERNAL_KEY": harness.key.exportHex()])
        defer { restarted.stop() }
        let principal = try await TestServer.withClient(restarted.address) { client in
            var request = Security.AuthenticateRequest()
            request.credential = token
            let channel = SignedTestChannel(base: client, signer: harness.signer, principal: .service(named: "backoffice-gateway"))
            return try await Security.AuthenticationClient(channel: channel).authenticate(request).principal
        }
        #expect(principal?.subjectId == "u_1")
    }

    @Test func badAccountsAreRefusedOverTheWireAndNothingIsWritten() async throws {
        let harness = try await SecurityHarness()
        defer { Task { await harness.close() } }
        let common = await rpcError { try await harness.createAccount("u_1", username: "carol", password: "password1234", kind: .customer) }
        #expect(common?.code == .invalidArgument)
        #expect(common?.fieldViolations.map(\.field) == ["password"])
        try await harness.createAccount("u_1", username: "carol", password: Self.password, kind: .customer)
        var duplicate = Security.CreateAccountRequest()
        duplicate.userId = "u_2"
        duplicate.username = "caroline"
        duplicate.email = "CAROL@example.COM"
        duplicate.kind = .customer
        duplicate.password = Self.password
        let taken = await rpcError { _ = try await harness.accounts.createAccount(duplicate) }
        #expect(taken?.code == .alreadyExists)
        #expect(taken?.message == "the email is already in use")
        let unknown = await rpcError { _ = try await harness.login("caroline", Self.password) }
        #expect(unknown?.message == "invalid username or password")
        var roles = Security.ListAccountRolesRequest()
        roles.userIds = ["u_1", "u_2"]
        let listed = try await harness.accounts.listAccountRoles(roles)
        #expect(listed.roles.keys.sorted() == ["u_1"])
        #expect(listed.roles["u_1"]?.roles == ["customer"])
    }

    @Test func unsignedCallsAreRefused() async throws {
        let harness = try await SecurityHarness()
        defer { Task { await harness.close() } }
        var request = Security.LoginRequest()
        request.login = "nobody"
        request.password = Self.password
        let error = await rpcError { _ = try await Security.SessionsClient(channel: harness.client).login(request) }
        #expect(error?.code == .unauthenticated)
        #expect(error?.message.contains("gateway") == true)
    }
}
