import BackofficeAPI
import ContentService
import RPC
import Testing

/// The site configuration: defaults, typed validation, versions, history, rollback, public subset.
@Suite(.timeLimit(.minutes(1)))
struct SiteConfigTests {
    static func change(_ key: String, _ value: Content.SettingValue.Value?, public isPublic: Bool = false) -> Content.SettingChange {
        var change = Content.SettingChange()
        change.key = key
        if let value {
            var typed = Content.SettingValue()
            typed.value = value
            change.value = typed
        } else {
            change.reset = true
        }
        change.public = isPublic
        return change
    }

    static func value(_ snapshot: Content.SiteConfigSnapshot, _ key: String) -> Content.SettingValue.Value? {
        snapshot.settings.first { $0.key == key }?.value?.value
    }

    /// Expects an update to be refused with `code` naming `fields`, and no version written.
    func expectRefused(
        _ code: StatusCode, fields: [String], expectedVersion: Int64 = 0, _ changes: [Content.SettingChange],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        try await ContentFixture.with { fixture in
            let error = await expectRPCError(code, sourceLocation: sourceLocation) {
                try await fixture.configuration.update(expectedVersion: expectedVersion, changes: changes, actor: "u")
            }
            #expect(error?.violatedFields == fields, sourceLocation: sourceLocation)
            let versionRows = try await fixture.count("content_config_versions")
            #expect(versionRows == 0, sourceLocation: sourceLocation)
        }
    }

    @Test func defaultsAtVersionZero() async throws {
        try await ContentFixture.with { fixture in
            let snapshot = try await fixture.configuration.snapshot(version: 0, publicOnly: false)
            #expect(snapshot.version == 0)
            #expect(Self.value(snapshot, "site.name") == .stringValue("Our site"))
            #expect(Self.value(snapshot, "theme.primary_colour") == .colourValue("#1a73e8"))
            #expect(snapshot.settings.allSatisfy { $0.isDefault && $0.known })
            #expect(snapshot.settings.map(\.key) == snapshot.settings.map(\.key).sorted())
        }
    }

    @Test func updatesAreVersionedWithWhoAndWhenAndRollBack() async throws {
        try await ContentFixture.with { fixture in
            let config = fixture.configuration
            let first = try await config.update(
                expectedVersion: 0,
                changes: [
                    Self.change("site.name", .stringValue("Shop")), Self.change("theme.primary_colour", .colourValue("#AABBCC")),
                ], actor: "u-admin")
            #expect(first.version == 1)
            #expect(first.changedBy == "u-admin")
            #expect(first.changedAtUnixMs == fixture.clock.nowUnixMs())
            #expect(Self.value(first, "theme.primary_colour") == .colourValue("#aabbcc"))
            fixture.clock.advance(byMs: 5)
            let second = try await config.update(
                expectedVersion: 1,
                changes: [Self.change("site.name", nil), Self.change("custom.banner", .stringValue("Sale!"), public: true)],
                actor: "u-other")
            #expect(Self.value(second, "site.name") == .stringValue("Our site"))
            #expect(second.settings.first { $0.key == "custom.banner" }?.known == false)

            let history = try await config.history(pageSize: 0, pageToken: "")
            #expect(history.versions.map(\.version) == [2, 1])
            #expect(history.versions.first?.changedKeys == ["site.name", "custom.banner"])
            #expect(history.versions.first?.changedBy == "u-other")

            let rolledBack = try await config.rollback(expectedVersion: 2, toVersion: 1, actor: "u-admin")
            #expect(rolledBack.version == 3)
            #expect(Self.value(rolledBack, "site.name") == .stringValue("Shop"))
            #expect(Self.value(rolledBack, "custom.banner") == nil)
            let third = try await config.history(pageSize: 1, pageToken: "")
            #expect(third.versions.first?.action == "rollback to 1")
            #expect(third.versions.first?.changedKeys == ["custom.banner", "site.name"])
            let old = try await config.snapshot(version: 2, publicOnly: false)
            #expect(Self.value(old, "custom.banner") == .stringValue("Sale!"))
        }
    }

    @Test func thePublicSubsetHidesPrivateKeys() async throws {
        try await ContentFixture.with { fixture in
            _ = try await fixture.configuration.update(
                expectedVersion: 0,
                changes: [
                    Self.change("custom.secret", .stringValue("x"), public: false),
                    Self.change("custom.motto", .stringValue("y"), public: true),
                    Self.change("smtp.host", .stringValue("mail.internal")),
                ], actor: "u")
            let snapshot = try await fixture.configuration.snapshot(version: 0, publicOnly: true)
            let keys = snapshot.settings.map(\.key)
            #expect(keys.contains("custom.motto"))
            #expect(keys.contains("site.name"))
            #expect(!keys.contains("custom.secret"))
            #expect(!keys.contains("smtp.host"))
            #expect(!keys.contains("analytics.config"))
        }
    }

    @Test func aSettingOfTheWrongType() async throws {
        try await expectRefused(.invalidArgument, fields: ["changes[0].value"], [Self.change("site.name", .integerValue(3))])
        try await expectRefused(.invalidArgument, fields: ["changes[0].value"], [Self.change("features.comments", .stringValue("yes"))])
    }

    @Test func aCustomKeyKeepsItsType() async throws {
        try await ContentFixture.with { fixture in
            _ = try await fixture.configuration.update(
                expectedVersion: 0, changes: [Self.change("custom.limit", .integerValue(3))], actor: "u")
            let error = await expectRPCError(.invalidArgument) {
                try await fixture.configuration.update(
                    expectedVersion: 1, changes: [Self.change("custom.limit", .stringValue("three"))], actor: "u")
            }
            #expect(error?.violatedFields == ["changes[0].value"])
            let versionRows = try await fixture.count("content_config_versions")
            #expect(versionRows == 1)
        }
    }

    @Test func aSettingOutOfItsRange() async throws {
        try await expectRefused(.invalidArgument, fields: ["changes[0].value"], [Self.change("content.items_per_page", .integerValue(0))])
        try await expectRefused(
            .invalidArgument, fields: ["changes[0].value"], [Self.change("content.items_per_page", .integerValue(101))])
    }

    @Test func malformedColourURLAndJSON() async throws {
        try await expectRefused(
            .invalidArgument, fields: ["changes[0].value", "changes[1].value", "changes[2].value"],
            [
                Self.change("theme.primary_colour", .colourValue("#12345")), Self.change("site.url", .urlValue("ftp://x")),
                Self.change("analytics.config", .jsonValue("{oops")),
            ])
    }

    @Test func unknownKeysAndMissingValues() async throws {
        try await expectRefused(
            .invalidArgument, fields: ["changes[0].key", "changes[1].value"],
            [Self.change("nonsense", .stringValue("x")), Content.SettingChange.with(key: "site.name")])
    }

    @Test func staleConfigurationVersion() async throws {
        try await ContentFixture.with { fixture in
            _ = try await fixture.configuration.update(
                expectedVersion: 0, changes: [Self.change("site.name", .stringValue("A"))], actor: "u")
            let error = await expectRPCError(.aborted) {
                try await fixture.configuration.update(
                    expectedVersion: 0, changes: [Self.change("site.name", .stringValue("B"))], actor: "u")
            }
            #expect(error?.violatedFields == ["expected_version"])
            let versionRows = try await fixture.count("content_config_versions")
            #expect(versionRows == 1)
            let current = try await fixture.configuration.snapshot(version: 0, publicOnly: false)
            #expect(Self.value(current, "site.name") == .stringValue("A"))
            await expectRPCError(.aborted) { try await fixture.configuration.rollback(expectedVersion: 5, toVersion: 0, actor: "u") }
        }
    }
}

extension Content.SettingChange {
    /// A change of `key` with no value and no reset.
    static func with(key: String) -> Content.SettingChange {
        var change = Content.SettingChange()
        change.key = key
        return change
    }
}
