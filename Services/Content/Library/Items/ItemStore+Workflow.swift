import BackofficeAPI
import RPC
import Storage

/// The publication workflow: draft → (scheduled →) published → draft or archived, and the due
/// schedules the `ContentScheduler` applies.
extension ItemStore {
    /// Publishes now (from draft, scheduled or archived); a pending publication is dropped, a
    /// pending unpublication kept.
    public func publish(id: String, expectedVersion: Int64, actor: String) async throws -> Content.Item {
        try await change(id: id, expectedVersion: expectedVersion, action: "publish", actor: actor) { item, now in
            try Self.requireNotTrashed(item)
            guard item.status != .published else {
                throw RPCError(.failedPrecondition, "item \(item.id) is already published")
            }
            item.status = .published
            item.publishedAtUnixMs = now
            item.publishAtUnixMs = 0
        }
    }

    /// Schedules publication at `publishAt` and/or unpublication at `unpublishAt` (0: not that
    /// one). Times must be in the future, unpublication after publication. Scheduling a
    /// publication makes the item `scheduled`; an unpublication alone needs a published or
    /// scheduled item.
    public func schedule(
        id: String, expectedVersion: Int64, publishAt: Int64, unpublishAt: Int64, actor: String
    ) async throws -> Content.Item {
        let now = clock.nowUnixMs()
        var violations: [FieldViolation] = []
        if publishAt == 0 && unpublishAt == 0 {
            violations.append(
                FieldViolation(field: "publish_at_unix_ms", description: "give a publication or unpublication time"))
        }
        if publishAt != 0 && publishAt <= now {
            violations.append(FieldViolation(field: "publish_at_unix_ms", description: "must be in the future"))
        }
        if unpublishAt != 0 && unpublishAt <= now {
            violations.append(FieldViolation(field: "unpublish_at_unix_ms", description: "must be in the future"))
        }
        if publishAt != 0 && unpublishAt != 0 && unpublishAt <= publishAt {
            violations.append(
                FieldViolation(field: "unpublish_at_unix_ms", description: "must be after publish_at_unix_ms"))
        }
        guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
        return try await change(id: id, expectedVersion: expectedVersion, action: "schedule", actor: actor) { item, _ in
            try Self.requireNotTrashed(item)
            if publishAt != 0 {
                guard item.status != .published else {
                    throw RPCError(
                        .failedPrecondition, "item \(item.id) is already published: schedule only its unpublication")
                }
                item.status = .scheduled
                item.publishAtUnixMs = publishAt
            } else {
                guard item.status == .published || item.status == .scheduled else {
                    throw RPCError(
                        .failedPrecondition, "item \(item.id) is neither published nor scheduled: nothing to unpublish")
                }
            }
            item.unpublishAtUnixMs = unpublishAt
        }
    }

    /// Takes a published or scheduled item back to draft, dropping its schedules.
    public func unpublish(id: String, expectedVersion: Int64, actor: String) async throws -> Content.Item {
        try await change(id: id, expectedVersion: expectedVersion, action: "unpublish", actor: actor) { item, _ in
            guard item.status == .published || item.status == .scheduled else {
                throw RPCError(.failedPrecondition, "item \(item.id) is neither published nor scheduled")
            }
            item.status = .draft
            item.publishAtUnixMs = 0
            item.unpublishAtUnixMs = 0
        }
    }

    /// Archives an item (offline, kept), dropping its schedules.
    public func archive(id: String, expectedVersion: Int64, actor: String) async throws -> Content.Item {
        try await change(id: id, expectedVersion: expectedVersion, action: "archive", actor: actor) { item, _ in
            try Self.requireNotTrashed(item)
            guard item.status != .archived else {
                throw RPCError(.failedPrecondition, "item \(item.id) is already archived")
            }
            item.status = .archived
            item.publishAtUnixMs = 0
            item.unpublishAtUnixMs = 0
        }
    }

    // MARK: - Due schedules

    /// Applies every schedule due at `now`: scheduled items whose time has come are published
    /// (as of their scheduled time), then published items whose unpublication is due go back to
    /// draft. Each is a new version by `schedulerActor`. Returns the ids changed, in order.
    @discardableResult
    public func applyDueSchedules(now: Int64) async throws -> [String] {
        let changed = try await database.write { db -> [String] in
            var changed: [String] = []
            let duePublications = try db.query(
                """
                SELECT id FROM content_items WHERE publish_at_unix_ms > 0 AND publish_at_unix_ms <= ?
                AND status = ? AND trashed_at_unix_ms = 0 ORDER BY publish_at_unix_ms
                """, [.integer(now), .integer(Int64(Content.ItemStatus.scheduled.rawValue))])
            for row in duePublications {
                var item = try Self.load(id: try row.string("id"), db: db)
                let previous = item
                item.status = .published
                item.publishedAtUnixMs = item.publishAtUnixMs
                item.publishAtUnixMs = 0
                try Self.save(&item, action: "scheduled publish", actor: Self.schedulerActor, now: now, previous: previous, db: db)
                changed.append(item.id)
            }
            let dueUnpublications = try db.query(
                """
                SELECT id FROM content_items WHERE unpublish_at_unix_ms > 0 AND unpublish_at_unix_ms <= ?
                AND status = ? AND trashed_at_unix_ms = 0 ORDER BY unpublish_at_unix_ms
                """, [.integer(now), .integer(Int64(Content.ItemStatus.published.rawValue))])
            for row in dueUnpublications {
                var item = try Self.load(id: try row.string("id"), db: db)
                let previous = item
                item.status = .draft
                item.unpublishAtUnixMs = 0
                try Self.save(
                    &item, action: "scheduled unpublish", actor: Self.schedulerActor, now: now, previous: previous, db: db)
                changed.append(item.id)
            }
            return changed
        }
        if !changed.isEmpty { publishedCache.invalidate() }
        return changed
    }

    /// The earliest pending publication or unpublication time, nil when nothing is scheduled.
    public func nextDueTime() async throws -> Int64? {
        try await database.read { db in
            let row = try db.queryOne(
                """
                SELECT min(t) AS next FROM (
                    SELECT min(publish_at_unix_ms) AS t FROM content_items
                    WHERE publish_at_unix_ms > 0 AND status = ?1 AND trashed_at_unix_ms = 0
                    UNION ALL
                    SELECT min(unpublish_at_unix_ms) FROM content_items
                    WHERE unpublish_at_unix_ms > 0 AND status = ?2 AND trashed_at_unix_ms = 0
                )
                """,
                [.integer(Int64(Content.ItemStatus.scheduled.rawValue)), .integer(Int64(Content.ItemStatus.published.rawValue))])
            guard let row, !(try row.isNull("next")) else { return nil }
            return try row.int64("next")
        }
    }
}
