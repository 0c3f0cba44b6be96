import BackofficeAPI
import RPC
import ServiceRuntime

/// Serves `backoffice.security.Accounts` (called by the users service) from a `SecurityCore`.
public struct AccountsProvider: Security.AccountsHandler {
    /// The state and rules the calls use.
    public let core: SecurityCore

    /// A provider over `core`.
    public init(core: SecurityCore) {
        self.core = core
    }

    public func createAccount(
        _ request: Security.CreateAccountRequest, context: ServerContext
    ) async throws -> Security.CreateAccountResponse {
        try await core.createAccount(request, caller: context.principal)
    }

    public func updateAccount(
        _ request: Security.UpdateAccountRequest, context: ServerContext
    ) async throws -> Security.UpdateAccountResponse {
        try await core.updateAccount(request)
    }

    public func setAccountStatus(
        _ request: Security.SetAccountStatusRequest, context: ServerContext
    ) async throws -> Security.SetAccountStatusResponse {
        try await core.setAccountStatus(request, caller: context.principal)
    }

    public func deleteAccount(
        _ request: Security.DeleteAccountRequest, context: ServerContext
    ) async throws -> Security.DeleteAccountResponse {
        try await core.deleteAccount(request)
    }

    public func listAccountRoles(
        _ request: Security.ListAccountRolesRequest, context: ServerContext
    ) async throws -> Security.ListAccountRolesResponse {
        try await core.listAccountRoles(request)
    }
}
