import BackofficeAPI
import RPC
import ServiceRuntime

/// Serves `backoffice.security.ApiKeys`.
public struct ApiKeysProvider: Security.ApiKeysHandler {
    /// The state and rules the calls use.
    public let core: SecurityCore

    /// A provider over `core`.
    public init(core: SecurityCore) {
        self.core = core
    }

    public func createApiKey(
        _ request: Security.CreateApiKeyRequest, context: ServerContext
    ) async throws -> Security.CreateApiKeyResponse {
        try await core.createApiKey(request, caller: context.principal)
    }

    public func listApiKeys(_ request: Security.ListApiKeysRequest, context: ServerContext) async throws -> Security.ListApiKeysResponse {
        try await core.listApiKeys()
    }

    public func revokeApiKey(
        _ request: Security.RevokeApiKeyRequest, context: ServerContext
    ) async throws -> Security.RevokeApiKeyResponse {
        try await core.revokeApiKey(request, caller: context.principal)
    }
}
