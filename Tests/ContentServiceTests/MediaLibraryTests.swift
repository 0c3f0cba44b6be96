import BackofficeAPI
import ContentService
import Foundation
import RPC
import Testing
import TestSupport

/// Uploads, de-duplication, downloads, where-used and refused uploads of the media library.
@Suite(.timeLimit(.minutes(1)))
struct MediaLibraryTests {
    struct CutOff: Error {}

    /// The requests of an upload: metadata, then `bytes` in chunks of `chunkSize`; `failAfter`
    /// chunks the stream fails instead of ending.
    static func requests(
        _ bytes: [UInt8], filename: String = "photo.png", contentType: String = "image/png", chunkSize: Int = 10_000,
        failAfter: Int? = nil, metadata: Bool = true
    ) -> AsyncThrowingStream<Content.UploadMediaRequest, any Error> {
        AsyncThrowingStream { continuation in
            var first = Content.UploadMediaRequest()
            if metadata {
                var meta = Content.UploadMetadata()
                meta.filename = filename
                meta.contentType = contentType
                meta.altText = "A photo"
                first.metadata = meta
            }
            continuation.yield(first)
            var sent = 0
            for start in stride(from: 0, to: bytes.count, by: chunkSize) {
                if let failAfter, sent == failAfter {
                    continuation.finish(throwing: CutOff())
                    return
                }
                var request = Content.UploadMediaRequest()
                request.chunk = Array(bytes[start..<min(bytes.count, start + chunkSize)])
                continuation.yield(request)
                sent += 1
            }
            continuation.finish()
        }
    }

    static func bytes(_ count: Int, seed: UInt8 = 7) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
    }

    func download(_ fixture: ContentFixture, _ id: String) async throws -> (Content.MediaAsset?, [UInt8]) {
        let collected = Locked<(Content.MediaAsset?, [UInt8])>((nil, []))
        try await fixture.media.download(id: id) { chunk in
            collected.withLock { state in
                if let asset = chunk.asset { state.0 = asset }
                state.1 += chunk.data
            }
        }
        return collected.withLock { $0 }
    }

    func leftovers(_ fixture: ContentFixture) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: fixture.media.directory + "/tmp")
    }

    @Test func uploadRecordsHashSizeAndRoundTrips() async throws {
        try await ContentFixture.with { fixture in
            let bytes = Self.bytes(50_000)
            let asset = try await fixture.media.upload(Self.requests(bytes), actor: "u-editor")
            #expect(asset.sizeBytes == 50_000)
            #expect(asset.sha256 == Self.sha256(bytes))
            #expect(asset.contentType == "image/png")
            #expect(asset.altText == "A photo")
            #expect(asset.uploadedBy == "u-editor")
            #expect(asset.url == "/media/\(asset.id)")
            let (first, downloaded) = try await download(fixture, asset.id)
            #expect(first == asset)
            #expect(downloaded == bytes)
            let temporaryFiles = try leftovers(fixture)
            #expect(temporaryFiles.isEmpty)
        }
    }

    @Test func identicalFilesAreStoredOnce() async throws {
        try await ContentFixture.with { fixture in
            let bytes = Self.bytes(20_000)
            let one = try await fixture.media.upload(Self.requests(bytes, filename: "a.png"), actor: "u")
            let two = try await fixture.media.upload(Self.requests(bytes, filename: "b.png"), actor: "u")
            #expect(one.id != two.id)
            #expect(one.sha256 == two.sha256)
            let files = try FileManager.default.contentsOfDirectory(atPath: fixture.media.directory).filter { $0 != "tmp" }
            #expect(files == [one.sha256])
            try await fixture.media.delete(id: one.id)
            #expect(FileManager.default.fileExists(atPath: fixture.media.directory + "/" + one.sha256))
            try await fixture.media.delete(id: two.id)
            #expect(!FileManager.default.fileExists(atPath: fixture.media.directory + "/" + one.sha256))
        }
    }

    @Test func uploadOverTheMaximumLeavesNothing() async throws {
        try await ContentFixture.with { fixture in
            let error = await expectRPCError(.invalidArgument) {
                try await fixture.media.upload(Self.requests(Self.bytes(64 * 1024 + 1)), actor: "u")
            }
            #expect(error?.violatedFields == ["chunk"])
            let mediaRows = try await fixture.count("content_media")
            #expect(mediaRows == 0)
            let temporaryFiles = try leftovers(fixture)
            #expect(temporaryFiles.isEmpty)
            let mediaFiles = try FileManager.default.contentsOfDirectory(atPath: fixture.media.directory)
            #expect(mediaFiles == ["tmp"])
        }
    }

    @Test func uploadCutOffMidStreamLeavesNothing() async throws {
        try await ContentFixture.with { fixture in
            do {
                _ = try await fixture.media.upload(Self.requests(Self.bytes(50_000), failAfter: 2), actor: "u")
                Issue.record("a cut-off upload succeeded")
            } catch {
                #expect(error is CutOff)
            }
            let mediaRows = try await fixture.count("content_media")
            #expect(mediaRows == 0)
            let temporaryFiles = try leftovers(fixture)
            #expect(temporaryFiles.isEmpty)
            let mediaFiles = try FileManager.default.contentsOfDirectory(atPath: fixture.media.directory)
            #expect(mediaFiles == ["tmp"])
        }
    }

    @Test func uploadWithoutMetadataOrWithBadMetadata() async throws {
        try await ContentFixture.with { fixture in
            let missing = await expectRPCError(.invalidArgument) {
                try await fixture.media.upload(Self.requests(Self.bytes(10), metadata: false), actor: "u")
            }
            #expect(missing?.violatedFields == ["metadata"])
            let bad = await expectRPCError(.invalidArgument) {
                try await fixture.media.upload(Self.requests(Self.bytes(10), filename: "a/b", contentType: "png"), actor: "u")
            }
            #expect(bad?.violatedFields == ["metadata.filename", "metadata.content_type"])
            let mediaRows = try await fixture.count("content_media")
            #expect(mediaRows == 0)
            let temporaryFiles = try leftovers(fixture)
            #expect(temporaryFiles.isEmpty)
        }
    }

    @Test func whereUsedAndDeleteRefusedWhileReferenced() async throws {
        try await ContentFixture.with { fixture in
            let asset = try await fixture.media.upload(Self.requests(Self.bytes(100)), actor: "u")
            let item = try await fixture.article("Gallery", slug: "gallery", body: "![cat](\(asset.url))")
            _ = try await fixture.article("Unrelated", slug: "unrelated")
            #expect(try await fixture.media.whereUsed(id: asset.id) == [item.id])
            let error = await expectRPCError(.failedPrecondition) { try await fixture.media.delete(id: asset.id) }
            #expect(error?.violatedFields == ["id"])
            #expect(try await fixture.media.asset(id: asset.id) == asset)
            _ = try await fixture.items.update(
                id: item.id, expectedVersion: 1, fields: .make(title: "Gallery", slug: "gallery", body: "No picture"), actor: "u")
            try await fixture.media.delete(id: asset.id)
            await expectRPCError(.notFound) { try await fixture.media.asset(id: asset.id) }
        }
    }

    @Test func openingClearsLeftoverTemporaryAndOrphanFiles() async throws {
        try await ContentFixture.with { fixture in
            let asset = try await fixture.media.upload(Self.requests(Self.bytes(100)), actor: "u")
            let directory = fixture.media.directory
            try Data([1, 2, 3]).write(to: URL(fileURLWithPath: directory + "/tmp/crashed.part"))
            try Data([4]).write(to: URL(fileURLWithPath: directory + "/" + String(repeating: "ab", count: 32)))
            _ = try await MediaLibrary.open(database: fixture.service.database, directory: directory, maxSize: 1000, clock: fixture.clock)
            let temporaryFiles = try leftovers(fixture)
            #expect(temporaryFiles.isEmpty)
            let mediaFiles = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
            #expect(mediaFiles == [asset.sha256, "tmp"].sorted())
        }
    }

    @Test func listPagesNewestFirst() async throws {
        try await ContentFixture.with { fixture in
            var ids: [String] = []
            for index in 0..<3 {
                fixture.clock.advance(byMs: 10)
                ids.append(try await fixture.media.upload(Self.requests(Self.bytes(10, seed: UInt8(index))), actor: "u").id)
            }
            let first = try await fixture.media.list(pageSize: 2, pageToken: "")
            #expect(first.assets.map(\.id) == [ids[2], ids[1]])
            let second = try await fixture.media.list(pageSize: 2, pageToken: first.nextPageToken)
            #expect(second.assets.map(\.id) == [ids[0]])
            #expect(second.nextPageToken.isEmpty)
        }
    }

    /// SHA-256 computed independently of the library (by the `sha256sum` tool's algorithm via
    /// Foundation-free code would be long; libsodium is what the library uses, so the test checks
    /// a known vector too).
    static func sha256(_ bytes: [UInt8]) -> String {
        TestSHA256.hex(bytes)
    }

    @Test func sha256OfAKnownVector() {
        #expect(TestSHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
