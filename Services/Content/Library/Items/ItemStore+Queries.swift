import BackofficeAPI
import ProtoRuntime
import RPC
import Storage

/// Reads: search, revisions and the front office's published items.
extension ItemStore {
    // MARK: - Search

    /// One page of items matching `request`: full-text (every word must appear in the title,
    /// summary, body or tags; best matches first) when `query` has words, else newest update first.
    public func search(_ request: Content.SearchItemsRequest) async throws -> (items: [Content.Item], nextPageToken: String) {
        let window = try PageToken.window(token: request.pageToken, pageSize: request.pageSize)
        var violations: [FieldViolation] = []
        if !request.locale.isEmpty && !ItemValidation.isValidLocale(request.locale) {
            violations.append(FieldViolation(field: "locale", description: ItemValidation.localeRule))
        }
        guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
        var filter = ItemFilter()
        filter.add("i.trashed_at_unix_ms \(request.trashed ? "> 0" : "= 0")")
        if request.kind != .unspecified { filter.add("i.kind = ?", .integer(Int64(request.kind.rawValue))) }
        if request.status != .unspecified { filter.add("i.status = ?", .integer(Int64(request.status.rawValue))) }
        if !request.locale.isEmpty { filter.add("i.locale = ?", .text(request.locale)) }
        if !request.authorId.isEmpty { filter.add("i.author_id = ?", .text(request.authorId)) }
        if !request.tag.isEmpty { filter.addTag(request.tag) }
        let match = Self.matchExpression(request.query)
        let sql: String
        var bindings: [SQLValue] = []
        if let match {
            bindings.append(.text(match))
            sql = """
                SELECT \(Self.selectedColumns) FROM content_search s JOIN content_items i ON i.seq = s.rowid
                WHERE content_search MATCH ? AND \(filter.sql) ORDER BY s.rank, i.seq LIMIT ? OFFSET ?
                """
        } else {
            sql = """
                SELECT \(Self.selectedColumns) FROM content_items i WHERE \(filter.sql)
                ORDER BY i.updated_at_unix_ms DESC, i.seq DESC LIMIT ? OFFSET ?
                """
        }
        bindings += filter.bindings + [.integer(Int64(window.size + 1)), .integer(Int64(window.offset))]
        let rows = try await database.read { [bindings] db in try db.query(sql, bindings) }
        let items = try rows.prefix(window.size).map(Self.item(from:))
        return (items, PageToken.next(offset: window.offset, size: window.size, fetched: rows.count))
    }

    /// The FTS5 expression for a free-text query: each word quoted (so no FTS syntax leaks through)
    /// and all required; nil when the query has no words.
    static func matchExpression(_ query: String) -> String? {
        let words = query.split(whereSeparator: { $0.isWhitespace }).map { $0.replacingOccurrences(of: "\"", with: "") }
            .filter { !$0.isEmpty }
        guard !words.isEmpty else { return nil }
        return words.map { "\"\($0)\"" }.joined(separator: " ")
    }

    // MARK: - Revisions

    /// One page of an item's revisions, newest first, without their snapshots.
    public func revisions(
        itemID: String, pageSize: Int32, pageToken: String
    ) async throws -> (revisions: [Content.Revision], nextPageToken: String) {
        let window = try PageToken.window(token: pageToken, pageSize: pageSize)
        let rows = try await database.read { db in
            _ = try Self.load(id: itemID, db: db)
            return try db.query(
                """
                SELECT item_id, number, action, actor_id, created_at_unix_ms FROM content_revisions
                WHERE item_id = ? ORDER BY number DESC LIMIT ? OFFSET ?
                """, [.text(itemID), .integer(Int64(window.size + 1)), .integer(Int64(window.offset))])
        }
        let revisions = try rows.prefix(window.size).map { try Self.revision(from: $0, withItem: false) }
        return (revisions, PageToken.next(offset: window.offset, size: window.size, fetched: rows.count))
    }

    /// Revision `number` of an item, with the item as it was after that change.
    public func revision(itemID: String, number: Int64) async throws -> Content.Revision {
        let row = try await database.read { db in
            try db.queryOne(
                "SELECT * FROM content_revisions WHERE item_id = ? AND number = ?", [.text(itemID), .integer(number)])
        }
        guard let row else { throw RPCError(.notFound, "item \(itemID) has no revision \(number)") }
        return try Self.revision(from: row, withItem: true)
    }

    /// The fields whose values differ between revisions `from` and `to` of an item.
    public func compare(itemID: String, from: Int64, to: Int64) async throws -> [Content.FieldChange] {
        let old = try await revision(itemID: itemID, number: from).item ?? Content.Item()
        let new = try await revision(itemID: itemID, number: to).item ?? Content.Item()
        let oldValues = Self.comparableFields(of: old)
        let newValues = Self.comparableFields(of: new)
        return zip(oldValues, newValues).compactMap { old, new in
            guard old.value != new.value else { return nil }
            var change = Content.FieldChange()
            change.field = old.name
            change.fromValue = old.value
            change.toValue = new.value
            return change
        }
    }

    /// Copies the fields of revision `number` back into the item, as a new revision; the status
    /// and schedules are kept. The fields must still be valid (e.g. a slug taken since is refused).
    public func revert(itemID: String, expectedVersion: Int64, to number: Int64, actor: String) async throws -> Content.Item {
        let target = try await revision(itemID: itemID, number: number).item?.fields ?? Content.ItemFields()
        let violations = validation.violations(of: target, slugMayBeDerived: false)
        guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
        return try await change(id: itemID, expectedVersion: expectedVersion, action: "revert to \(number)", actor: actor) {
            item, _ in
            try Self.requireNotTrashed(item)
            item.fields = target
        }
    }

    static func revision(from row: Row, withItem: Bool) throws -> Content.Revision {
        var revision = Content.Revision()
        revision.itemId = try row.string("item_id")
        revision.number = try row.int64("number")
        revision.action = try row.string("action")
        revision.actorId = try row.string("actor_id")
        revision.createdAtUnixMs = try row.int64("created_at_unix_ms")
        if withItem {
            do {
                revision.item = try Content.Item(serializedBytes: try row.blob("snapshot"))
            } catch {
                throw RPCError(.dataLoss, "revision \(revision.number) of item \(revision.itemId) is unreadable")
            }
        }
        return revision
    }

    /// The fields a comparison shows, by their proto names, as text.
    static func comparableFields(of item: Content.Item) -> [(name: String, value: String)] {
        let fields = item.fields ?? Content.ItemFields()
        return [
            ("title", fields.title), ("slug", fields.slug), ("locale", fields.locale), ("body", fields.body),
            ("summary", fields.summary), ("tags", fields.tags.joined(separator: ", ")), ("seo_title", fields.seoTitle),
            ("seo_description", fields.seoDescription), ("status", item.status.protoName ?? "\(item.status.rawValue)"),
            ("publish_at_unix_ms", String(item.publishAtUnixMs)), ("unpublish_at_unix_ms", String(item.unpublishAtUnixMs)),
            ("trashed_at_unix_ms", String(item.trashedAtUnixMs)),
        ]
    }

    // MARK: - The front office

    /// The published item at `slug` in `locale`, following old slugs to their item. Anything not
    /// published (drafts, scheduled, archived, trashed) is NOT_FOUND, the same as a missing slug.
    public func publishedItem(slug: String, locale: String) async throws -> Content.Item {
        var violations: [FieldViolation] = []
        if !ItemValidation.isValidSlug(slug) { violations.append(FieldViolation(field: "slug", description: ItemValidation.slugRule)) }
        if !ItemValidation.isValidLocale(locale) {
            violations.append(FieldViolation(field: "locale", description: ItemValidation.localeRule))
        }
        guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
        let (cached, generation) = publishedCache.lookup(slug: slug, locale: locale)
        if let cached { return cached }
        let item = try await database.read { db -> Content.Item? in
            let direct = try db.queryOne("SELECT id FROM content_items WHERE locale = ? AND slug = ?", [.text(locale), .text(slug)])
            let redirect =
                direct == nil
                ? try db.queryOne(
                    "SELECT item_id AS id FROM content_slug_redirects WHERE locale = ? AND slug = ?", [.text(locale), .text(slug)])
                : nil
            guard let row = direct ?? redirect else { return nil }
            let item = try Self.load(id: try row.string("id"), db: db)
            return item.status == .published && item.trashedAtUnixMs == 0 ? item : nil
        }
        guard let item else { throw RPCError(.notFound, "nothing is published at \"\(slug)\" in locale \(locale)") }
        publishedCache.store(item, slug: slug, locale: locale, generation: generation)
        return item
    }

    /// One page of published items, most recently published first, filtered by kind, tag and locale.
    public func publishedItems(
        _ request: Content.ListPublishedItemsRequest
    ) async throws -> (items: [Content.Item], nextPageToken: String) {
        let window = try PageToken.window(token: request.pageToken, pageSize: request.pageSize)
        if !request.locale.isEmpty && !ItemValidation.isValidLocale(request.locale) {
            throw RPCError.invalidArgument([FieldViolation(field: "locale", description: ItemValidation.localeRule)])
        }
        var filter = ItemFilter()
        filter.add("i.trashed_at_unix_ms = 0")
        filter.add("i.status = ?", .integer(Int64(Content.ItemStatus.published.rawValue)))
        if request.kind != .unspecified { filter.add("i.kind = ?", .integer(Int64(request.kind.rawValue))) }
        if !request.locale.isEmpty { filter.add("i.locale = ?", .text(request.locale)) }
        if !request.tag.isEmpty { filter.addTag(request.tag) }
        let sql = """
            SELECT \(Self.selectedColumns) FROM content_items i WHERE \(filter.sql)
            ORDER BY i.published_at_unix_ms DESC, i.seq DESC LIMIT ? OFFSET ?
            """
        let bindings = filter.bindings + [.integer(Int64(window.size + 1)), .integer(Int64(window.offset))]
        let rows = try await database.read { db in try db.query(sql, bindings) }
        let items = try rows.prefix(window.size).map(Self.item(from:))
        return (items, PageToken.next(offset: window.offset, size: window.size, fetched: rows.count))
    }
}

/// A conjunction of SQL conditions on `content_items i` and their bindings.
struct ItemFilter {
    private(set) var clauses: [String] = []
    private(set) var bindings: [SQLValue] = []

    mutating func add(_ clause: String, _ values: SQLValue...) {
        clauses.append(clause)
        bindings += values
    }

    mutating func addTag(_ tag: String) {
        add("EXISTS (SELECT 1 FROM content_item_tags t WHERE t.item_id = i.id AND t.tag = ?)", .text(tag))
    }

    var sql: String { clauses.isEmpty ? "1" : clauses.joined(separator: " AND ") }
}
