import AccessControl
import BackofficeAPI
import Crypto
import Foundation
import Glibc
import RPC
import ServiceRuntime
import Testing
import TestSupport

/// `backoffice-content` as a real process over TCP, with gateway-signed calls.
@Suite(.timeLimit(.minutes(1)))
struct ContentProcessTests {
    /// A running content service with its data directory, internal key and signer.
    struct Running {
        let process: ServiceProcess
        let signer: PrincipalSigner
        let directory: String

        /// Options signing a call to `method` as `principal`.
        func options(_ principal: Auth.Principal, _ method: MethodDescriptor) -> CallOptions {
            CallOptions.forwarding(principal, method: method, signer: signer, timeout: .seconds(20))
        }
    }

    static let editor = principal("u-editor", [.contentRead, .contentWrite])
    static let publisher = principal("u-publisher", [.contentRead, .contentWrite, .contentPublish])

    static func principal(_ subject: String, _ permissions: [Permission]) -> Auth.Principal {
        var principal = Auth.Principal()
        principal.subjectId = subject
        principal.kind = .staff
        principal.permissions = permissions.map(\.rawValue)
        return principal
    }

    static func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("content-process-\(UUID().uuidString)").path
    }

    /// Starts the executable on `directory` with `key`.
    static func start(directory: String, key: SecretKey, extra: [String] = []) async throws -> Running {
        let process = try await ServiceProcess(
            "backoffice-content",
            arguments: ["--data-dir", directory, "--internal-key", key.exportHex(), "--log-level", "warn"] + extra)
        return Running(process: process, signer: PrincipalSigner(key: key), directory: directory)
    }

    /// Runs `body` against a fresh process and client; stops the process afterwards.
    static func withService(
        extra: [String] = [], _ body: (Running, RPCClient) async throws -> Void
    ) async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let running = try await start(directory: directory, key: .random(), extra: extra)
        defer { running.process.stop() }
        try await TestServer.withClient(running.process.address) { client in try await body(running, client) }
        running.process.stop()
        _ = await running.process.waitForExit()
    }

    static func createRequest(_ title: String, slug: String) -> Content.CreateItemRequest {
        var request = Content.CreateItemRequest()
        request.kind = .page
        request.fields = .make(title: title, slug: slug, body: "Hello")
        return request
    }

    static func action(_ item: Content.Item) -> Content.ItemActionRequest {
        var request = Content.ItemActionRequest()
        request.id = item.id
        request.expectedVersion = item.version
        return request
    }

    static func publicRead(slug: String) -> Content.GetPublishedItemRequest {
        var request = Content.GetPublishedItemRequest()
        request.slug = slug
        request.locale = "en"
        return request
    }

    @Test func helpDocumentsTheLimits() async throws {
        let result = try await ServiceProcess.runToCompletion("backoffice-content", arguments: ["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("--max-media-size"))
        #expect(result.stdout.contains("--max-body-size"))
        #expect(result.stdout.contains("BACKOFFICE_CONTENT_DATA_DIR"))
    }

    @Test func writingAndPublishingAreSeparatePermissions() async throws {
        try await Self.withService { service, client in
            let items = Content.ItemsClient(channel: client)
            let workflow = Content.WorkflowClient(channel: client)
            let front = Content.PublicContentClient(channel: client)
            let item = try await items.createItem(
                Self.createRequest("Launch", slug: "launch"), options: service.options(Self.editor, Content.ItemsService.createItem))
            #expect(item.authorId == "u-editor")

            // Unsigned: refused before anything runs.
            await expectRPCError(.unauthenticated) { try await items.createItem(Self.createRequest("X", slug: "x")) }
            // The editor may write but not publish: PERMISSION_DENIED, and the item is unchanged.
            let denied = await expectRPCError(.permissionDenied) {
                try await workflow.publishItem(
                    Self.action(item), options: service.options(Self.editor, Content.WorkflowService.publishItem))
            }
            #expect(denied?.message.contains("content.publish") == true)
            var get = Content.GetItemRequest()
            get.id = item.id
            let unchanged = try await items.getItem(get, options: service.options(Self.editor, Content.ItemsService.getItem))
            #expect(unchanged.version == 1)
            #expect(unchanged.status == .draft)

            // The draft is invisible to the front office.
            let anonymous = service.options(Auth.Principal.anonymous, Content.PublicContentService.getPublishedItem)
            let hidden = await expectRPCError(.notFound) {
                try await front.getPublishedItem(Self.publicRead(slug: "launch"), options: anonymous)
            }
            #expect(hidden?.message.contains("launch") == true)
            // An anonymous caller cannot use the back-office methods.
            await expectRPCError(.unauthenticated) {
                try await items.getItem(get, options: service.options(Auth.Principal.anonymous, Content.ItemsService.getItem))
            }

            let published = try await workflow.publishItem(
                Self.action(item), options: service.options(Self.publisher, Content.WorkflowService.publishItem))
            #expect(published.status == .published)
            #expect(published.updatedBy == "u-publisher")
            let read = try await front.getPublishedItem(
                Self.publicRead(slug: "launch"),
                options: service.options(Auth.Principal.anonymous, Content.PublicContentService.getPublishedItem))
            #expect(read.id == item.id)
            #expect(read.fields?.body == "Hello")

            let config = try await front.getPublicSiteConfig(
                Content.GetPublicSiteConfigRequest(),
                options: service.options(Auth.Principal.anonymous, Content.PublicContentService.getPublicSiteConfig))
            #expect(config.settings.contains { $0.key == "site.name" })
            #expect(!config.settings.contains { $0.key == "smtp.host" })
        }
    }

    @Test func aStaleVersionOverTheWireIsAbortedAndWritesNothing() async throws {
        try await Self.withService { service, client in
            let items = Content.ItemsClient(channel: client)
            let item = try await items.createItem(
                Self.createRequest("Page", slug: "page"), options: service.options(Self.editor, Content.ItemsService.createItem))
            var update = Content.UpdateItemRequest()
            update.id = item.id
            update.expectedVersion = 1
            update.fields = .make(title: "First edit", slug: "page")
            let options = service.options(Self.editor, Content.ItemsService.updateItem)
            _ = try await items.updateItem(update, options: options)
            update.fields = .make(title: "Lost edit", slug: "page")
            let error = await expectRPCError(.aborted) { try await items.updateItem(update, options: options) }
            #expect(error?.violatedFields == ["expected_version"])
            var get = Content.GetItemRequest()
            get.slug = "page"
            get.locale = "en"
            let current = try await items.getItem(get, options: service.options(Self.editor, Content.ItemsService.getItem))
            #expect(current.version == 2)
            #expect(current.fields?.title == "First edit")
        }
    }

    @Test func aBodyOverTheFlagLimitIsRefusedAndNothingIsWritten() async throws {
        try await Self.withService(extra: ["--max-body-size", "1KiB"]) { service, client in
            let items = Content.ItemsClient(channel: client)
            var request = Self.createRequest("Long", slug: "long")
            request.fields?.body = String(repeating: "x", count: 1025)
            let error = await expectRPCError(.invalidArgument) {
                try await items.createItem(request, options: service.options(Self.editor, Content.ItemsService.createItem))
            }
            #expect(error?.violatedFields == ["fields.body"])
            var search = Content.SearchItemsRequest()
            search.pageSize = 10
            let found = try await items.searchItems(search, options: service.options(Self.editor, Content.ItemsService.searchItems))
            #expect(found.items.isEmpty)
            request.fields?.body = String(repeating: "x", count: 1024)
            let created = try await items.createItem(request, options: service.options(Self.editor, Content.ItemsService.createItem))
            #expect(created.fields?.body.count == 1024)
        }
    }

    @Test func aMultiMegabyteMediaRoundTrip() async throws {
        try await Self.withService(extra: ["--max-media-size", "4MiB"]) { service, client in
            let media = Content.MediaClient(channel: client)
            let bytes = MediaLibraryTests.bytes(3 * 1024 * 1024 + 17)
            let asset = try await media.uploadMedia(options: service.options(Self.editor, Content.MediaService.uploadMedia)) {
                writer in
                try await writer.write(Self.uploadMetadata("big.bin", "application/octet-stream"))
                for start in stride(from: 0, to: bytes.count, by: 256 * 1024) {
                    var request = Content.UploadMediaRequest()
                    request.chunk = Array(bytes[start..<min(bytes.count, start + 256 * 1024)])
                    try await writer.write(request)
                }
            }
            #expect(asset.sizeBytes == Int64(bytes.count))
            #expect(asset.sha256 == TestSHA256.hex(bytes))

            var download = Content.MediaIdRequest()
            download.id = asset.id
            let received = Locked<[UInt8]>([])
            let first = Locked<Content.MediaAsset?>(nil)
            try await media.downloadMedia(download, options: service.options(Self.editor, Content.MediaService.downloadMedia)) {
                chunk in
                if let asset = chunk.asset { first.withLock { $0 = asset } }
                received.withLock { $0 += chunk.data }
            }
            #expect(first.value == asset)
            #expect(received.value.count == bytes.count)
            #expect(TestSHA256.hex(received.value) == asset.sha256)
            #expect(FileManager.default.fileExists(atPath: service.directory + "/media/" + asset.sha256))
        }
    }

    @Test func uploadsOverTheMaximumOrCutOffLeaveNothingBehind() async throws {
        try await Self.withService(extra: ["--max-media-size", "64KiB"]) { service, client in
            let media = Content.MediaClient(channel: client)
            let options = service.options(Self.editor, Content.MediaService.uploadMedia)
            let tooBig = await expectRPCError(.invalidArgument) {
                try await media.uploadMedia(options: options) { writer in
                    try await writer.write(Self.uploadMetadata("big.bin", "application/octet-stream"))
                    for _ in 0..<3 {
                        var request = Content.UploadMediaRequest()
                        request.chunk = [UInt8](repeating: 1, count: 32 * 1024)
                        try await writer.write(request)
                    }
                }
            }
            #expect(tooBig?.violatedFields == ["chunk"])

            struct ClientGaveUp: Error {}
            do {
                _ = try await media.uploadMedia(options: options) { writer in
                    try await writer.write(Self.uploadMetadata("half.bin", "application/octet-stream"))
                    var request = Content.UploadMediaRequest()
                    request.chunk = [UInt8](repeating: 2, count: 16 * 1024)
                    try await writer.write(request)
                    throw ClientGaveUp()
                }
                Issue.record("a cut-off upload succeeded")
            } catch {}

            // Nothing listed, no stored file, and the temporary files disappear.
            let mediaDirectory = service.directory + "/media"
            var clean = false
            for _ in 0..<200 where !clean {
                let temporary = (try? FileManager.default.contentsOfDirectory(atPath: mediaDirectory + "/tmp")) ?? ["?"]
                let stored = (try? FileManager.default.contentsOfDirectory(atPath: mediaDirectory)) ?? []
                clean = temporary.isEmpty && stored == ["tmp"]
                if !clean { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(clean)
            let list = try await media.listMedia(
                Content.ListMediaRequest(), options: service.options(Self.editor, Content.MediaService.listMedia))
            #expect(list.assets.isEmpty)
        }
    }

    @Test func aScheduleFiresAfterARestart() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let key = SecretKey.random()
        let first = try await Self.start(directory: directory, key: key)
        defer { first.process.stop() }
        let dueAt = try await TestServer.withClient(first.process.address) { client -> Int64 in
            let items = Content.ItemsClient(channel: client)
            let item = try await items.createItem(
                Self.createRequest("Later", slug: "later"), options: first.options(Self.editor, Content.ItemsService.createItem))
            var schedule = Content.ScheduleItemRequest()
            schedule.id = item.id
            schedule.expectedVersion = item.version
            schedule.publishAtUnixMs = Int64(Date().timeIntervalSince1970 * 1000) + 2000
            let scheduled = try await Content.WorkflowClient(channel: client).scheduleItem(
                schedule, options: first.options(Self.publisher, Content.WorkflowService.scheduleItem))
            #expect(scheduled.status == .scheduled)
            return schedule.publishAtUnixMs
        }
        first.process.stop()
        #expect(await first.process.waitForExit() == 0)

        // Let the due time pass while the service is down.
        while Int64(Date().timeIntervalSince1970 * 1000) <= dueAt + 100 { try await Task.sleep(for: .milliseconds(100)) }

        let second = try await Self.start(directory: directory, key: key)
        defer { second.process.stop() }
        try await TestServer.withClient(second.process.address) { client in
            let front = Content.PublicContentClient(channel: client)
            var published: Content.Item?
            for _ in 0..<100 where published == nil {
                published = try? await front.getPublishedItem(
                    Self.publicRead(slug: "later"),
                    options: second.options(Auth.Principal.anonymous, Content.PublicContentService.getPublishedItem))
                if published == nil { try await Task.sleep(for: .milliseconds(50)) }
            }
            let item = try #require(published)
            #expect(item.status == .published)
            #expect(item.publishedAtUnixMs == dueAt)
            #expect(item.updatedBy == "scheduler")
        }
        second.process.stop()
        _ = await second.process.waitForExit()
    }

    static func uploadMetadata(_ filename: String, _ contentType: String) -> Content.UploadMediaRequest {
        var metadata = Content.UploadMetadata()
        metadata.filename = filename
        metadata.contentType = contentType
        var request = Content.UploadMediaRequest()
        request.metadata = metadata
        return request
    }
}
