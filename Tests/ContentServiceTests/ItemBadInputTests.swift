import BackofficeAPI
import ContentService
import RPC
import Testing

/// Each bad input the issue lists: its status, the fields named, and nothing written.
@Suite(.timeLimit(.minutes(1)))
struct ItemBadInputTests {
    /// Runs `body` against a store holding one article (`existing`, slug "taken"), expects `code`
    /// naming `fields`, and checks that the item tables are unchanged.
    func expectRefused(
        _ code: StatusCode, fields: [String], sourceLocation: SourceLocation = #_sourceLocation,
        _ body: @escaping (ContentFixture, Content.Item) async throws -> Void
    ) async throws {
        try await ContentFixture.with { fixture in
            let existing = try await fixture.article("Existing", slug: "taken")
            let before = try await fixture.itemTableCounts()
            let error = await expectRPCError(code, sourceLocation: sourceLocation) { try await body(fixture, existing) }
            #expect(error?.violatedFields == fields, sourceLocation: sourceLocation)
            #expect(try await fixture.itemTableCounts() == before, sourceLocation: sourceLocation)
            #expect(try await fixture.items.item(id: existing.id) == existing, sourceLocation: sourceLocation)
        }
    }

    @Test func emptyTitle() async throws {
        try await expectRefused(.invalidArgument, fields: ["fields.title"]) { fixture, _ in
            try await fixture.article("   ", slug: "fine")
        }
    }

    @Test func slugWithForbiddenCharacters() async throws {
        for slug in ["Upper", "with space", "trailing-", "double--hyphen", "ünïcode", "a/b"] {
            try await expectRefused(.invalidArgument, fields: ["fields.slug"]) { fixture, _ in
                try await fixture.article("Fine", slug: slug)
            }
        }
    }

    @Test func duplicateSlugInALocale() async throws {
        try await expectRefused(.alreadyExists, fields: ["fields.slug"]) { fixture, _ in
            try await fixture.article("Another", slug: "taken")
        }
    }

    @Test func duplicateSlugOnUpdate() async throws {
        try await ContentFixture.with { fixture in
            _ = try await fixture.article("Existing", slug: "taken")
            let other = try await fixture.article("Other", slug: "other")
            let before = try await fixture.itemTableCounts()
            let error = await expectRPCError(.alreadyExists) {
                try await fixture.items.update(
                    id: other.id, expectedVersion: 1, fields: .make(title: "Renamed", slug: "taken"), actor: "u")
            }
            #expect(error?.violatedFields == ["fields.slug"])
            let after = try await fixture.itemTableCounts()
            #expect(after == before)
            let unchanged = try await fixture.items.item(id: other.id)
            #expect(unchanged == other)
        }
    }

    @Test func unknownLocaleFormat() async throws {
        for locale in ["", "english", "EN", "en_GB", "en-gb", "e"] {
            try await expectRefused(.invalidArgument, fields: ["fields.locale"]) { fixture, _ in
                try await fixture.article("Fine", slug: "fine", locale: locale)
            }
        }
    }

    @Test func bodyOverTheConfiguredLimit() async throws {
        try await expectRefused(.invalidArgument, fields: ["fields.body"]) { fixture, _ in
            try await fixture.article("Fine", slug: "fine", body: String(repeating: "é", count: 501))
        }
    }

    @Test func staleVersion() async throws {
        try await ContentFixture.with { fixture in
            let item = try await fixture.article("Existing", slug: "taken")
            let changed = try await fixture.items.update(
                id: item.id, expectedVersion: 1, fields: .make(title: "Changed", slug: "taken"), actor: "u")
            let before = try await fixture.itemTableCounts()
            let error = await expectRPCError(.aborted) {
                try await fixture.items.update(id: item.id, expectedVersion: 1, fields: .make(title: "Lost", slug: "taken"), actor: "u")
            }
            #expect(error?.violatedFields == ["expected_version"])
            #expect(try await fixture.itemTableCounts() == before)
            #expect(try await fixture.items.item(id: item.id) == changed)
        }
    }

    @Test func scheduleInThePast() async throws {
        try await expectRefused(.invalidArgument, fields: ["publish_at_unix_ms"]) { fixture, existing in
            _ = try await fixture.items.schedule(
                id: existing.id, expectedVersion: 1, publishAt: fixture.clock.nowUnixMs() - 1, unpublishAt: 0, actor: "u")
        }
        try await expectRefused(.invalidArgument, fields: ["publish_at_unix_ms"]) { fixture, existing in
            _ = try await fixture.items.schedule(
                id: existing.id, expectedVersion: 1, publishAt: fixture.clock.nowUnixMs(), unpublishAt: 0, actor: "u")
        }
    }

    @Test func unpublicationBeforePublication() async throws {
        try await expectRefused(.invalidArgument, fields: ["unpublish_at_unix_ms"]) { fixture, existing in
            let now = fixture.clock.nowUnixMs()
            _ = try await fixture.items.schedule(
                id: existing.id, expectedVersion: 1, publishAt: now + 2000, unpublishAt: now + 1000, actor: "u")
        }
    }

    @Test func draftThroughThePublicRead() async throws {
        try await ContentFixture.with { fixture in
            let draft = try await fixture.article("Secret", slug: "secret")
            let before = try await fixture.itemTableCounts()
            let error = await expectRPCError(.notFound) { try await fixture.items.publishedItem(slug: "secret", locale: "en") }
            #expect(error?.message.contains("Secret") == false)
            let scheduled = try await fixture.items.schedule(
                id: draft.id, expectedVersion: 1, publishAt: fixture.clock.nowUnixMs() + 60_000, unpublishAt: 0, actor: "u")
            await expectRPCError(.notFound) { try await fixture.items.publishedItem(slug: "secret", locale: "en") }
            var list = Content.ListPublishedItemsRequest()
            list.locale = "en"
            #expect(try await fixture.items.publishedItems(list).items.isEmpty)
            _ = try await fixture.items.archive(id: draft.id, expectedVersion: scheduled.version, actor: "u")
            await expectRPCError(.notFound) { try await fixture.items.publishedItem(slug: "secret", locale: "en") }
            #expect(try await fixture.itemTableCounts()[0] == before[0])
        }
    }

    @Test func publicReadWithAMalformedSlugNamesIt() async throws {
        try await ContentFixture.with { fixture in
            let error = await expectRPCError(.invalidArgument) {
                try await fixture.items.publishedItem(slug: "Bad Slug", locale: "xx_YY")
            }
            #expect(error?.violatedFields == ["slug", "locale"])
        }
    }

    @Test func anUnknownKind() async throws {
        try await expectRefused(.invalidArgument, fields: ["kind"]) { fixture, _ in
            _ = try await fixture.items.create(kind: .unspecified, fields: .make(title: "Fine", slug: "fine"), actor: "u")
        }
    }
}
