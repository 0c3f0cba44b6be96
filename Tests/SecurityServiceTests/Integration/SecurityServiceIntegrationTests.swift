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
