import BackofficeAPI
import Foundation
import RPC
import Storage

/// The `security_events` table: written inside the transaction of what it records, listed newest
/// first with opaque page tokens.
enum SecurityEventLog {
    /// The default page size.
    static let defaultPageSize = 50
    /// The largest page size.
    static let maxPageSize = 500
    /// The longest login name kept in an event (what clients send is untrusted).
    static let maxLoginLength = 254

    /// Inserts `event` at `atMs` on `db` (inside the caller's transaction).
    static func record(_ event: SecurityEventDraft, atMs: Int64, in db: DatabaseConnection) throws {
        try db.execute(
            """
            INSERT INTO security_events (id, occurred_at_ms, kind, user_id, login, client_address, actor, detail)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(RandomID.make("sev_")), .integer(atMs), .text(event.kind.rawValue), .text(event.userID),
                .text(String(event.login.prefix(maxLoginLength))), .text(event.clientAddress), .text(event.actor),
                .text(event.detail),
            ])
    }

    /// The page of events `request` asks for.
    static func list(
        _ request: Security.ListSecurityEventsRequest, in database: Database
    ) async throws -> Security.ListSecurityEventsResponse {
        var checks = FieldChecks()
        let pageSize = request.pageSize == 0 ? defaultPageSize : Int(request.pageSize)
        if pageSize < 1 || pageSize > maxPageSize { checks.add("page_size", "must be between 1 and \(maxPageSize)") }
        var below: Int64?
        if !request.pageToken.isEmpty {
            below = PageToken.decode(request.pageToken, prefix: "sev1")
            if below == nil { checks.add("page_token", "is not a token this service issued") }
        }
        if !request.kind.isEmpty, SecurityEventKind(rawValue: request.kind) == nil {
            checks.add("kind", "is not an event kind")
        }
        checks.limit(request.userId, "user_id", maxLength: FieldChecks.idLength)
        try checks.throwIfAny()

        var clauses: [String] = []
        var bindings: [SQLValue] = []
        if !request.userId.isEmpty {
            clauses.append("user_id = ?")
            bindings.append(.text(request.userId))
        }
        if !request.kind.isEmpty {
            clauses.append("kind = ?")
            bindings.append(.text(request.kind))
        }
        if let below {
            clauses.append("sequence < ?")
            bindings.append(.integer(below))
        }
        bindings.append(.integer(Int64(pageSize + 1)))
        let filter = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        let sql = "SELECT * FROM security_events \(filter) ORDER BY sequence DESC LIMIT ?"
        let rows = try await database.read { [bindings] db in try db.query(sql, bindings) }
        var response = Security.ListSecurityEventsResponse()
        for row in rows.prefix(pageSize) {
            var event = Security.SecurityEvent()
            event.eventId = try row.string("id")
            event.occurredAtUnixMs = try row.int64("occurred_at_ms")
            event.kind = try row.string("kind")
            event.userId = try row.string("user_id")
            event.login = try row.string("login")
            event.clientAddress = try row.string("client_address")
            event.actor = try row.string("actor")
            event.detail = try row.string("detail")
            response.events.append(event)
        }
        if rows.count > pageSize, let last = rows.prefix(pageSize).last {
            response.nextPageToken = PageToken.encode(try last.int64("sequence"), prefix: "sev1")
        }
        return response
    }
}

/// Opaque page tokens: a prefix naming the listing and a position in hex.
enum PageToken {
    /// `prefix` + `position` in hex.
    static func encode(_ position: Int64, prefix: String) -> String {
        prefix + String(position, radix: 16)
    }

    /// The position in `token`, or nil when it is not a token of this listing.
    static func decode(_ token: String, prefix: String) -> Int64? {
        guard token.hasPrefix(prefix) else { return nil }
        let digits = token.dropFirst(prefix.count)
        guard !digits.isEmpty, digits.count <= 15, digits.allSatisfy({ $0.isHexDigit && !$0.isUppercase }),
            let position = Int64(digits, radix: 16), position > 0
        else { return nil }
        return position
    }
}
