import AccessControl
import BackofficeAPI
import ContentService
import Crypto
import RPC
import ServiceRuntime
import Testing
import TestSupport

/// The service's own check of the access policy, in-process behind `TrustedCallerInterceptor`.
@Suite(.timeLimit(.minutes(1)))
struct ContentAccessTests {
    static let reader = ContentProcessTests.principal("u-reader", [.contentRead])
    static let editor = ContentProcessTests.editor
    static let publisher = ContentProcessTests.publisher

    /// Serves the content providers of a fresh fixture behind signature checks.
    static func withServer(_ body: (ContentFixture, RPCClient, PrincipalSigner) async throws -> Void) async throws {
        let signer = PrincipalSigner(key: .random())
        try await ContentFixture.with { fixture in
            try await TestServer.with(
                services: fixture.service.providers,
                configure: { $0.interceptors = [TrustedCallerInterceptor(signer: signer)] }
            ) { _, address in
                try await TestServer.withClient(address) { client in try await body(fixture, client, signer) }
            }
        }
    }

    @Test func aReaderCannotCreate() async throws {
        try await Self.withServer { fixture, client, signer in
            var request = Content.CreateItemRequest()
            request.kind = .article
            request.fields = .make(title: "Nope", slug: "nope")
            let error = await expectRPCError(.permissionDenied) {
                try await Content.ItemsClient(channel: client).createItem(
                    request, options: .forwarding(Self.reader, method: Content.ItemsService.createItem, signer: signer))
            }
            #expect(error?.message.contains("content.write") == true)
            let counts = try await fixture.itemTableCounts()
            #expect(counts == [0, 0, 0, 0, 0])
        }
    }

    @Test func publishWithoutContentPublishWritesNothing() async throws {
        try await Self.withServer { fixture, client, signer in
            let item = try await fixture.article("Draft", slug: "draft")
            let before = try await fixture.itemTableCounts()
            var request = Content.ItemActionRequest()
            request.id = item.id
            request.expectedVersion = 1
            let workflow = Content.WorkflowClient(channel: client)
            for method in [Content.WorkflowService.publishItem, Content.WorkflowService.archiveItem] {
                let error = await expectRPCError(.permissionDenied) {
                    let options = CallOptions.forwarding(Self.editor, method: method, signer: signer)
                    if method == Content.WorkflowService.publishItem {
                        _ = try await workflow.publishItem(request, options: options)
                    } else {
                        _ = try await workflow.archiveItem(request, options: options)
                    }
                }
                #expect(error?.message.contains("content.publish") == true)
            }
            #expect(try await fixture.itemTableCounts() == before)
            let unchanged = try await fixture.items.item(id: item.id)
            #expect(unchanged == item)
            let published = try await workflow.publishItem(
                request, options: .forwarding(Self.publisher, method: Content.WorkflowService.publishItem, signer: signer))
            #expect(published.status == .published)
        }
    }

    @Test func configurationNeedsItsOwnPermissions() async throws {
        try await Self.withServer { fixture, client, signer in
            let config = Content.SiteConfigClient(channel: client)
            await expectRPCError(.permissionDenied) {
                try await config.getSiteConfig(
                    Content.GetSiteConfigRequest(),
                    options: .forwarding(Self.publisher, method: Content.SiteConfigService.getSiteConfig, signer: signer))
            }
            var update = Content.UpdateSiteConfigRequest()
            update.changes = [SiteConfigTests.change("site.name", .stringValue("X"))]
            let administrator = ContentProcessTests.principal("u-admin", [.configRead, .configWrite])
            let denied = await expectRPCError(.permissionDenied) {
                try await config.updateSiteConfig(
                    update,
                    options: .forwarding(
                        ContentProcessTests.principal("u-viewer", [.configRead]), method: Content.SiteConfigService.updateSiteConfig,
                        signer: signer))
            }
            #expect(denied?.message.contains("config.write") == true)
            #expect(try await fixture.count("content_config_versions") == 0)
            let updated = try await config.updateSiteConfig(
                update, options: .forwarding(administrator, method: Content.SiteConfigService.updateSiteConfig, signer: signer))
            #expect(updated.version == 1)
            #expect(updated.changedBy == "u-admin")
        }
    }

    @Test func publicReadsNeedNoPermission() async throws {
        try await Self.withServer { fixture, client, signer in
            let item = try await fixture.article("Open", slug: "open")
            _ = try await fixture.items.publish(id: item.id, expectedVersion: 1, actor: "u")
            var request = Content.ListPublishedItemsRequest()
            request.locale = "en"
            let list = try await Content.PublicContentClient(channel: client).listPublishedItems(
                request,
                options: .forwarding(Auth.Principal.anonymous, method: Content.PublicContentService.listPublishedItems, signer: signer))
            #expect(list.items.map(\.id) == [item.id])
        }
    }
}
