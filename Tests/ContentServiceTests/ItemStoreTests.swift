import BackofficeAPI
import ContentService
import RPC
import Testing

/// Editing items: slugs, versions, trash, revisions and search.
@Suite(.timeLimit(.minutes(1)))
struct ItemStoreTests {
    @Test func createDerivesTheSlugAndRecordsAuthorAndFirstRevision() async throws {
        try await ContentFixture.with { fixture in
            let item = try await fixture.article("Héllo, Wörld! 2026", tags: ["news", "news", " intro "])
            #expect(item.fields?.slug == "hello-world-2026")
            #expect(item.fields?.tags == ["news", "intro"])
            #expect(item.status == .draft)
            #expect(item.version == 1)
            #expect(item.authorId == "u-editor")
            #expect(item.createdAtUnixMs == fixture.clock.nowUnixMs())
            let second = try await fixture.article("Hello World 2026")
            #expect(second.fields?.slug == "hello-world-2026-2")
            let revisions = try await fixture.items.revisions(itemID: item.id, pageSize: 0, pageToken: "")
            #expect(revisions.revisions.map(\.number) == [1])
            #expect(revisions.revisions.first?.action == "create")
            #expect(revisions.revisions.first?.actorId == "u-editor")
        }
    }

    @Test func getBySlugAndLocaleKeepsLocalesApart() async throws {
        try await ContentFixture.with { fixture in
            let english = try await fixture.article("About", slug: "about", locale: "en")
            let british = try await fixture.article("About", slug: "about", locale: "en-GB")
            #expect(try await fixture.items.item(slug: "about", locale: "en").id == english.id)
            #expect(try await fixture.items.item(slug: "about", locale: "en-GB").id == british.id)
            await expectRPCError(.notFound) { try await fixture.items.item(slug: "about", locale: "fr") }
        }
    }

    @Test func updateBumpsTheVersionAndAChangedSlugRedirects() async throws {
        try await ContentFixture.with { fixture in
            let item = try await fixture.article("Old title", slug: "old")
            fixture.clock.advance(byMs: 1000)
            let updated = try await fixture.items.update(
                id: item.id, expectedVersion: 1, fields: .make(title: "New title", slug: "new"), actor: "u-second")
            #expect(updated.version == 2)
            #expect(updated.updatedBy == "u-second")
            #expect(updated.authorId == "u-editor")
            #expect(updated.oldSlugs == ["old"])
            #expect(updated.updatedAtUnixMs == item.createdAtUnixMs + 1000)
            _ = try await fixture.items.publish(id: item.id, expectedVersion: 2, actor: "u-publisher")
            let viaOldSlug = try await fixture.items.publishedItem(slug: "old", locale: "en")
            #expect(viaOldSlug.id == item.id)
            #expect(viaOldSlug.fields?.slug == "new")
        }
    }

    @Test func aNewItemMayTakeOverAnOldSlug() async throws {
        try await ContentFixture.with { fixture in
            let first = try await fixture.article("First", slug: "shared")
            _ = try await fixture.items.update(id: first.id, expectedVersion: 1, fields: .make(title: "First", slug: "moved"), actor: "u")
            let second = try await fixture.article("Second", slug: "shared")
            #expect(second.fields?.slug == "shared")
            #expect(try await fixture.items.item(id: first.id).oldSlugs.isEmpty)
        }
    }

    @Test func trashRestoreAndPurge() async throws {
        try await ContentFixture.with { fixture in
            let item = try await fixture.article("Doomed", slug: "doomed")
            let published = try await fixture.items.publish(id: item.id, expectedVersion: 1, actor: "u")
            let trashed = try await fixture.items.trash(id: item.id, expectedVersion: published.version, actor: "u")
            #expect(trashed.trashedAtUnixMs == fixture.clock.nowUnixMs())
            #expect(trashed.status == .draft)
            await expectRPCError(.notFound) { try await fixture.items.publishedItem(slug: "doomed", locale: "en") }
            await expectRPCError(.failedPrecondition) {
                try await fixture.items.update(
                    id: item.id, expectedVersion: trashed.version, fields: .make(title: "x", slug: "x"), actor: "u")
            }
            let inTrash = try await fixture.items.search(Self.search(trashed: true))
            #expect(inTrash.items.map(\.id) == [item.id])
            let restored = try await fixture.items.restore(id: item.id, expectedVersion: trashed.version, actor: "u")
            #expect(restored.trashedAtUnixMs == 0)
            await expectRPCError(.failedPrecondition) {
                try await fixture.items.purge(id: item.id, expectedVersion: restored.version)
            }
            let again = try await fixture.items.trash(id: item.id, expectedVersion: restored.version, actor: "u")
            try await fixture.items.purge(id: item.id, expectedVersion: again.version)
            await expectRPCError(.notFound) { try await fixture.items.item(id: item.id) }
            #expect(try await fixture.itemTableCounts() == [0, 0, 0, 0, 0])
        }
    }

    @Test func revisionsCompareAndRevert() async throws {
        try await ContentFixture.with { fixture in
            let item = try await fixture.article("One", slug: "one", body: "first body")
            _ = try await fixture.items.update(
                id: item.id, expectedVersion: 1, fields: .make(title: "Two", slug: "one", body: "second body", tags: ["t"]),
                actor: "u-2")
            let changes = try await fixture.items.compare(itemID: item.id, from: 1, to: 2)
            #expect(changes.map(\.field) == ["title", "body", "tags"])
            #expect(changes.first?.fromValue == "One")
            #expect(changes.first?.toValue == "Two")
            let reverted = try await fixture.items.revert(itemID: item.id, expectedVersion: 2, to: 1, actor: "u-3")
            #expect(reverted.version == 3)
            #expect(reverted.fields?.title == "One")
            #expect(reverted.fields?.body == "first body")
            let revision = try await fixture.items.revision(itemID: item.id, number: 3)
            #expect(revision.action == "revert to 1")
            #expect(revision.actorId == "u-3")
            #expect(revision.item?.fields?.title == "One")
            let list = try await fixture.items.revisions(itemID: item.id, pageSize: 2, pageToken: "")
            #expect(list.revisions.map(\.number) == [3, 2])
            let rest = try await fixture.items.revisions(itemID: item.id, pageSize: 2, pageToken: list.nextPageToken)
            #expect(rest.revisions.map(\.number) == [1])
            #expect(rest.nextPageToken.isEmpty)
            await expectRPCError(.notFound) { try await fixture.items.revision(itemID: item.id, number: 9) }
        }
    }

    @Test func searchMatchesWordsAndFiltersAndPages() async throws {
        try await ContentFixture.with { fixture in
            let cats = try await fixture.article("Cats at home", body: "Whiskers and purring.", tags: ["pets"])
            let dogs = try await fixture.article("Dogs outside", body: "Barking; purring never.", tags: ["pets", "outdoor"])
            _ = try await fixture.article("Taxes", body: "Forms.", actor: "u-other")
            _ = try await fixture.items.publish(id: dogs.id, expectedVersion: 1, actor: "u")

            let purring = try await fixture.items.search(Self.search(query: "purring"))
            #expect(Set(purring.items.map(\.id)) == [cats.id, dogs.id])
            #expect(try await fixture.items.search(Self.search(query: "purring whiskers")).items.map(\.id) == [cats.id])
            #expect(try await fixture.items.search(Self.search(query: "outdoor")).items.map(\.id) == [dogs.id])
            #expect(try await fixture.items.search(Self.search(query: "\"purring\" OR")).items.isEmpty)
            var published = Self.search(query: "purring")
            published.status = .published
            #expect(try await fixture.items.search(published).items.map(\.id) == [dogs.id])
            var tagged = Self.search()
            tagged.tag = "pets"
            #expect(try await fixture.items.search(tagged).items.count == 2)
            var byAuthor = Self.search()
            byAuthor.authorId = "u-other"
            #expect(try await fixture.items.search(byAuthor).items.map { $0.fields?.title } == ["Taxes"])

            var paged = Self.search()
            paged.pageSize = 2
            let first = try await fixture.items.search(paged)
            #expect(first.items.count == 2)
            paged.pageToken = first.nextPageToken
            let second = try await fixture.items.search(paged)
            #expect(second.items.count == 1)
            #expect(second.nextPageToken.isEmpty)
            #expect(Set((first.items + second.items).map(\.id)).count == 3)

            paged.pageToken = "not-a-token"
            let error = await expectRPCError(.invalidArgument) { try await fixture.items.search(paged) }
            #expect(error?.violatedFields == ["page_token"])
        }
    }

    @Test func publishedListsFilterByKindTagAndLocaleNewestFirst() async throws {
        try await ContentFixture.with { fixture in
            var published: [String] = []
            for (title, locale, tags) in [("One", "en", ["a"]), ("Two", "en", ["b"]), ("Trois", "fr", ["a"])] {
                let item = try await fixture.article(title, locale: locale, tags: tags)
                fixture.clock.advance(byMs: 10)
                published.append(try await fixture.items.publish(id: item.id, expectedVersion: 1, actor: "u").id)
            }
            _ = try await fixture.article("Draft", tags: ["a"])
            let page = try await fixture.items.create(kind: .page, fields: .make(title: "A page", tags: ["a"]), actor: "u")
            _ = try await fixture.items.publish(id: page.id, expectedVersion: 1, actor: "u")

            var request = Content.ListPublishedItemsRequest()
            request.kind = .article
            #expect(try await fixture.items.publishedItems(request).items.map(\.id) == published.reversed())
            request.tag = "a"
            #expect(try await fixture.items.publishedItems(request).items.map(\.id) == [published[2], published[0]])
            request.locale = "en"
            #expect(try await fixture.items.publishedItems(request).items.map(\.id) == [published[0]])
            request = Content.ListPublishedItemsRequest()
            request.pageSize = 3
            let first = try await fixture.items.publishedItems(request)
            #expect(first.items.first?.id == page.id)
            request.pageToken = first.nextPageToken
            #expect(try await fixture.items.publishedItems(request).items.map(\.id) == [published[0]])
        }
    }

    static func search(query: String = "", trashed: Bool = false) -> Content.SearchItemsRequest {
        var request = Content.SearchItemsRequest()
        request.query = query
        request.trashed = trashed
        return request
    }
}
