import BackofficeAPI
import RPC

/// Serves `backoffice.content.Items` from an `ItemStore`. Every method first checks the caller
/// against the access policy (`ContentAccess`); the actor recorded is the caller's subject.
public struct ItemsProvider: Content.ItemsHandler {
    /// The items.
    public let store: ItemStore

    /// A provider over `store`.
    public init(store: ItemStore) {
        self.store = store
    }

    public func createItem(_ request: Content.CreateItemRequest, context: ServerContext) async throws -> Content.Item {
        let actor = try ContentAccess.authorize(context)
        return try await store.create(kind: request.kind, fields: request.fields ?? Content.ItemFields(), actor: actor)
    }

    /// By id, or by slug and locale when the id is empty.
    public func getItem(_ request: Content.GetItemRequest, context: ServerContext) async throws -> Content.Item {
        try ContentAccess.authorize(context)
        if !request.id.isEmpty { return try await store.item(id: request.id) }
        var violations: [FieldViolation] = []
        if request.slug.isEmpty { violations.append(FieldViolation(field: "slug", description: "give an id, or a slug and a locale")) }
        if !ItemValidation.isValidLocale(request.locale) {
            violations.append(FieldViolation(field: "locale", description: ItemValidation.localeRule))
        }
        guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
        return try await store.item(slug: request.slug, locale: request.locale)
    }

    public func updateItem(_ request: Content.UpdateItemRequest, context: ServerContext) async throws -> Content.Item {
        let actor = try ContentAccess.authorize(context)
        return try await store.update(
            id: request.id, expectedVersion: request.expectedVersion, fields: request.fields ?? Content.ItemFields(),
            actor: actor)
    }

    public func trashItem(_ request: Content.ItemActionRequest, context: ServerContext) async throws -> Content.Item {
        let actor = try ContentAccess.authorize(context)
        return try await store.trash(id: request.id, expectedVersion: request.expectedVersion, actor: actor)
    }

    public func restoreItem(_ request: Content.ItemActionRequest, context: ServerContext) async throws -> Content.Item {
        let actor = try ContentAccess.authorize(context)
        return try await store.restore(id: request.id, expectedVersion: request.expectedVersion, actor: actor)
    }

    public func purgeItem(
        _ request: Content.ItemActionRequest, context: ServerContext
    ) async throws -> Content.PurgeItemResponse {
        try ContentAccess.authorize(context)
        try await store.purge(id: request.id, expectedVersion: request.expectedVersion)
        var response = Content.PurgeItemResponse()
        response.id = request.id
        return response
    }

    public func searchItems(
        _ request: Content.SearchItemsRequest, context: ServerContext
    ) async throws -> Content.SearchItemsResponse {
        try ContentAccess.authorize(context)
        let page = try await store.search(request)
        var response = Content.SearchItemsResponse()
        response.items = page.items
        response.nextPageToken = page.nextPageToken
        return response
    }
}

/// Serves `backoffice.content.Revisions`.
public struct RevisionsProvider: Content.RevisionsHandler {
    /// The items.
    public let store: ItemStore

    /// A provider over `store`.
    public init(store: ItemStore) {
        self.store = store
    }

    public func listRevisions(
        _ request: Content.ListRevisionsRequest, context: ServerContext
    ) async throws -> Content.ListRevisionsResponse {
        try ContentAccess.authorize(context)
        let page = try await store.revisions(itemID: request.itemId, pageSize: request.pageSize, pageToken: request.pageToken)
        var response = Content.ListRevisionsResponse()
        response.revisions = page.revisions
        response.nextPageToken = page.nextPageToken
        return response
    }

    public func getRevision(_ request: Content.GetRevisionRequest, context: ServerContext) async throws -> Content.Revision {
        try ContentAccess.authorize(context)
        return try await store.revision(itemID: request.itemId, number: request.number)
    }

    public func compareRevisions(
        _ request: Content.CompareRevisionsRequest, context: ServerContext
    ) async throws -> Content.CompareRevisionsResponse {
        try ContentAccess.authorize(context)
        var response = Content.CompareRevisionsResponse()
        response.changes = try await store.compare(itemID: request.itemId, from: request.fromNumber, to: request.toNumber)
        return response
    }

    public func revertItem(_ request: Content.RevertItemRequest, context: ServerContext) async throws -> Content.Item {
        let actor = try ContentAccess.authorize(context)
        return try await store.revert(
            itemID: request.itemId, expectedVersion: request.expectedVersion, to: request.number, actor: actor)
    }
}

/// Serves `backoffice.content.Workflow`; a change of schedule wakes the scheduler.
public struct WorkflowProvider: Content.WorkflowHandler {
    /// The items.
    public let store: ItemStore
    /// Told about every workflow change, so that a new due time is honoured.
    public let scheduler: ContentScheduler?

    /// A provider over `store` that wakes `scheduler` after changes.
    public init(store: ItemStore, scheduler: ContentScheduler?) {
        self.store = store
        self.scheduler = scheduler
    }

    public func publishItem(_ request: Content.ItemActionRequest, context: ServerContext) async throws -> Content.Item {
        let actor = try ContentAccess.authorize(context)
        return try await store.publish(id: request.id, expectedVersion: request.expectedVersion, actor: actor)
    }

    public func scheduleItem(_ request: Content.ScheduleItemRequest, context: ServerContext) async throws -> Content.Item {
        let actor = try ContentAccess.authorize(context)
        let item = try await store.schedule(
            id: request.id, expectedVersion: request.expectedVersion, publishAt: request.publishAtUnixMs,
            unpublishAt: request.unpublishAtUnixMs, actor: actor)
        scheduler?.wake()
        return item
    }

    public func unpublishItem(_ request: Content.ItemActionRequest, context: ServerContext) async throws -> Content.Item {
        let actor = try ContentAccess.authorize(context)
        return try await store.unpublish(id: request.id, expectedVersion: request.expectedVersion, actor: actor)
    }

    public func archiveItem(_ request: Content.ItemActionRequest, context: ServerContext) async throws -> Content.Item {
        let actor = try ContentAccess.authorize(context)
        return try await store.archive(id: request.id, expectedVersion: request.expectedVersion, actor: actor)
    }
}

/// Serves `backoffice.content.PublicContent`: the front office's reads, open to everyone,
/// published items and public settings only.
public struct PublicContentProvider: Content.PublicContentHandler {
    /// The items.
    public let store: ItemStore
    /// The site configuration.
    public let configuration: SiteConfigStore

    /// A provider over `store` and `configuration`.
    public init(store: ItemStore, configuration: SiteConfigStore) {
        self.store = store
        self.configuration = configuration
    }

    public func getPublishedItem(_ request: Content.GetPublishedItemRequest, context: ServerContext) async throws -> Content.Item {
        try await store.publishedItem(slug: request.slug, locale: request.locale)
    }

    public func listPublishedItems(
        _ request: Content.ListPublishedItemsRequest, context: ServerContext
    ) async throws -> Content.ListPublishedItemsResponse {
        let page = try await store.publishedItems(request)
        var response = Content.ListPublishedItemsResponse()
        response.items = page.items
        response.nextPageToken = page.nextPageToken
        return response
    }

    public func getPublicSiteConfig(
        _ request: Content.GetPublicSiteConfigRequest, context: ServerContext
    ) async throws -> Content.SiteConfigSnapshot {
        try await configuration.snapshot(version: 0, publicOnly: true)
    }
}
