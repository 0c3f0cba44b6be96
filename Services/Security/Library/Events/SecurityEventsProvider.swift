import BackofficeAPI
import RPC

/// Serves `backoffice.security.SecurityEvents`.
public struct SecurityEventsProvider: Security.SecurityEventsHandler {
    /// The state and rules the calls use.
    public let core: SecurityCore

    /// A provider over `core`.
    public init(core: SecurityCore) {
        self.core = core
    }

    public func listSecurityEvents(
        _ request: Security.ListSecurityEventsRequest, context: ServerContext
    ) async throws -> Security.ListSecurityEventsResponse {
        try await SecurityEventLog.list(request, in: core.database)
    }
}
