import BackofficeAPI
import Foundation
import Glibc
import RPC
import Storage

/// The media library: files under `<data-dir>/media/`, named by their SHA-256 (identical bytes are
/// stored once however many assets share them), described by rows of `content_media`.
///
/// An upload is written to `media/tmp/` while it streams, hashed on the way, fsynced, and renamed
/// into place in the same database transaction that records the asset; a failed, cancelled or
/// oversized upload deletes its temporary file, and `open` clears `media/tmp/` and any file no
/// asset names, so nothing half-written survives a crash either.
///
/// "Where used": an item uses an asset when its body, summary, SEO title or SEO description
/// contains the asset's id (which its URL `/media/<id>` contains too), trashed items included.
/// Deleting a used asset is FAILED_PRECONDITION.
public final class MediaLibrary: Sendable {
    /// Bytes per chunk of a download.
    public static let downloadChunkSize = 256 * 1024

    /// The content database.
    public let database: Database
    /// `<data-dir>/media`.
    public let directory: String
    /// Largest file accepted, in bytes (`--max-media-size`).
    public let maxSize: Int
    private let clock: any ContentClock

    var temporaryDirectory: String { directory + "/tmp" }

    private init(database: Database, directory: String, maxSize: Int, clock: any ContentClock) {
        self.database = database
        self.directory = directory
        self.maxSize = maxSize
        self.clock = clock
    }

    /// The library in `directory` (created when missing), after clearing leftovers of interrupted
    /// uploads and files no asset names.
    public static func open(
        database: Database, directory: String, maxSize: Int, clock: any ContentClock
    ) async throws -> MediaLibrary {
        let library = MediaLibrary(database: database, directory: directory, maxSize: maxSize, clock: clock)
        let files = FileManager.default
        try files.createDirectory(atPath: library.temporaryDirectory, withIntermediateDirectories: true)
        for name in try files.contentsOfDirectory(atPath: library.temporaryDirectory) {
            try? files.removeItem(atPath: library.temporaryDirectory + "/" + name)
        }
        let known = try await database.read { db in
            Set(try db.query("SELECT DISTINCT sha256 FROM content_media").map { try $0.string("sha256") })
        }
        for name in try files.contentsOfDirectory(atPath: directory) where name != "tmp" && !known.contains(name) {
            try? files.removeItem(atPath: directory + "/" + name)
        }
        return library
    }

    func blobPath(_ sha256: String) -> String { directory + "/" + sha256 }

    // MARK: - Upload

    /// Stores the upload `requests` carry: the first message holds the metadata, every message
    /// may hold a chunk. Refuses (and leaves nothing behind) a missing or invalid metadata, a file
    /// over `maxSize`, and a stream that fails midway.
    public func upload<Requests: AsyncSequence>(
        _ requests: Requests, actor: String
    ) async throws -> Content.MediaAsset where Requests.Element == Content.UploadMediaRequest {
        var iterator = requests.makeAsyncIterator()
        guard let first = try await iterator.next(), let metadata = first.metadata else {
            throw RPCError.invalidArgument([
                FieldViolation(field: "metadata", description: "the first message must carry the file's metadata")
            ])
        }
        let violations = Self.violations(of: metadata)
        guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
        let file = try TemporaryUpload(directory: temporaryDirectory, maxSize: maxSize)
        do {
            try file.append(first.chunk)
            while let request = try await iterator.next() {
                if request.metadata != nil {
                    throw RPCError.invalidArgument([
                        FieldViolation(field: "metadata", description: "only the first message may carry metadata")
                    ])
                }
                try file.append(request.chunk)
            }
            let (sha256, size) = try file.finish()
            var asset = Content.MediaAsset()
            asset.id = ContentID.make(prefix: "med_")
            asset.filename = metadata.filename
            asset.contentType = metadata.contentType.lowercased()
            asset.altText = metadata.altText
            asset.sizeBytes = Int64(size)
            asset.sha256 = sha256
            asset.uploadedBy = actor
            asset.createdAtUnixMs = clock.nowUnixMs()
            asset.url = "/media/" + asset.id
            let blob = blobPath(sha256)
            let temporaryPath = file.path
            let directory = directory
            try await database.write { [asset] db in
                try db.execute(
                    """
                    INSERT INTO content_media (id, filename, content_type, alt_text, size_bytes, sha256, uploaded_by,
                        created_at_unix_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    [
                        .text(asset.id), .text(asset.filename), .text(asset.contentType), .text(asset.altText),
                        .integer(asset.sizeBytes), .text(asset.sha256), .text(asset.uploadedBy), .integer(asset.createdAtUnixMs),
                    ])
                if access(blob, F_OK) != 0 {
                    guard rename(temporaryPath, blob) == 0 else {
                        throw RPCError(.internalError, "cannot store the file: \(String(cString: strerror(errno)))")
                    }
                    TemporaryUpload.syncDirectory(directory)
                }
            }
            file.discard()
            return asset
        } catch {
            file.discard()
            throw error
        }
    }

    static func violations(of metadata: Content.UploadMetadata) -> [FieldViolation] {
        var violations: [FieldViolation] = []
        let name = metadata.filename
        if name.isEmpty || name.count > 255 || name.contains("/") || name.contains("\0") || name == "." || name == ".." {
            violations.append(
                FieldViolation(field: "metadata.filename", description: "must be 1 to 255 characters without / or NUL"))
        }
        if !isValidContentType(metadata.contentType) {
            violations.append(
                FieldViolation(field: "metadata.content_type", description: "must be a media type such as image/png"))
        }
        if metadata.altText.count > 1000 {
            violations.append(FieldViolation(field: "metadata.alt_text", description: "must be at most 1000 characters"))
        }
        return violations
    }

    /// `type/subtype` with RFC 6838 characters, optionally followed by parameters.
    static func isValidContentType(_ text: String) -> Bool {
        let essence = text.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
        let parts = essence.trimmingCharacters(in: .whitespaces).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, text.count <= 255 else { return false }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$&^_.+-")
        return parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(allowed.contains) }
    }

    // MARK: - Reading

    /// The asset with `id`, or NOT_FOUND.
    public func asset(id: String) async throws -> Content.MediaAsset {
        let row = try await database.read { db in
            try db.queryOne("SELECT * FROM content_media WHERE id = ?", [.text(id)])
        }
        guard let row else { throw RPCError(.notFound, "no media asset \(id)") }
        return try Self.asset(from: row)
    }

    /// One page of assets, newest first.
    public func list(pageSize: Int32, pageToken: String) async throws -> (assets: [Content.MediaAsset], nextPageToken: String) {
        let window = try PageToken.window(token: pageToken, pageSize: pageSize)
        let rows = try await database.read { db in
            try db.query(
                "SELECT * FROM content_media ORDER BY created_at_unix_ms DESC, id LIMIT ? OFFSET ?",
                [.integer(Int64(window.size + 1)), .integer(Int64(window.offset))])
        }
        let assets = try rows.prefix(window.size).map(Self.asset(from:))
        return (assets, PageToken.next(offset: window.offset, size: window.size, fetched: rows.count))
    }

    /// Sends the asset's bytes in chunks of `downloadChunkSize`; the first call of `send` also
    /// carries the asset.
    public func download(id: String, send: (Content.MediaChunk) async throws -> Void) async throws {
        let asset = try await asset(id: id)
        let descriptor = Glibc.open(blobPath(asset.sha256), O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw RPCError(.dataLoss, "the file of media asset \(id) is missing") }
        defer { close(descriptor) }
        var chunk = Content.MediaChunk()
        chunk.asset = asset
        var buffer = [UInt8](repeating: 0, count: Self.downloadChunkSize)
        var sentAny = false
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count >= 0 else { throw RPCError(.dataLoss, "cannot read the file of media asset \(id)") }
            if count == 0 { break }
            chunk.data = Array(buffer[0..<count])
            try await send(chunk)
            chunk.asset = nil
            sentAny = true
        }
        if !sentAny { try await send(chunk) }
    }

    /// The items that use the asset (see the type's comment), sorted by id.
    public func whereUsed(id: String) async throws -> [String] {
        _ = try await asset(id: id)
        return try await database.read { db in try Self.users(of: id, db: db) }
    }

    /// Deletes an asset no item uses, and its file when no other asset shares it.
    public func delete(id: String) async throws {
        let blobPath = blobPath
        try await database.write { db in
            guard let row = try db.queryOne("SELECT sha256 FROM content_media WHERE id = ?", [.text(id)]) else {
                throw RPCError(.notFound, "no media asset \(id)")
            }
            let users = try Self.users(of: id, db: db)
            guard users.isEmpty else {
                throw RPCError(
                    .failedPrecondition, "media asset \(id) is used by \(users.joined(separator: ", "))",
                    fieldViolations: [FieldViolation(field: "id", description: "is used by \(users.joined(separator: ", "))")])
            }
            let sha256 = try row.string("sha256")
            try db.execute("DELETE FROM content_media WHERE id = ?", [.text(id)])
            if try db.queryOne("SELECT 1 FROM content_media WHERE sha256 = ?", [.text(sha256)]) == nil {
                unlink(blobPath(sha256))
            }
        }
    }

    private static func users(of id: String, db: DatabaseConnection) throws -> [String] {
        try db.query(
            """
            SELECT id FROM content_items WHERE instr(body, ?1) > 0 OR instr(summary, ?1) > 0
                OR instr(seo_title, ?1) > 0 OR instr(seo_description, ?1) > 0 ORDER BY id
            """, [.text(id)]
        ).map { try $0.string("id") }
    }

    private static func asset(from row: Row) throws -> Content.MediaAsset {
        var asset = Content.MediaAsset()
        asset.id = try row.string("id")
        asset.filename = try row.string("filename")
        asset.contentType = try row.string("content_type")
        asset.altText = try row.string("alt_text")
        asset.sizeBytes = try row.int64("size_bytes")
        asset.sha256 = try row.string("sha256")
        asset.uploadedBy = try row.string("uploaded_by")
        asset.createdAtUnixMs = try row.int64("created_at_unix_ms")
        asset.url = "/media/" + asset.id
        return asset
    }
}
