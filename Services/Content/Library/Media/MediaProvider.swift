import BackofficeAPI
import RPC

/// Serves `backoffice.content.Media` from a `MediaLibrary`.
public struct MediaProvider: Content.MediaHandler {
    /// The library.
    public let library: MediaLibrary

    /// A provider over `library`.
    public init(library: MediaLibrary) {
        self.library = library
    }

    public func uploadMedia(
        _ requests: RequestStream<Content.UploadMediaRequest>, context: ServerContext
    ) async throws -> Content.MediaAsset {
        let actor = try ContentAccess.authorize(context)
        return try await library.upload(requests, actor: actor)
    }

    public func downloadMedia(
        _ request: Content.MediaIdRequest, responses: ResponseWriter<Content.MediaChunk>, context: ServerContext
    ) async throws {
        try ContentAccess.authorize(context)
        try await library.download(id: request.id) { chunk in try await responses.write(chunk) }
    }

    public func getMedia(_ request: Content.MediaIdRequest, context: ServerContext) async throws -> Content.MediaAsset {
        try ContentAccess.authorize(context)
        return try await library.asset(id: request.id)
    }

    public func listMedia(_ request: Content.ListMediaRequest, context: ServerContext) async throws -> Content.ListMediaResponse {
        try ContentAccess.authorize(context)
        let page = try await library.list(pageSize: request.pageSize, pageToken: request.pageToken)
        var response = Content.ListMediaResponse()
        response.assets = page.assets
        response.nextPageToken = page.nextPageToken
        return response
    }

    public func whereUsed(_ request: Content.MediaIdRequest, context: ServerContext) async throws -> Content.WhereUsedResponse {
        try ContentAccess.authorize(context)
        var response = Content.WhereUsedResponse()
        response.itemIds = try await library.whereUsed(id: request.id)
        return response
    }

    public func deleteMedia(_ request: Content.MediaIdRequest, context: ServerContext) async throws -> Content.DeleteMediaResponse {
        try ContentAccess.authorize(context)
        try await library.delete(id: request.id)
        var response = Content.DeleteMediaResponse()
        response.id = request.id
        return response
    }
}
