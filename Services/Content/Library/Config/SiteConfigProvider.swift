import BackofficeAPI
import RPC

/// Serves `backoffice.content.SiteConfig` from a `SiteConfigStore`.
public struct SiteConfigProvider: Content.SiteConfigHandler {
    /// The configuration.
    public let store: SiteConfigStore

    /// A provider over `store`.
    public init(store: SiteConfigStore) {
        self.store = store
    }

    public func getSiteConfig(
        _ request: Content.GetSiteConfigRequest, context: ServerContext
    ) async throws -> Content.SiteConfigSnapshot {
        try ContentAccess.authorize(context)
        return try await store.snapshot(version: request.version, publicOnly: false)
    }

    public func updateSiteConfig(
        _ request: Content.UpdateSiteConfigRequest, context: ServerContext
    ) async throws -> Content.SiteConfigSnapshot {
        let actor = try ContentAccess.authorize(context)
        return try await store.update(expectedVersion: request.expectedVersion, changes: request.changes, actor: actor)
    }

    public func listSiteConfigHistory(
        _ request: Content.ListSiteConfigHistoryRequest, context: ServerContext
    ) async throws -> Content.ListSiteConfigHistoryResponse {
        try ContentAccess.authorize(context)
        return try await store.history(pageSize: request.pageSize, pageToken: request.pageToken)
    }

    public func rollbackSiteConfig(
        _ request: Content.RollbackSiteConfigRequest, context: ServerContext
    ) async throws -> Content.SiteConfigSnapshot {
        let actor = try ContentAccess.authorize(context)
        return try await store.rollback(expectedVersion: request.expectedVersion, toVersion: request.toVersion, actor: actor)
    }
}
