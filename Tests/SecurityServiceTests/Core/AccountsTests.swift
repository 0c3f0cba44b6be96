import AccessControl
import BackofficeAPI
import Foundation
import RPC
import Testing
import TestSupport

@testable import SecurityService

/// The Accounts operations and their bad inputs: each refused with a clear status and nothing written.
@Suite(.timeLimit(.minutes(1)))
struct AccountsTests {
    @Test func aDuplicateEmailInAnotherCaseIsAlreadyExists() async throws {
        let fixture = try await SecurityCoreFixture()
        try await fixture.createAccount("u_1", username: "carol", email: "carol@example.com")
        let error = await rpcError {
            try await fixture.createAccount("u_2", username: "caroline", email: "Carol@EXAMPLE.com")
        }
        #expect(error?.code == .alreadyExists)
        #expect(error?.message == "the email is already in use")
        #expect(try await fixture.count("accounts") == 1)
        let sameName = await rpcError { try await fixture.createAccount("u_3", username: "CAROL", email: "x@example.com") }
        #expect(sameName?.code == .alreadyExists)
        #expect(sameName?.message == "the username is already taken")
        let sameID = await rpcError { try await fixture.createAccount("u_1", username: "other", email: "o@example.com") }
        #expect(sameID?.code == .alreadyExists)
        #expect(try await fixture.count("accounts") == 1)
    }

    @Test func overLongFieldsAreNamed() async throws {
        let fixture = try await SecurityCoreFixture()
        var request = Security.CreateAccountRequest()
        request.userId = String(repeating: "u", count: 65)
        request.username = String(repeating: "n", count: 65)
        request.email = String(repeating: "e", count: 250) + "@x.io"
        request.displayName = String(repeating: "d", count: 201)
        request.kind = .staff
        request.password = String(repeating: "Zq9!", count: 33)
        let error = await rpcError { _ = try await fixture.core.createAccount(request, caller: SecurityCoreFixture.service) }
        #expect(error?.code == .invalidArgument)
        #expect(
            Set(error?.fieldViolations.map(\.field) ?? []) == ["user_id", "username", "email", "display_name", "password"])
        #expect(error?.fieldViolations.first { $0.field == "password" }?.description == "must be at most 128 characters long")
        #expect(try await fixture.count("accounts") == 0)
    }

    @Test func aCommonPasswordIsRefusedWithoutEchoingIt() async throws {
        let fixture = try await SecurityCoreFixture()
        let error = await rpcError { try await fixture.createAccount("u_1", username: "carol", password: "qwertyuiop123") }
        #expect(error?.code == .invalidArgument)
        #expect(error?.fieldViolations.map(\.field) == ["password"])
        #expect(error?.message.contains("too common") == true)
        #expect(error?.message.contains("qwertyuiop123") == false)
        let containsName = await rpcError {
            try await fixture.createAccount("u_1", username: "carolina", password: "my name is Carolina!")
        }
        #expect(containsName?.fieldViolations.first?.description == "must not contain the username")
        #expect(try await fixture.count("accounts") == 0)
    }

    @Test func staffRolesNeedACallerHoldingTheirPermissions() async throws {
        let fixture = try await SecurityCoreFixture()
        let noCaller = await rpcError { try await fixture.createAccount("u_1", username: "carol", roles: ["sales"], caller: nil) }
        #expect(noCaller?.code == .unauthenticated)
        let editor = SecurityCoreFixture.staff("u_ed", permissions: Array(BuiltInRole.editor.permissions))
        let denied = await rpcError { try await fixture.createAccount("u_1", username: "carol", roles: ["sales"], caller: editor) }
        #expect(denied?.code == .permissionDenied)
        #expect(denied?.message.contains("catalog.write") == true)
        #expect(try await fixture.count("accounts") == 0)
        // Customers need nobody's permission (self-registration through the users service).
        try await fixture.createAccount("u_2", username: "dave", kind: .customer, roles: ["customer"], caller: nil)
        let unknownRole = await rpcError { try await fixture.createAccount("u_3", username: "erin", roles: ["wizard"]) }
        #expect(unknownRole?.code == .invalidArgument)
    }

    @Test func aDisplayNameIsSetKeptAndCleared() async throws {
        let fixture = try await SecurityCoreFixture()
        try await fixture.createAccount("u_1", username: "carol")
        var update = Security.UpdateAccountRequest()
        update.userId = "u_1"
        update.displayName = "Carol Danvers"
        _ = try await fixture.core.updateAccount(update)
        #expect(try await fixture.login("carol").principal?.displayName == "Carol Danvers")
        // Empty fields keep what is there.
        update.displayName = ""
        update.email = "carol.d@example.com"
        _ = try await fixture.core.updateAccount(update)
        #expect(try await fixture.login("carol").principal?.displayName == "Carol Danvers")
        // Asking for both a name and its removal is refused, and changes nothing.
        update.displayName = "Captain"
        update.clearDisplayName = true
        let both = await rpcError { _ = try await fixture.core.updateAccount(update) }
        #expect(both?.code == .invalidArgument)
        #expect(both?.fieldViolations.map(\.field) == ["display_name"])
        #expect(try await fixture.login("carol").principal?.displayName == "Carol Danvers")
        update.displayName = ""
        _ = try await fixture.core.updateAccount(update)
        // Without a display name, principals name the account by its username.
        #expect(try await fixture.login("carol").principal?.displayName == "carol")
    }

    @Test func updateDeactivateAndDelete() async throws {
        let fixture = try await SecurityCoreFixture()
        let admin = try await fixture.admin()
        try await fixture.createAccount("u_1", username: "carol", roles: ["editor"])
        try await fixture.createAccount("u_2", username: "dave")
        var update = Security.UpdateAccountRequest()
        update.userId = "u_1"
        update.email = "ROOT@example.com"
        #expect(await rpcError { _ = try await fixture.core.updateAccount(update) }?.code == .alreadyExists)
        update.email = "caro@example.com"
        update.username = "caro"
        _ = try await fixture.core.updateAccount(update)
        let session = try await fixture.login("caro@example.com")
        _ = try await fixture.login("caro")

        var status = Security.SetAccountStatusRequest()
        status.userId = "u_1"
        status.status = .deactivated
        #expect(try await fixture.core.setAccountStatus(status, caller: admin).sessionsRevoked == 2)
        #expect(await rpcError { _ = try await fixture.authenticate(session.token) }?.code == .unauthenticated)

        var roles = Security.ListAccountRolesRequest()
        roles.userIds = ["u_1", "u_2", "u_none"]
        roles.holdersOfRole = "admin"
        let listed = try await fixture.core.listAccountRoles(roles)
        #expect(listed.roles.keys.sorted() == ["u_1"])
        #expect(listed.roles["u_1"]?.roles == ["editor"])
        #expect(listed.holders == ["u_admin"])

        var delete = Security.DeleteAccountRequest()
        delete.userId = "u_1"
        _ = try await fixture.core.deleteAccount(delete)
        _ = try await fixture.core.deleteAccount(delete)  // idempotent
        #expect(try await fixture.count("accounts", where: "user_id = 'u_1'") == 0)
        #expect(try await fixture.count("account_roles", where: "user_id = 'u_1'") == 0)
        #expect(try await fixture.count("sessions", where: "user_id = 'u_1'") == 0)
    }

    @Test func theLastActiveAdminCannotBeRemoved() async throws {
        let fixture = try await SecurityCoreFixture()
        let admin = try await fixture.admin()
        var status = Security.SetAccountStatusRequest()
        status.userId = "u_admin"
        status.status = .deactivated
        let deactivate = await rpcError { _ = try await fixture.core.setAccountStatus(status, caller: admin) }
        #expect(deactivate?.code == .failedPrecondition)
        #expect(deactivate?.message == "cannot deactivate u_admin: it is the last active admin")
        var delete = Security.DeleteAccountRequest()
        delete.userId = "u_admin"
        #expect(await rpcError { _ = try await fixture.core.deleteAccount(delete) }?.code == .failedPrecondition)
        var revoke = Security.RevokeRoleRequest()
        revoke.userId = "u_admin"
        revoke.role = "admin"
        let revoked = await rpcError { _ = try await fixture.core.revokeRole(revoke, caller: admin) }
        #expect(revoked?.code == .failedPrecondition)
        #expect(try await fixture.count("account_roles", where: "user_id = 'u_admin' AND role = 'admin'") == 1)
        #expect(try await fixture.count("accounts", where: "status = 1") == 1)
        #expect(try await fixture.count("sessions") == 1)

        // With a second active admin, the first can go.
        try await fixture.createAccount("u_admin2", username: "root2", roles: ["admin"])
        _ = try await fixture.core.revokeRole(revoke, caller: admin)
        #expect(try await fixture.count("account_roles", where: "role = 'admin'") == 1)
    }
}
