import BackofficeAPI
import Foundation
import ProtoRuntime
import RPC
import Storage

/// Items (pages, articles, blocks) in the content database: editing with optimistic versions,
/// trash, revisions, the publication workflow, search and the front office's reads.
///
/// Every change is one transaction that writes the item, its tags, its search entry, its slug
/// redirects and a revision holding the item as it is after the change (revision number ==
/// version), so nothing is ever half-written. Errors are `RPCError`s: INVALID_ARGUMENT with
/// violations named after request fields, NOT_FOUND, ALREADY_EXISTS for a taken slug,
/// FAILED_PRECONDITION for a change the item's state forbids, ABORTED for a stale version.
public final class ItemStore: Sendable {
    /// The content database (opened with `ContentSchema.migrations`).
    public let database: Database
    /// The time of changes and of due schedules.
    public let clock: any ContentClock
    /// Field rules, with the configured body limit.
    public let validation: ItemValidation
    let publishedCache = PublishedCache()

    /// A store over `database`.
    public init(database: Database, clock: any ContentClock, validation: ItemValidation) {
        self.database = database
        self.clock = clock
        self.validation = validation
    }

    /// The actor recorded for changes the scheduler makes.
    public static let schedulerActor = "scheduler"

    // MARK: - Editing

    /// Creates a draft written by `actor`; an empty slug is derived from the title (with `-2`,
    /// `-3`, ... when taken). A slug given explicitly and already taken is ALREADY_EXISTS.
    public func create(kind: Content.ItemKind, fields: Content.ItemFields, actor: String) async throws -> Content.Item {
        var violations = validation.violations(of: fields, slugMayBeDerived: true)
        if ![.page, .article, .block].contains(kind) {
            violations.append(FieldViolation(field: "kind", description: "must be page, article or block"))
        }
        let derivedSlug = fields.slug.isEmpty ? ItemValidation.slug(fromTitle: fields.title) : ""
        if fields.slug.isEmpty && derivedSlug.isEmpty && violations.isEmpty {
            violations.append(
                FieldViolation(field: "fields.slug", description: "cannot be derived from the title; give one"))
        }
        guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
        let now = clock.nowUnixMs()
        var item = Content.Item()
        item.id = ContentID.make(prefix: "itm_")
        item.kind = kind
        item.fields = Self.normalized(fields)
        item.status = .draft
        item.authorId = actor
        item.createdAtUnixMs = now
        let created = try await database.write { [item] db in
            var item = item
            if fields.slug.isEmpty {
                item.fields?.slug = try Self.freeSlug(derivedSlug, locale: fields.locale, db: db)
            }
            try Self.save(&item, action: "create", actor: actor, now: now, previous: nil, db: db)
            return item
        }
        publishedCache.invalidate()
        return created
    }

    /// Replaces the editable fields of an item not in the trash.
    public func update(
        id: String, expectedVersion: Int64, fields: Content.ItemFields, actor: String
    ) async throws -> Content.Item {
        let violations = validation.violations(of: fields, slugMayBeDerived: false)
        guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
        return try await change(id: id, expectedVersion: expectedVersion, action: "update", actor: actor) { item, _ in
            try Self.requireNotTrashed(item)
            item.fields = Self.normalized(fields)
        }
    }

    /// Moves an item to the trash: it goes offline (status draft, schedules dropped) and keeps its
    /// slug until purged.
    public func trash(id: String, expectedVersion: Int64, actor: String) async throws -> Content.Item {
        try await change(id: id, expectedVersion: expectedVersion, action: "trash", actor: actor) { item, now in
            try Self.requireNotTrashed(item)
            item.trashedAtUnixMs = now
            item.status = item.status == .archived ? .archived : .draft
            item.publishAtUnixMs = 0
            item.unpublishAtUnixMs = 0
        }
    }

    /// Takes an item out of the trash, as a draft (or archived when it was archived).
    public func restore(id: String, expectedVersion: Int64, actor: String) async throws -> Content.Item {
        try await change(id: id, expectedVersion: expectedVersion, action: "restore", actor: actor) { item, _ in
            guard item.trashedAtUnixMs != 0 else {
                throw RPCError(.failedPrecondition, "item \(item.id) is not in the trash")
            }
            item.trashedAtUnixMs = 0
        }
    }

    /// Deletes an item in the trash for good, with its revisions and redirects.
    public func purge(id: String, expectedVersion: Int64) async throws {
        try Self.requireVersionField(expectedVersion)
        try await database.write { db in
            let item = try Self.load(id: id, db: db)
            try Self.checkVersion(item, expected: expectedVersion)
            guard item.trashedAtUnixMs != 0 else {
                throw RPCError(.failedPrecondition, "item \(id) is not in the trash: move it there before purging")
            }
            try db.execute(
                "DELETE FROM content_search WHERE rowid = (SELECT seq FROM content_items WHERE id = ?)", [.text(id)])
            try db.execute("DELETE FROM content_items WHERE id = ?", [.text(id)])
        }
        publishedCache.invalidate()
    }

    /// The item with `id`, in the trash or not.
    public func item(id: String) async throws -> Content.Item {
        try await database.read { db in try Self.load(id: id, db: db) }
    }

    /// The item whose current slug in `locale` is `slug`.
    public func item(slug: String, locale: String) async throws -> Content.Item {
        try await database.read { db in
            guard let row = try db.queryOne("SELECT id FROM content_items WHERE locale = ? AND slug = ?", [.text(locale), .text(slug)])
            else { throw RPCError(.notFound, "no item with slug \"\(slug)\" in locale \(locale)") }
            return try Self.load(id: try row.string("id"), db: db)
        }
    }

    // MARK: - The shared change path

    /// Loads the item, checks its version, lets `modify` change it (throwing refuses the change),
    /// then saves it with a new revision, all in one transaction.
    func change(
        id: String, expectedVersion: Int64, action: String, actor: String,
        modify: @escaping @Sendable (inout Content.Item, Int64) throws -> Void
    ) async throws -> Content.Item {
        try Self.requireVersionField(expectedVersion)
        let now = clock.nowUnixMs()
        let changed = try await database.write { db in
            var item = try Self.load(id: id, db: db)
            try Self.checkVersion(item, expected: expectedVersion)
            let previous = item
            try modify(&item, now)
            if item == previous { return item }
            try Self.save(&item, action: action, actor: actor, now: now, previous: previous, db: db)
            return item
        }
        publishedCache.invalidate()
        return changed
    }

    /// Writes `item` as its next version (1 when `previous` is nil): the row, tags, search entry,
    /// slug redirects and the revision.
    static func save(
        _ item: inout Content.Item, action: String, actor: String, now: Int64, previous: Content.Item?,
        db: DatabaseConnection
    ) throws {
        item.version = (previous?.version ?? 0) + 1
        item.updatedBy = actor
        item.updatedAtUnixMs = now
        item.oldSlugs = []
        let fields = item.fields ?? Content.ItemFields()
        let values: [SQLValue] = [
            .integer(Int64(item.kind.rawValue)), .text(fields.title), .text(fields.slug), .text(fields.locale),
            .text(fields.body), .text(fields.summary), .text(encodeTags(fields.tags)), .text(fields.seoTitle),
            .text(fields.seoDescription), .text(item.authorId), .text(item.updatedBy),
            .integer(Int64(item.status.rawValue)), .integer(item.version), .integer(item.createdAtUnixMs),
            .integer(item.updatedAtUnixMs), .integer(item.publishedAtUnixMs), .integer(item.publishAtUnixMs),
            .integer(item.unpublishAtUnixMs), .integer(item.trashedAtUnixMs), .text(item.id),
        ]
        do {
            if previous == nil {
                try db.execute("INSERT INTO content_items (\(writtenColumns), id) VALUES (\(placeholders))", values)
            } else {
                let assignments = writtenColumns.split(separator: ",").map { "\($0.trimmingCharacters(in: .whitespaces)) = ?" }
                try db.execute("UPDATE content_items SET \(assignments.joined(separator: ", ")) WHERE id = ?", values)
            }
        } catch let error as StorageError where error.isUniqueConstraintViolation {
            throw RPCError(
                .alreadyExists, "the slug \"\(fields.slug)\" is taken in locale \(fields.locale)",
                fieldViolations: [FieldViolation(field: "fields.slug", description: "is taken in locale \(fields.locale)")])
        }
        try db.execute("DELETE FROM content_item_tags WHERE item_id = ?", [.text(item.id)])
        for tag in Set(fields.tags) {
            try db.execute("INSERT INTO content_item_tags (item_id, tag) VALUES (?, ?)", [.text(item.id), .text(tag)])
        }
        try db.execute(
            "DELETE FROM content_search WHERE rowid = (SELECT seq FROM content_items WHERE id = ?)", [.text(item.id)])
        try db.execute(
            """
            INSERT INTO content_search (rowid, title, summary, body, tags)
            SELECT seq, title, summary, body, ? FROM content_items WHERE id = ?
            """, [.text(fields.tags.joined(separator: " ")), .text(item.id)])
        if let old = previous?.fields, old.slug != fields.slug || old.locale != fields.locale {
            try db.execute(
                "INSERT OR REPLACE INTO content_slug_redirects (locale, slug, item_id) VALUES (?, ?, ?)",
                [.text(old.locale), .text(old.slug), .text(item.id)])
        }
        // A live slug always wins over a redirect of the same name.
        try db.execute(
            "DELETE FROM content_slug_redirects WHERE locale = ? AND slug = ?", [.text(fields.locale), .text(fields.slug)])
        item.oldSlugs = try oldSlugs(of: item.id, db: db)
        try db.execute(
            """
            INSERT INTO content_revisions (item_id, number, action, actor_id, created_at_unix_ms, snapshot)
            VALUES (?, ?, ?, ?, ?, ?)
            """,
            [
                .text(item.id), .integer(item.version), .text(action), .text(actor), .integer(now),
                .blob(item.serializedBytes()),
            ])
    }

    // MARK: - Rows

    private static let writtenColumns = """
        kind, title, slug, locale, body, summary, tags, seo_title, seo_description, author_id, updated_by, status,
        version, created_at_unix_ms, updated_at_unix_ms, published_at_unix_ms, publish_at_unix_ms,
        unpublish_at_unix_ms, trashed_at_unix_ms
        """
    private static let placeholders = Array(repeating: "?", count: 20).joined(separator: ", ")
    /// The columns `item(from:)` reads, qualified with the table alias `i`.
    static let selectedColumns =
        "i.id, "
        + writtenColumns.split(separator: ",").map { "i." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }.joined(separator: ", ")

    /// The item with `id` and its old slugs, or NOT_FOUND.
    static func load(id: String, db: DatabaseConnection) throws -> Content.Item {
        guard let row = try db.queryOne("SELECT \(selectedColumns) FROM content_items i WHERE i.id = ?", [.text(id)]) else {
            throw RPCError(.notFound, "no item \(id)")
        }
        var item = try item(from: row)
        item.oldSlugs = try oldSlugs(of: id, db: db)
        return item
    }

    static func oldSlugs(of id: String, db: DatabaseConnection) throws -> [String] {
        try db.query("SELECT slug FROM content_slug_redirects WHERE item_id = ? ORDER BY slug", [.text(id)])
            .map { try $0.string("slug") }
    }

    /// An item from a row of `selectedColumns` (without old slugs).
    static func item(from row: Row) throws -> Content.Item {
        var fields = Content.ItemFields()
        fields.title = try row.string("title")
        fields.slug = try row.string("slug")
        fields.locale = try row.string("locale")
        fields.body = try row.string("body")
        fields.summary = try row.string("summary")
        fields.tags = decodeTags(try row.string("tags"))
        fields.seoTitle = try row.string("seo_title")
        fields.seoDescription = try row.string("seo_description")
        var item = Content.Item()
        item.id = try row.string("id")
        item.kind = Content.ItemKind(rawValue: Int32(try row.int64("kind")))
        item.fields = fields
        item.status = Content.ItemStatus(rawValue: Int32(try row.int64("status")))
        item.version = try row.int64("version")
        item.authorId = try row.string("author_id")
        item.updatedBy = try row.string("updated_by")
        item.createdAtUnixMs = try row.int64("created_at_unix_ms")
        item.updatedAtUnixMs = try row.int64("updated_at_unix_ms")
        item.publishedAtUnixMs = try row.int64("published_at_unix_ms")
        item.publishAtUnixMs = try row.int64("publish_at_unix_ms")
        item.unpublishAtUnixMs = try row.int64("unpublish_at_unix_ms")
        item.trashedAtUnixMs = try row.int64("trashed_at_unix_ms")
        return item
    }

    // MARK: - Checks and helpers

    static func requireVersionField(_ expectedVersion: Int64) throws {
        guard expectedVersion > 0 else {
            throw RPCError.invalidArgument([
                FieldViolation(field: "expected_version", description: "must be the version you read (1 or more)")
            ])
        }
    }

    /// ABORTED when the caller read another version than the current one.
    static func checkVersion(_ item: Content.Item, expected: Int64) throws {
        guard item.version == expected else {
            throw RPCError(
                .aborted, "item \(item.id) is at version \(item.version), not \(expected): read it again",
                fieldViolations: [
                    FieldViolation(field: "expected_version", description: "is stale: the item is at version \(item.version)")
                ])
        }
    }

    static func requireNotTrashed(_ item: Content.Item) throws {
        guard item.trashedAtUnixMs == 0 else {
            throw RPCError(.failedPrecondition, "item \(item.id) is in the trash: restore it first")
        }
    }

    /// `fields` with trimmed title and tags, tags without duplicates, in the order given.
    static func normalized(_ fields: Content.ItemFields) -> Content.ItemFields {
        var fields = fields
        fields.title = fields.title.trimmingCharacters(in: .whitespacesAndNewlines)
        var seen = Set<String>()
        fields.tags = fields.tags.map { $0.trimmingCharacters(in: .whitespaces) }.filter { seen.insert($0).inserted }
        return fields
    }

    /// `base`, or `base-2`, `base-3`, ... whichever is free in `locale`.
    static func freeSlug(_ base: String, locale: String, db: DatabaseConnection) throws -> String {
        for attempt in 1...1000 {
            let candidate = attempt == 1 ? base : "\(base)-\(attempt)"
            let taken = try db.queryOne(
                "SELECT 1 FROM content_items WHERE locale = ? AND slug = ?", [.text(locale), .text(candidate)])
            if taken == nil { return candidate }
        }
        throw RPCError(
            .alreadyExists, "every slug derived from the title is taken; give one",
            fieldViolations: [FieldViolation(field: "fields.slug", description: "cannot be derived: taken")])
    }

    static func encodeTags(_ tags: [String]) -> String {
        String(decoding: (try? JSONEncoder().encode(tags)) ?? Data("[]".utf8), as: UTF8.self)
    }

    static func decodeTags(_ text: String) -> [String] {
        (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? []
    }
}
