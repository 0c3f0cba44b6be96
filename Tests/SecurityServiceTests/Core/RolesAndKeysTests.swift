import AccessControl
import BackofficeAPI
import Foundation
import RPC
import Testing
import TestSupport

@testable import SecurityService

/// Custom roles, assignments, effective permissions, API keys and passwords on a `SecurityCore`.
@Suite(.timeLimit(.minutes(1)))
struct RolesAndKeysTests {
    static func roleRequest(_ name: String, _ permissions: [Permission]) -> Security.CreateRoleRequest {
        var request = Security.CreateRoleRequest()
        request.name = name
        request.description = "test role"
        request.permissions = permissions.map(\.rawValue)
        return request
    }

    @Test func aRoleGrantingPermissionsItsCreatorLacksIsRefused() async throws {
        let fixture = try await SecurityCoreFixture()
        let manager = SecurityCoreFixture.staff("u_m", permissions: [.securityManage, .contentRead])
        let error = await rpcError {
            _ = try await fixture.core.createRole(Self.roleRequest("refunder", [.contentRead, .ordersRefund]), caller: manager)
        }
        #expect(error?.code == .permissionDenied)
        #expect(error?.message == "cannot grant role refunder: it includes permission orders.refund, which the caller does not hold")
        #expect(try await fixture.count("roles") == 0)

        let created = try await fixture.core.createRole(Self.roleRequest("reader", [.contentRead]), caller: manager)
        #expect(created.version == 1)
        var update = Security.UpdateRoleRequest()
        update.name = "reader"
        update.permissions = [Permission.contentRead.rawValue, Permission.usersManage.rawValue]
        let escalation = await rpcError { _ = try await fixture.core.updateRole(update, caller: manager) }
        #expect(escalation?.code == .permissionDenied)
        #expect(escalation?.message.contains("users.manage") == true)
        let listed = try await fixture.core.listRoles().roles.first { $0.name == "reader" }
        #expect(listed?.permissions == ["content.read"])
        #expect(listed?.version == 1)
    }

    @Test func assigningARoleWhosePermissionsTheCallerLacksIsRefused() async throws {
        let fixture = try await SecurityCoreFixture()
        try await fixture.createAccount("u_1", username: "carol")
        let manager = SecurityCoreFixture.staff("u_m", permissions: [.securityManage])
        var assign = Security.AssignRoleRequest()
        assign.userId = "u_1"
        assign.role = "admin"
        let error = await rpcError { _ = try await fixture.core.assignRole(assign, caller: manager) }
        #expect(error?.code == .permissionDenied)
        #expect(error?.message.contains("audit.read") == true)
        #expect(try await fixture.count("account_roles") == 0)
        // The users service (a trusted service principal) may.
        #expect(try await fixture.core.assignRole(assign, caller: SecurityCoreFixture.service).changed)
        #expect(try await fixture.core.assignRole(assign, caller: SecurityCoreFixture.service).changed == false)
    }

    @Test func builtInRolesCannotChangeAndHeldRolesCannotBeDeleted() async throws {
        let fixture = try await SecurityCoreFixture()
        let admin = try await fixture.admin()
        var update = Security.UpdateRoleRequest()
        update.name = "editor"
        #expect(await rpcError { _ = try await fixture.core.updateRole(update, caller: admin) }?.code == .failedPrecondition)
        var delete = Security.DeleteRoleRequest()
        delete.name = "admin"
        #expect(await rpcError { _ = try await fixture.core.deleteRole(delete, caller: admin) }?.code == .failedPrecondition)
        #expect(
            await rpcError { _ = try await fixture.core.createRole(Self.roleRequest("sales", []), caller: admin) }?.code
                == .alreadyExists)

        _ = try await fixture.core.createRole(Self.roleRequest("support", [.usersRead, .ordersRead]), caller: admin)
        try await fixture.createAccount("u_1", username: "carol", roles: ["support"])
        delete.name = "support"
        #expect(await rpcError { _ = try await fixture.core.deleteRole(delete, caller: admin) }?.code == .failedPrecondition)
        update.name = "support"
        update.permissions = ["users.read"]
        update.expectedVersion = 7
        #expect(await rpcError { _ = try await fixture.core.updateRole(update, caller: admin) }?.code == .aborted)
        update.expectedVersion = 1
        #expect(try await fixture.core.updateRole(update, caller: admin).version == 2)
        // The change reaches the account's principal at its next authentication.
        let session = try await fixture.login("carol")
        #expect(try await fixture.authenticate(session.token).permissions == ["users.read"])
    }

    @Test func effectivePermissionsExplainADenial() async throws {
        let fixture = try await SecurityCoreFixture()
        try await fixture.createAccount("u_1", username: "carol", roles: ["editor"])
        var request = Security.GetEffectivePermissionsRequest()
        request.userId = "u_1"
        request.method = "backoffice.security.Roles/CreateRole"
        let denied = try await fixture.core.effectivePermissions(request)
        #expect(denied.roles == ["editor"])
        #expect(!denied.allowed)
        #expect(denied.missingPermission == "security.manage")
        #expect(denied.explanation.contains("requires security.manage"))
        request.method = ""
        request.permission = "content.publish"
        #expect(try await fixture.core.effectivePermissions(request).allowed)
        request.permission = ""
        request.method = "backoffice.security.Sessions/Login"
        #expect(try await fixture.core.effectivePermissions(request).allowed)
        request.method = "backoffice.nothing.Nothing/Call"
        let unknown = try await fixture.core.effectivePermissions(request)
        #expect(!unknown.allowed && unknown.missingPermission.isEmpty)
        request.method = ""
        request.permission = "made.up"
        #expect(await rpcError { _ = try await fixture.core.effectivePermissions(request) }?.code == .invalidArgument)
    }

    @Test func apiKeysAuthenticateAsProgramsUntilRevokedOrExpired() async throws {
        let fixture = try await SecurityCoreFixture()
        let admin = try await fixture.admin()
        var create = Security.CreateApiKeyRequest()
        create.name = "nightly export"
        create.roles = ["analyst"]
        create.expiresAtUnixMs = fixture.clock.date.addingTimeInterval(3600).unixMs
        let created = try await fixture.core.createApiKey(create, caller: admin)
        #expect(created.key.hasPrefix("boa_\(created.apiKey?.keyId ?? "?")_"))
        #expect(created.apiKey?.ownerUserId == "u_admin")
        let principal = try await fixture.authenticate(created.key)
        #expect(principal.kind == .program)
        #expect(principal.permissions == ["stats.read"])
        #expect(principal.sessionId.isEmpty)
        let listed = try await fixture.core.listApiKeys().apiKeys
        #expect(listed.count == 1 && listed[0].lastUsedAtUnixMs == fixture.clock.date.unixMs)

        // A forged secret for a real id is refused.
        let forged = String(created.key.dropLast(4)) + "AAAA"
        #expect(await rpcError { _ = try await fixture.authenticate(forged) }?.code == .unauthenticated)
        fixture.clock.advance(by: 3600)
        #expect(await rpcError { _ = try await fixture.authenticate(created.key) }?.code == .unauthenticated)

        create.expiresAtUnixMs = fixture.clock.date.addingTimeInterval(3600).unixMs
        let second = try await fixture.core.createApiKey(create, caller: admin)
        var revoke = Security.RevokeApiKeyRequest()
        revoke.keyId = second.apiKey?.keyId ?? ""
        _ = try await fixture.core.revokeApiKey(revoke, caller: admin)
        #expect(await rpcError { _ = try await fixture.authenticate(second.key) }?.code == .unauthenticated)
        #expect(await rpcError { _ = try await fixture.core.revokeApiKey(revoke, caller: admin) }?.code == .notFound)

        // A key stops working while the account that created it is deactivated.
        let owner = try await fixture.admin("u_admin2", username: "root2")
        let owned = try await fixture.core.createApiKey(create, caller: owner)
        var status = Security.SetAccountStatusRequest()
        status.userId = "u_admin2"
        status.status = .deactivated
        _ = try await fixture.core.setAccountStatus(status, caller: admin)
        #expect(await rpcError { _ = try await fixture.authenticate(owned.key) }?.code == .unauthenticated)
        status.status = .active
        _ = try await fixture.core.setAccountStatus(status, caller: admin)
        #expect(try await fixture.authenticate(owned.key).subjectId == "key_" + (owned.apiKey?.keyId ?? ""))
    }

    @Test func apiKeyBadInputs() async throws {
        let fixture = try await SecurityCoreFixture()
        let analyst = SecurityCoreFixture.staff("u_a", permissions: [.securityManage, .statsRead])
        var create = Security.CreateApiKeyRequest()
        create.name = String(repeating: "k", count: 101)
        create.expiresAtUnixMs = fixture.clock.date.unixMs
        let invalid = await rpcError { _ = try await fixture.core.createApiKey(create, caller: analyst) }
        #expect(Set(invalid?.fieldViolations.map(\.field) ?? []) == ["name", "roles", "expires_at_unix_ms"])
        create.name = "k"
        create.roles = ["sales"]
        create.expiresAtUnixMs = fixture.clock.date.addingTimeInterval(60).unixMs
        let denied = await rpcError { _ = try await fixture.core.createApiKey(create, caller: analyst) }
        #expect(denied?.code == .permissionDenied)
        #expect(try await fixture.count("api_keys") == 0)
    }

    @Test func changingOwnPasswordRevokesOtherSessions() async throws {
        let fixture = try await SecurityCoreFixture()
        try await fixture.createAccount("u_1", username: "carol")
        let other = try await fixture.login("carol")
        let current = try await fixture.login("carol")
        let caller = try await fixture.authenticate(current.token)
        var change = Security.ChangePasswordRequest()
        change.currentPassword = "not my password at all"
        change.newPassword = "a brand new passphrase"
        let wrong = await rpcError { _ = try await fixture.core.changePassword(change, caller: caller) }
        #expect(wrong?.code == .invalidArgument)
        #expect(wrong?.fieldViolations.map(\.field) == ["current_password"])
        #expect(try await fixture.count("sessions") == 2)

        change.currentPassword = SecurityCoreFixture.password
        change.newPassword = "password1234"
        #expect(
            await rpcError { _ = try await fixture.core.changePassword(change, caller: caller) }?.fieldViolations.first?.field
                == "new_password")

        change.newPassword = "a brand new passphrase"
        #expect(try await fixture.core.changePassword(change, caller: caller).sessionsRevoked == 1)
        _ = try await fixture.authenticate(current.token)
        #expect(await rpcError { _ = try await fixture.authenticate(other.token) }?.code == .unauthenticated)
        #expect(await rpcError { _ = try await fixture.login("carol") }?.code == .unauthenticated)
        _ = try await fixture.login("carol", "a brand new passphrase")
    }

    @Test func guessingTheCurrentPasswordLocksTheAccount() async throws {
        let fixture = try await SecurityCoreFixture()
        try await fixture.createAccount("u_1", username: "carol")
        let caller = try await fixture.authenticate(try await fixture.login("carol").token)
        var change = Security.ChangePasswordRequest()
        change.currentPassword = "a wrong guess 0000"
        change.newPassword = "a brand new passphrase"
        for _ in 0..<5 { _ = await rpcError { _ = try await fixture.core.changePassword(change, caller: caller) } }
        change.currentPassword = SecurityCoreFixture.password
        let locked = await rpcError { _ = try await fixture.core.changePassword(change, caller: caller) }
        #expect(locked?.code == .unauthenticated)
        #expect(locked?.message == SecurityCore.lockedLoginMessage)
        #expect(try await fixture.eventKinds().filter { $0 == "password_change_failed" }.count == 5)
        #expect(try await fixture.eventKinds().contains("account_locked"))
        #expect(await rpcError { _ = try await fixture.login("carol") }?.message == SecurityCore.lockedLoginMessage)
    }

    @Test func anAdministratorResetsAPasswordAndEverySessionEnds() async throws {
        let fixture = try await SecurityCoreFixture()
        let admin = try await fixture.admin()
        try await fixture.createAccount("u_1", username: "carol")
        let session = try await fixture.login("carol")
        var reset = Security.ResetPasswordRequest()
        reset.userId = "u_1"
        reset.newPassword = "temporary passphrase 42"
        #expect(try await fixture.core.resetPassword(reset, caller: admin).sessionsRevoked == 1)
        #expect(await rpcError { _ = try await fixture.authenticate(session.token) }?.code == .unauthenticated)
        _ = try await fixture.login("carol", "temporary passphrase 42")
        #expect(await rpcError { _ = try await fixture.core.resetPassword(reset, caller: nil) }?.code == .unauthenticated)
        var events = Security.ListSecurityEventsRequest()
        events.kind = "password_reset"
        let listed = try await SecurityEventLog.list(events, in: fixture.core.database)
        #expect(listed.events.map(\.actor) == ["u_admin"])
    }

    @Test func securityEventsPageNewestFirst() async throws {
        let fixture = try await SecurityCoreFixture()
        for index in 0..<5 { _ = await rpcError { _ = try await fixture.login("nobody\(index)", "wrong password 123") } }
        var request = Security.ListSecurityEventsRequest()
        request.pageSize = 3
        let first = try await SecurityEventLog.list(request, in: fixture.core.database)
        #expect(first.events.map(\.login) == ["nobody4", "nobody3", "nobody2"])
        request.pageToken = first.nextPageToken
        let second = try await SecurityEventLog.list(request, in: fixture.core.database)
        #expect(second.events.map(\.login) == ["nobody1", "nobody0"])
        #expect(second.nextPageToken.isEmpty)
        request.pageToken = "garbage"
        #expect(await rpcError { _ = try await SecurityEventLog.list(request, in: fixture.core.database) }?.code == .invalidArgument)
    }
}
