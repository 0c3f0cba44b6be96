import BackofficeAPI
import Foundation
import RPC
import Storage

/// The site configuration: typed values checked against `SiteSettingSchema`, versioned as a
/// whole. Every change (an update or a rollback) stores a new version holding every value set
/// at that point, with who, when and which keys changed; version 0 is "all defaults". Writers
/// send the version they read; another one is ABORTED and nothing is written.
public final class SiteConfigStore: Sendable {
    /// A value as stored in a version: type, text form, visibility.
    struct StoredValue: Codable, Equatable, Sendable {
        var type: Int32
        var text: String
        var isPublic: Bool
    }

    /// The content database.
    public let database: Database
    private let clock: any ContentClock

    /// A store over `database`.
    public init(database: Database, clock: any ContentClock) {
        self.database = database
        self.clock = clock
    }

    // MARK: - Reading

    /// The configuration at `version` (0: the current one), every known key with its value or
    /// default plus the custom keys; `publicOnly` keeps the keys the front office may read.
    public func snapshot(version: Int64, publicOnly: Bool) async throws -> Content.SiteConfigSnapshot {
        guard version >= 0 else {
            throw RPCError.invalidArgument([FieldViolation(field: "version", description: "must be 0 (current) or more")])
        }
        let row = try await database.read { db in
            version == 0
                ? try db.queryOne("SELECT * FROM content_config_versions ORDER BY version DESC LIMIT 1")
                : try db.queryOne("SELECT * FROM content_config_versions WHERE version = ?", [.integer(version)])
        }
        if version != 0 && row == nil { throw RPCError(.notFound, "the configuration has no version \(version)") }
        var snapshot = Content.SiteConfigSnapshot()
        var values: [String: StoredValue] = [:]
        if let row {
            snapshot.version = try row.int64("version")
            snapshot.changedBy = try row.string("changed_by")
            snapshot.changedAtUnixMs = try row.int64("changed_at_unix_ms")
            values = try Self.decodeValues(try row.string("entries"))
        }
        snapshot.settings = Self.settings(from: values).filter { !publicOnly || $0.public }
        return snapshot
    }

    /// One page of versions, newest first.
    public func history(pageSize: Int32, pageToken: String) async throws -> Content.ListSiteConfigHistoryResponse {
        let window = try PageToken.window(token: pageToken, pageSize: pageSize)
        let rows = try await database.read { db in
            try db.query(
                """
                SELECT version, changed_keys, action, changed_by, changed_at_unix_ms FROM content_config_versions
                ORDER BY version DESC LIMIT ? OFFSET ?
                """, [.integer(Int64(window.size + 1)), .integer(Int64(window.offset))])
        }
        var response = Content.ListSiteConfigHistoryResponse()
        response.versions = try rows.prefix(window.size).map { row in
            var version = Content.SiteConfigVersion()
            version.version = try row.int64("version")
            version.changedKeys = (try? JSONDecoder().decode([String].self, from: Data(try row.string("changed_keys").utf8))) ?? []
            version.action = try row.string("action")
            version.changedBy = try row.string("changed_by")
            version.changedAtUnixMs = try row.int64("changed_at_unix_ms")
            return version
        }
        response.nextPageToken = PageToken.next(offset: window.offset, size: window.size, fetched: rows.count)
        return response
    }

    // MARK: - Changing

    /// Applies `changes` on top of `expectedVersion` as one new version. Each change is checked
    /// against the schema; violations are named `changes[<index>].<field>`.
    public func update(
        expectedVersion: Int64, changes: [Content.SettingChange], actor: String
    ) async throws -> Content.SiteConfigSnapshot {
        var violations = Self.violations(of: changes)
        if changes.isEmpty { violations.append(FieldViolation(field: "changes", description: "must hold at least one change")) }
        if expectedVersion < 0 { violations.append(FieldViolation(field: "expected_version", description: "must be 0 or more")) }
        guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
        let now = clock.nowUnixMs()
        try await database.write { db in
            var values = try Self.current(db: db, expected: expectedVersion)
            var customTypeViolations: [FieldViolation] = []
            for (index, change) in changes.enumerated() {
                if change.reset {
                    values[change.key] = nil
                    continue
                }
                guard let value = change.value?.value else { continue }
                let type = SiteSettingSchema.type(of: value)
                let definition = SiteSettingSchema.byKey[change.key]
                let existing = values[change.key]
                if definition == nil, let existing, existing.type != type.rawValue {
                    let name = SiteSettingSchema.name(of: Content.SettingType(rawValue: existing.type))
                    customTypeViolations.append(
                        FieldViolation(field: "changes[\(index)].value", description: "must be a \(name) value"))
                }
                values[change.key] = StoredValue(
                    type: type.rawValue, text: Self.text(of: value),
                    isPublic: definition?.isPublic ?? existing?.isPublic ?? change.public)
            }
            guard customTypeViolations.isEmpty else { throw RPCError.invalidArgument(customTypeViolations) }
            try Self.insertVersion(
                expectedVersion + 1, values: values, changedKeys: changes.map(\.key), action: "update", actor: actor, now: now,
                db: db)
        }
        return try await snapshot(version: 0, publicOnly: false)
    }

    /// Makes the values of `toVersion` current again as a new version.
    public func rollback(expectedVersion: Int64, toVersion: Int64, actor: String) async throws -> Content.SiteConfigSnapshot {
        guard toVersion >= 0, toVersion < expectedVersion else {
            throw RPCError.invalidArgument([
                FieldViolation(field: "to_version", description: "must be an earlier version (0 to \(max(0, expectedVersion - 1)))")
            ])
        }
        let now = clock.nowUnixMs()
        try await database.write { db in
            let values = try Self.current(db: db, expected: expectedVersion)
            var target: [String: StoredValue] = [:]
            if toVersion > 0 {
                guard
                    let row = try db.queryOne(
                        "SELECT entries FROM content_config_versions WHERE version = ?", [.integer(toVersion)])
                else { throw RPCError(.notFound, "the configuration has no version \(toVersion)") }
                target = try Self.decodeValues(try row.string("entries"))
            }
            let changed = Set(values.keys).union(target.keys).filter { values[$0] != target[$0] }.sorted()
            try Self.insertVersion(
                expectedVersion + 1, values: target, changedKeys: changed, action: "rollback to \(toVersion)", actor: actor,
                now: now, db: db)
        }
        return try await snapshot(version: 0, publicOnly: false)
    }

    // MARK: - Helpers

    /// The values of the current version, or ABORTED when it is not `expected`.
    private static func current(db: DatabaseConnection, expected: Int64) throws -> [String: StoredValue] {
        let row = try db.queryOne("SELECT version, entries FROM content_config_versions ORDER BY version DESC LIMIT 1")
        let current = try row?.int64("version") ?? 0
        guard current == expected else {
            throw RPCError(
                .aborted, "the configuration is at version \(current), not \(expected): read it again",
                fieldViolations: [
                    FieldViolation(field: "expected_version", description: "is stale: the configuration is at version \(current)")
                ])
        }
        return try row.map { try decodeValues(try $0.string("entries")) } ?? [:]
    }

    private static func insertVersion(
        _ version: Int64, values: [String: StoredValue], changedKeys: [String], action: String, actor: String, now: Int64,
        db: DatabaseConnection
    ) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        try db.execute(
            """
            INSERT INTO content_config_versions (version, entries, changed_keys, action, changed_by, changed_at_unix_ms)
            VALUES (?, ?, ?, ?, ?, ?)
            """,
            [
                .integer(version), .text(String(decoding: try encoder.encode(values), as: UTF8.self)),
                .text(String(decoding: try encoder.encode(changedKeys), as: UTF8.self)), .text(action), .text(actor),
                .integer(now),
            ])
    }

    /// Violations of changes judged alone (the custom keys' types are checked against the stored ones later).
    static func violations(of changes: [Content.SettingChange]) -> [FieldViolation] {
        var violations: [FieldViolation] = []
        var seen = Set<String>()
        for (index, change) in changes.enumerated() {
            let prefix = "changes[\(index)]."
            func fail(_ field: String, _ description: String) {
                violations.append(FieldViolation(field: prefix + field, description: description))
            }
            if !seen.insert(change.key).inserted { fail("key", "appears twice in one update") }
            let definition = SiteSettingSchema.byKey[change.key]
            if definition == nil && !SiteSettingSchema.isValidCustomKey(change.key) {
                fail("key", "is not a known key; custom keys are custom.<a-z, 0-9, . _ ->")
                continue
            }
            if change.reset {
                if change.value?.value != nil { fail("value", "must be empty when reset is set") }
                continue
            }
            guard let value = change.value?.value else {
                fail("value", "is required (or set reset)")
                continue
            }
            if let definition, SiteSettingSchema.type(of: value) != definition.type {
                fail("value", "must be a \(SiteSettingSchema.name(of: definition.type)) value")
                continue
            }
            if let problem = SiteSettingSchema.formatProblem(value) ?? definition?.rule(value) { fail("value", problem) }
        }
        return violations
    }

    /// Every known key (value or default) and every custom key, sorted by key.
    static func settings(from values: [String: StoredValue]) -> [Content.SiteSetting] {
        var settings = SiteSettingSchema.known.map { definition -> Content.SiteSetting in
            var setting = Content.SiteSetting()
            setting.key = definition.key
            setting.type = definition.type
            setting.known = true
            setting.public = definition.isPublic
            setting.description = definition.description
            var value = Content.SettingValue()
            if let stored = values[definition.key], let decoded = Self.value(of: stored) {
                value.value = decoded
            } else {
                value.value = definition.defaultValue
                setting.isDefault = true
            }
            setting.value = value
            return setting
        }
        for (key, stored) in values where SiteSettingSchema.byKey[key] == nil {
            guard let decoded = Self.value(of: stored) else { continue }
            var setting = Content.SiteSetting()
            setting.key = key
            setting.type = Content.SettingType(rawValue: stored.type)
            setting.public = stored.isPublic
            var value = Content.SettingValue()
            value.value = decoded
            setting.value = value
            settings.append(setting)
        }
        return settings.sorted { $0.key < $1.key }
    }

    static func text(of value: Content.SettingValue.Value) -> String {
        switch value {
        case .stringValue(let text), .urlValue(let text), .jsonValue(let text): text
        case .colourValue(let text): text.lowercased()
        case .integerValue(let number): String(number)
        case .booleanValue(let flag): flag ? "true" : "false"
        }
    }

    static func value(of stored: StoredValue) -> Content.SettingValue.Value? {
        switch Content.SettingType(rawValue: stored.type) {
        case .string: .stringValue(stored.text)
        case .integer: Int64(stored.text).map { .integerValue($0) }
        case .boolean: .booleanValue(stored.text == "true")
        case .colour: .colourValue(stored.text)
        case .url: .urlValue(stored.text)
        case .json: .jsonValue(stored.text)
        default: nil
        }
    }

    private static func decodeValues(_ text: String) throws -> [String: StoredValue] {
        do {
            return try JSONDecoder().decode([String: StoredValue].self, from: Data(text.utf8))
        } catch {
            throw RPCError(.dataLoss, "a stored configuration version is unreadable")
        }
    }
}
