import Foundation
import RPC
import Storage

/// The accounts table: every read and write of `users.sqlite`. Each method is one transaction;
/// uniqueness (username, email ignoring case) is checked and enforced inside the transaction that
/// writes, so concurrent requests cannot both take a name.
///
/// Errors are `RPCError`s callers can pass on: NOT_FOUND, ALREADY_EXISTS (with the taken field as a
/// field violation), ABORTED for a stale `expected_version`, FAILED_PRECONDITION for erased accounts.
public struct UserStore: Sendable {
    /// The database the accounts live in.
    public let database: Database
    /// Now, in Unix milliseconds (injectable for tests).
    public let clock: @Sendable () -> Int64

    /// The wall clock in Unix milliseconds.
    public static let systemClock: @Sendable () -> Int64 = { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    /// A store over `database`, stamping rows with `clock`.
    public init(database: Database, clock: @escaping @Sendable () -> Int64 = UserStore.systemClock) {
        self.database = database
        self.clock = clock
    }

    /// Opens (and migrates) the database at `path`.
    public static func open(path: String, clock: @escaping @Sendable () -> Int64 = UserStore.systemClock) async throws -> UserStore {
        UserStore(database: try await Database.open(path: path, migrations: UsersSchema.migrations), clock: clock)
    }

    // MARK: - Creation

    /// Inserts `record` with status `pending`, reserving its username and email. ALREADY_EXISTS
    /// (nothing written) when either is taken. Returns the stored record.
    @discardableResult
    public func insertPending(_ record: UserRecord) async throws -> UserRecord {
        let now = clock()
        var record = record
        record.status = .pending
        record.version = 1
        record.createdAtUnixMs = now
        record.updatedAtUnixMs = now
        let stored = record
        try await database.write { connection in
            try Self.ensureAvailable(stored.profile, excluding: nil, in: connection)
            try connection.execute(
                """
                INSERT INTO users (id, kind, username, email, email_key, display_name, phone, locale, addresses,
                                   status, version, created_at_ms, updated_at_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 1, ?, ?)
                """,
                [.text(stored.id), .text(stored.kind.rawValue)] + Self.profileValues(stored.profile) + [
                    .integer(now), .integer(now),
                ])
        }
        return stored
    }

    /// Turns the pending row `id` into an active account.
    public func activate(id: String) async throws -> UserRecord {
        let now = clock()
        return try await database.write { connection in
            let changed = try connection.execute(
                "UPDATE users SET status = 'active', updated_at_ms = ? WHERE id = ? AND status = 'pending'",
                [.integer(now), .text(id)]
            ).changes
            guard changed == 1, let record = try Self.record(id: id, in: connection) else {
                throw RPCError(.internalError, "the pending account \(id) disappeared")
            }
            return record
        }
    }

    /// Deletes the row `id` if it is still pending (a registration that did not complete).
    public func deletePending(id: String) async throws {
        try await database.write { connection in
            _ = try connection.execute("DELETE FROM users WHERE id = ? AND status = 'pending'", [.text(id)])
        }
    }

    /// Ids of pending rows created before `unixMs`, except the bootstrap administrator's.
    public func stalePendingIDs(createdBefore unixMs: Int64) async throws -> [String] {
        try await database.read { connection in
            try connection.query(
                """
                SELECT id FROM users WHERE status = 'pending' AND created_at_ms < ?
                AND id NOT IN (SELECT user_id FROM bootstrap) ORDER BY created_at_ms
                """, [.integer(unixMs)]
            ).map { try $0.string("id") }
        }
    }

    // MARK: - Reads

    /// The account `id`, or nil (pending rows are not accounts yet).
    public func user(id: String) async throws -> UserRecord? {
        try await database.read { connection in
            try Self.record(id: id, in: connection).flatMap { $0.status == .pending ? nil : $0 }
        }
    }

    /// The account `id`, or NOT_FOUND.
    public func existingUser(id: String) async throws -> UserRecord {
        guard let record = try await user(id: id) else { throw Self.notFound(id) }
        return record
    }

    /// Throws ALREADY_EXISTS when another account than `id` has the username or email of `profile`.
    public func ensureAvailable(_ profile: Profile, excluding id: String?) async throws {
        try await database.read { connection in try Self.ensureAvailable(profile, excluding: id, in: connection) }
    }

    /// Up to `limit` accounts matching `filter`, ordered by creation then id, after `token`.
    public func list(_ filter: UserFilter, after token: PageToken?, limit: Int) async throws -> [UserRecord] {
        var conditions = ["status != 'pending'"]
        var bindings: [SQLValue] = []
        if let kind = filter.kind {
            conditions.append("kind = ?")
            bindings.append(.text(kind.rawValue))
        }
        if let status = filter.status {
            conditions.append("status = ?")
            bindings.append(.text(status.rawValue))
        }
        if !filter.text.isEmpty {
            let pattern = "%" + Self.escapeLike(filter.text.lowercased()) + "%"
            conditions.append(
                "(username LIKE ? ESCAPE '\\' OR email_key LIKE ? ESCAPE '\\' OR lower(display_name) LIKE ? ESCAPE '\\')")
            bindings += [.text(pattern), .text(pattern), .text(pattern)]
        }
        if let ids = filter.ids {
            let json = String(decoding: try JSONEncoder().encode(ids), as: UTF8.self)
            conditions.append("id IN (SELECT value FROM json_each(?))")
            bindings.append(.text(json))
        }
        if let token {
            conditions.append("(created_at_ms > ? OR (created_at_ms = ? AND id > ?))")
            bindings += [.integer(token.createdAtUnixMs), .integer(token.createdAtUnixMs), .text(token.id)]
        }
        bindings.append(.integer(Int64(limit)))
        let sql = "SELECT * FROM users WHERE \(conditions.joined(separator: " AND ")) ORDER BY created_at_ms, id LIMIT ?"
        let finalBindings = bindings
        return try await database.read { connection in
            try connection.query(sql, finalBindings).map(Self.record(from:))
        }
    }

    // MARK: - Changes

    /// Replaces the profile of account `id`. ABORTED when `expectedVersion` (non-zero) is not the
    /// current version, ALREADY_EXISTS when the new username or email belongs to another account,
    /// FAILED_PRECONDITION for an erased account.
    public func saveProfile(_ profile: Profile, id: String, expectedVersion: Int64) async throws -> UserRecord {
        let now = clock()
        return try await database.write { connection in
            let current = try Self.changeable(id: id, in: connection)
            if expectedVersion != 0 && expectedVersion != current.version {
                throw RPCError(
                    .aborted, "account \(id) changed meanwhile: version \(current.version), expected \(expectedVersion)")
            }
            try Self.ensureAvailable(profile, excluding: id, in: connection)
            try connection.execute(
                """
                UPDATE users SET username = ?, email = ?, email_key = ?, display_name = ?, phone = ?, locale = ?,
                addresses = ?, version = version + 1, updated_at_ms = ? WHERE id = ?
                """, Self.profileValues(profile) + [.integer(now), .text(id)])
            return try Self.record(id: id, in: connection)!
        }
    }

    /// Sets the status of account `id` to active or deactivated (idempotent: an unchanged status
    /// keeps its version). NOT_FOUND, or FAILED_PRECONDITION for an erased account.
    public func setStatus(_ status: UserStatus, id: String) async throws -> UserRecord {
        precondition(status == .active || status == .deactivated, "setStatus is for activation only")
        let now = clock()
        return try await database.write { connection in
            let current = try Self.changeable(id: id, in: connection)
            guard current.status != status else { return current }
            try connection.execute(
                "UPDATE users SET status = ?, version = version + 1, updated_at_ms = ? WHERE id = ?",
                [.text(status.rawValue), .integer(now), .text(id)])
            return try Self.record(id: id, in: connection)!
        }
    }

    /// Replaces the personal data of account `id` with placeholders and marks it erased; the id,
    /// kind and creation time stay. Idempotent.
    public func erase(id: String) async throws -> UserRecord {
        let now = clock()
        return try await database.write { connection in
            guard let current = try Self.record(id: id, in: connection), current.status != .pending else {
                throw Self.notFound(id)
            }
            guard current.status != .erased else { return current }
            try connection.execute(
                """
                UPDATE users SET username = ?, email = ?, email_key = ?, display_name = ?, phone = ?, locale = ?,
                addresses = ?, status = 'erased', version = version + 1, updated_at_ms = ? WHERE id = ?
                """, Self.profileValues(UserRecord.erasedProfile(id: id)) + [.integer(now), .text(id)])
            return try Self.record(id: id, in: connection)!
        }
    }

    // MARK: - Bootstrap

    /// What the first start has to do: nil when the suite already has accounts or the bootstrap
    /// finished; else the id of the administrator to create, whose pending row (with `profile`)
    /// exists once this returns. The decision and the reservation are one transaction, recorded
    /// in the `bootstrap` table, so a restart after a crash resumes with the same id.
    public func prepareBootstrap(administrator profile: Profile) async throws -> String? {
        let now = clock()
        return try await database.write { connection in
            if let row = try connection.queryOne("SELECT user_id, state FROM bootstrap WHERE singleton = 1") {
                return try row.string("state") == "done" ? nil : try row.string("user_id")
            }
            let existing = try connection.queryOne("SELECT count(*) AS n FROM users WHERE status != 'pending'")
            if try existing?.int("n") ?? 0 > 0 {
                try connection.execute(
                    "INSERT INTO bootstrap (singleton, user_id, state, updated_at_ms) VALUES (1, '', 'done', ?)",
                    [.integer(now)])
                return nil
            }
            let id = UserRecord.newID()
            try Self.ensureAvailable(profile, excluding: nil, in: connection)
            try connection.execute(
                """
                INSERT INTO users (id, kind, username, email, email_key, display_name, phone, locale, addresses,
                                   status, version, created_at_ms, updated_at_ms)
                VALUES (?, 'staff', ?, ?, ?, ?, ?, ?, ?, 'pending', 1, ?, ?)
                """, [.text(id)] + Self.profileValues(profile) + [.integer(now), .integer(now)])
            try connection.execute(
                "INSERT INTO bootstrap (singleton, user_id, state, updated_at_ms) VALUES (1, ?, 'pending', ?)",
                [.text(id), .integer(now)])
            return id
        }
    }

    /// Activates the bootstrap administrator and records the bootstrap as done, in one transaction.
    public func completeBootstrap(id: String) async throws {
        let now = clock()
        try await database.write { connection in
            try connection.execute(
                "UPDATE users SET status = 'active', updated_at_ms = ? WHERE id = ? AND status = 'pending'",
                [.integer(now), .text(id)])
            try connection.execute(
                "UPDATE bootstrap SET state = 'done', updated_at_ms = ? WHERE singleton = 1", [.integer(now)])
        }
    }

    /// The bootstrap's state: nil before the first start, else `pending` or `done`.
    public func bootstrapState() async throws -> String? {
        try await database.read { connection in
            try connection.queryOne("SELECT state FROM bootstrap WHERE singleton = 1")?.string("state")
        }
    }

    // MARK: - Rows

    static func notFound(_ id: String) -> RPCError {
        RPCError(.notFound, "no user \(id)")
    }

    static func changeable(id: String, in connection: DatabaseConnection) throws -> UserRecord {
        guard let current = try record(id: id, in: connection), current.status != .pending else { throw notFound(id) }
        guard current.status != .erased else {
            throw RPCError(.failedPrecondition, "user \(id) is erased and can no longer change")
        }
        return current
    }

    static func ensureAvailable(_ profile: Profile, excluding id: String?, in connection: DatabaseConnection) throws {
        let rows = try connection.query(
            "SELECT username, email_key FROM users WHERE (username = ? OR email_key = ?) AND id != ?",
            [.text(profile.username), .text(profile.email.lowercased()), .text(id ?? "")])
        var violations: [FieldViolation] = []
        if try rows.contains(where: { try $0.string("username") == profile.username }) {
            violations.append(FieldViolation(field: "username", description: "is already taken"))
        }
        if try rows.contains(where: { try $0.string("email_key") == profile.email.lowercased() }) {
            violations.append(FieldViolation(field: "email", description: "is already taken"))
        }
        guard violations.isEmpty else {
            let fields = violations.map(\.field).joined(separator: " and ")
            throw RPCError(.alreadyExists, "an account with this \(fields) exists", fieldViolations: violations)
        }
    }

    static func profileValues(_ profile: Profile) -> [SQLValue] {
        let addresses = (try? JSONEncoder().encode(profile.addresses)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
        return [
            .text(profile.username), .text(profile.email), .text(profile.email.lowercased()), .text(profile.displayName),
            .text(profile.phone), .text(profile.locale), .text(addresses),
        ]
    }

    static func record(id: String, in connection: DatabaseConnection) throws -> UserRecord? {
        try connection.queryOne("SELECT * FROM users WHERE id = ?", [.text(id)]).map(record(from:))
    }

    static func record(from row: Row) throws -> UserRecord {
        let addresses = try JSONDecoder().decode([PostalAddress].self, from: Data(try row.string("addresses").utf8))
        let profile = Profile(
            username: try row.string("username"), email: try row.string("email"), displayName: try row.string("display_name"),
            phone: try row.string("phone"), locale: try row.string("locale"), addresses: addresses)
        return UserRecord(
            id: try row.string("id"), kind: UserKind(rawValue: try row.string("kind")) ?? .customer, profile: profile,
            status: UserStatus(rawValue: try row.string("status")) ?? .deactivated, version: try row.int64("version"),
            createdAtUnixMs: try row.int64("created_at_ms"), updatedAtUnixMs: try row.int64("updated_at_ms"))
    }

    static func escapeLike(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
    }
}
