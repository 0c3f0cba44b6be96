import BackofficeAPI
import RPC
import ServiceRuntime

/// Serves `backoffice.security.Credentials`: password changes and resets, unlocks.
public struct CredentialsProvider: Security.CredentialsHandler {
    /// The state and rules the calls use.
    public let core: SecurityCore

    /// A provider over `core`.
    public init(core: SecurityCore) {
        self.core = core
    }

    public func changePassword(
        _ request: Security.ChangePasswordRequest, context: ServerContext
    ) async throws -> Security.ChangePasswordResponse {
        try await core.changePassword(request, caller: context.principal, clientAddress: context.clientAddress)
    }

    public func resetPassword(
        _ request: Security.ResetPasswordRequest, context: ServerContext
    ) async throws -> Security.ResetPasswordResponse {
        try await core.resetPassword(request, caller: context.principal)
    }

    public func unlockAccount(
        _ request: Security.UnlockAccountRequest, context: ServerContext
    ) async throws -> Security.UnlockAccountResponse {
        try await core.unlockAccount(request, caller: context.principal)
    }
}
