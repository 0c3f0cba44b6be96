import BackofficeAPI
import RPC
import ServiceRuntime

/// Serves `backoffice.security.Authentication` (called by the gateway for every call).
public struct AuthenticationProvider: Security.AuthenticationHandler {
    /// The state and rules the calls use.
    public let core: SecurityCore

    /// A provider over `core`.
    public init(core: SecurityCore) {
        self.core = core
    }

    public func authenticate(
        _ request: Security.AuthenticateRequest, context: ServerContext
    ) async throws -> Security.AuthenticateResponse {
        try await core.authenticate(request)
    }
}

/// Serves `backoffice.security.Sessions`: login, logout, listing and revoking sessions.
public struct SessionsProvider: Security.SessionsHandler {
    /// The state and rules the calls use.
    public let core: SecurityCore

    /// A provider over `core`.
    public init(core: SecurityCore) {
        self.core = core
    }

    public func login(_ request: Security.LoginRequest, context: ServerContext) async throws -> Security.LoginResponse {
        try await core.login(request, clientAddress: context.clientAddress)
    }

    public func logout(_ request: Security.LogoutRequest, context: ServerContext) async throws -> Security.LogoutResponse {
        try await core.logout(caller: context.principal)
    }

    public func whoAmI(_ request: Security.WhoAmIRequest, context: ServerContext) async throws -> Security.WhoAmIResponse {
        var response = Security.WhoAmIResponse()
        response.principal = try Caller.require(context.principal)
        return response
    }

    public func listMySessions(
        _ request: Security.ListMySessionsRequest, context: ServerContext
    ) async throws -> Security.ListSessionsResponse {
        try await core.mySessions(caller: context.principal)
    }

    public func revokeMySession(
        _ request: Security.RevokeMySessionRequest, context: ServerContext
    ) async throws -> Security.RevokeSessionsResponse {
        try await core.revokeMySession(request.sessionId, caller: context.principal)
    }

    public func listSessions(
        _ request: Security.ListSessionsRequest, context: ServerContext
    ) async throws -> Security.ListSessionsResponse {
        try await core.sessions(of: request.userId)
    }

    public func revokeSessions(
        _ request: Security.RevokeSessionsRequest, context: ServerContext
    ) async throws -> Security.RevokeSessionsResponse {
        try await core.revokeSessions(of: request.userId, sessionID: request.sessionId, actor: context.principal)
    }
}
