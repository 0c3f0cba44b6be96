import BackofficeAPI
import RPC
import ServiceRuntime

/// Serves `backoffice.security.Roles`: the catalogue, custom roles and assignments.
public struct RolesProvider: Security.RolesHandler {
    /// The state and rules the calls use.
    public let core: SecurityCore

    /// A provider over `core`.
    public init(core: SecurityCore) {
        self.core = core
    }

    public func listPermissions(
        _ request: Security.ListPermissionsRequest, context: ServerContext
    ) async throws -> Security.ListPermissionsResponse {
        core.listPermissions()
    }

    public func listRoles(_ request: Security.ListRolesRequest, context: ServerContext) async throws -> Security.ListRolesResponse {
        try await core.listRoles()
    }

    public func createRole(_ request: Security.CreateRoleRequest, context: ServerContext) async throws -> Security.Role {
        try await core.createRole(request, caller: context.principal)
    }

    public func updateRole(_ request: Security.UpdateRoleRequest, context: ServerContext) async throws -> Security.Role {
        try await core.updateRole(request, caller: context.principal)
    }

    public func deleteRole(_ request: Security.DeleteRoleRequest, context: ServerContext) async throws -> Security.DeleteRoleResponse {
        try await core.deleteRole(request, caller: context.principal)
    }

    public func assignRole(_ request: Security.AssignRoleRequest, context: ServerContext) async throws -> Security.AssignRoleResponse {
        try await core.assignRole(request, caller: context.principal)
    }

    public func revokeRole(_ request: Security.RevokeRoleRequest, context: ServerContext) async throws -> Security.RevokeRoleResponse {
        try await core.revokeRole(request, caller: context.principal)
    }

    public func getEffectivePermissions(
        _ request: Security.GetEffectivePermissionsRequest, context: ServerContext
    ) async throws -> Security.GetEffectivePermissionsResponse {
        try await core.effectivePermissions(request)
    }
}
