import AccessControl
import BackofficeAPI
import Foundation
import RPC
import Storage

extension SecurityCore {
    /// The permission catalogue.
    public func listPermissions() -> Security.ListPermissionsResponse {
        var response = Security.ListPermissionsResponse()
        response.permissions = PermissionCatalogue.all.map { entry in
            var info = Security.PermissionInfo()
            info.name = entry.permission.rawValue
            info.summary = entry.summary
            return info
        }
        return response
    }

    /// The built-in roles, then the custom ones by name.
    public func listRoles() async throws -> Security.ListRolesResponse {
        var response = Security.ListRolesResponse()
        response.roles = BuiltInRole.allCases.map(Self.message(for:))
        response.roles += try await database.read { db in
            try db.query("SELECT * FROM roles ORDER BY name").map(Self.message(for:))
        }
        return response
    }

    /// Creates a custom role; the caller must hold every permission it grants.
    public func createRole(_ request: Security.CreateRoleRequest, caller: Auth.Principal?) async throws -> Security.Role {
        let caller = try Caller.require(caller)
        var checks = FieldChecks()
        RoleRules.checkName(request.name, field: "name", into: &checks)
        checks.limit(request.description, "description", maxLength: RoleRules.maxDescriptionLength)
        let permissions = RoleRules.permissions(request.permissions, field: "permissions", into: &checks)
        try checks.throwIfAny()
        try Caller.ensureCanGrant(permissions, caller: caller, what: "role \(request.name)")
        let time = nowMs
        return try await database.write { db in
            let taken = try db.queryOne("SELECT 1 AS yes FROM roles WHERE name = ?", [.text(request.name)]) != nil
            if taken || BuiltInRole(rawValue: request.name) != nil {
                throw RPCError(.alreadyExists, "a role named \(request.name) already exists")
            }
            try db.execute(
                """
                INSERT INTO roles (name, description, permissions, version, created_at_ms, updated_at_ms)
                VALUES (?, ?, ?, 1, ?, ?)
                """,
                [
                    .text(request.name), .text(request.description), .text(RoleDirectory.encode(permissions)),
                    .integer(time), .integer(time),
                ])
            return try Self.role(named: request.name, in: db)
        }
    }

    /// Replaces a custom role's description and permissions; the caller must hold every
    /// permission of the new set. Built-in roles cannot change.
    public func updateRole(_ request: Security.UpdateRoleRequest, caller: Auth.Principal?) async throws -> Security.Role {
        let caller = try Caller.require(caller)
        var checks = FieldChecks()
        RoleRules.checkName(request.name, field: "name", into: &checks)
        checks.limit(request.description, "description", maxLength: RoleRules.maxDescriptionLength)
        let permissions = RoleRules.permissions(request.permissions, field: "permissions", into: &checks)
        if request.expectedVersion < 0 { checks.add("expected_version", "must not be negative") }
        try checks.throwIfAny()
        try Self.ensureNotBuiltIn(request.name, action: "changed")
        try Caller.ensureCanGrant(permissions, caller: caller, what: "role \(request.name)")
        let time = nowMs
        return try await database.write { db in
            let current = try Self.role(named: request.name, in: db)
            if request.expectedVersion != 0, request.expectedVersion != current.version {
                throw RPCError(
                    .aborted, "role \(request.name) is at version \(current.version), not \(request.expectedVersion)")
            }
            try db.execute(
                "UPDATE roles SET description = ?, permissions = ?, version = version + 1, updated_at_ms = ? WHERE name = ?",
                [
                    .text(request.description), .text(RoleDirectory.encode(permissions)), .integer(time),
                    .text(request.name),
                ])
            return try Self.role(named: request.name, in: db)
        }
    }

    /// Deletes a custom role that nobody holds.
    public func deleteRole(_ request: Security.DeleteRoleRequest, caller: Auth.Principal?) async throws -> Security.DeleteRoleResponse {
        _ = try Caller.require(caller)
        var checks = FieldChecks()
        checks.require(request.name, "name", maxLength: RoleRules.maxNameLength)
        try checks.throwIfAny()
        try Self.ensureNotBuiltIn(request.name, action: "deleted")
        try await database.write { db in
            _ = try Self.role(named: request.name, in: db)
            let holders =
                try db.queryOne(
                    """
                    SELECT (SELECT count(*) FROM account_roles WHERE role = ?1)
                         + (SELECT count(*) FROM api_key_roles WHERE role = ?1) AS n
                    """, [.text(request.name)])?.int("n") ?? 0
            if holders > 0 {
                throw RPCError(
                    .failedPrecondition, "role \(request.name) is still held by \(holders) accounts or API keys; revoke it first")
            }
            try db.execute("DELETE FROM roles WHERE name = ?", [.text(request.name)])
        }
        return Security.DeleteRoleResponse()
    }

    /// Grants a role to an account; the caller must hold every permission of the role.
    public func assignRole(_ request: Security.AssignRoleRequest, caller: Auth.Principal?) async throws -> Security.AssignRoleResponse {
        let caller = try Caller.require(caller)
        try Self.checkAssignment(userID: request.userId, role: request.role)
        let changed = try await database.write { db -> Bool in
            _ = try AccountRecord.require(request.userId, in: db)
            guard let permissions = try RoleDirectory.permissions(ofRole: request.role, in: db) else {
                throw RPCError(.notFound, "no role named \(request.role)")
            }
            try Caller.ensureCanGrant(permissions, caller: caller, what: "role \(request.role)")
            return try db.execute(
                "INSERT OR IGNORE INTO account_roles (user_id, role) VALUES (?, ?)", [.text(request.userId), .text(request.role)]
            ).changes > 0
        }
        var response = Security.AssignRoleResponse()
        response.changed = changed
        return response
    }

    /// Takes a role from an account; the last active admin keeps its admin role.
    public func revokeRole(_ request: Security.RevokeRoleRequest, caller: Auth.Principal?) async throws -> Security.RevokeRoleResponse {
        _ = try Caller.require(caller)
        try Self.checkAssignment(userID: request.userId, role: request.role)
        let changed = try await database.write { db -> Bool in
            _ = try AccountRecord.require(request.userId, in: db)
            if request.role == BuiltInRole.admin.rawValue {
                try LastAdminGuard.ensureNotLastAdmin(request.userId, action: "revoke the admin role of", in: db)
            }
            return try db.execute(
                "DELETE FROM account_roles WHERE user_id = ? AND role = ?", [.text(request.userId), .text(request.role)]
            ).changes > 0
        }
        var response = Security.RevokeRoleResponse()
        response.changed = changed
        return response
    }

    /// An account's roles and permissions, and the verdict on one permission or method.
    public func effectivePermissions(
        _ request: Security.GetEffectivePermissionsRequest
    ) async throws -> Security.GetEffectivePermissionsResponse {
        var checks = FieldChecks()
        checks.identifier(request.userId, "user_id")
        checks.limit(request.permission, "permission", maxLength: 100)
        checks.limit(request.method, "method", maxLength: 200)
        if !request.permission.isEmpty, !request.method.isEmpty { checks.add("method", "give a permission or a method, not both") }
        if !request.permission.isEmpty, !PermissionCatalogue.contains(Permission(rawValue: request.permission)) {
            checks.add("permission", "is not a permission of the catalogue")
        }
        try checks.throwIfAny()
        let (account, roles, permissions) = try await database.read { db in
            let account = try AccountRecord.require(request.userId, in: db)
            let roles = try RoleDirectory.roles(ofAccount: account.userID, in: db)
            return (account, roles, try RoleDirectory.permissions(ofRoles: roles, in: db))
        }
        var response = Security.GetEffectivePermissionsResponse()
        response.userId = account.userID
        response.roles = roles
        response.permissions = permissions.map(\.rawValue).sorted()
        response.active = account.isActive
        let verdict = PermissionVerdict.explain(
            permission: request.permission.isEmpty ? nil : Permission(rawValue: request.permission),
            method: request.method.isEmpty ? nil : request.method, held: permissions, active: account.isActive)
        response.allowed = verdict.allowed
        response.missingPermission = verdict.missing?.rawValue ?? ""
        response.explanation = verdict.explanation
        return response
    }

    // MARK: - Helpers

    private static func checkAssignment(userID: String, role: String) throws(RPCError) {
        var checks = FieldChecks()
        checks.identifier(userID, "user_id")
        checks.require(role, "role", maxLength: RoleRules.maxNameLength)
        try checks.throwIfAny()
    }

    private static func ensureNotBuiltIn(_ name: String, action: String) throws(RPCError) {
        if BuiltInRole(rawValue: name) != nil {
            throw RPCError(.failedPrecondition, "\(name) is a built-in role and cannot be \(action)")
        }
    }

    /// The custom role `name`, or NOT_FOUND.
    private static func role(named name: String, in db: DatabaseConnection) throws -> Security.Role {
        guard let row = try db.queryOne("SELECT * FROM roles WHERE name = ?", [.text(name)]) else {
            throw RPCError(.notFound, "no custom role named \(name)")
        }
        return try message(for: row)
    }

    private static func message(for row: Row) throws -> Security.Role {
        var role = Security.Role()
        role.name = try row.string("name")
        role.description = try row.string("description")
        role.permissions = RoleDirectory.decode(try row.string("permissions")).map(\.rawValue).sorted()
        role.version = try row.int64("version")
        role.createdAtUnixMs = try row.int64("created_at_ms")
        role.updatedAtUnixMs = try row.int64("updated_at_ms")
        return role
    }

    private static func message(for builtIn: BuiltInRole) -> Security.Role {
        var role = Security.Role()
        role.name = builtIn.rawValue
        role.description = "built-in role"
        role.permissions = builtIn.permissions.map(\.rawValue).sorted()
        role.builtIn = true
        return role
    }
}
