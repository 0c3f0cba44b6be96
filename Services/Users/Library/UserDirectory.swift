import RPC
import ServiceRuntime

/// The users service's operations on accounts, keeping the local profile and the security
/// service's credential in step.
///
/// ## Order of writes
/// Two databases are involved and there is no distributed transaction, so every operation orders
/// its writes such that a failure at any point leaves either nothing, or a state that fails
/// closed and that a retry (or the sweeper) repairs. Never a profile without a credential that
/// a reader could see, never a credential without a profile that stays.
///
/// - **Creation** (`register`, `createStaff`): validate; insert the row as `pending` (reserving
///   username and email locally in one transaction: a duplicate is ALREADY_EXISTS with nothing
///   written); call security `CreateAccount` (password policy, its own uniqueness); then mark the
///   row active. If security refuses, the pending row is deleted and security's error passed on.
///   If the outcome is unknown (timeout, lost connection) or activation fails, `DeleteAccount`
///   compensates and the pending row goes. Pending rows are invisible to every read, and a row
///   left behind by a crash is cleaned up by `sweepPendingRegistrations` (delete the credential,
///   then the row): a registration interrupted by a crash is rolled back, never half-done.
/// - **Profile changes**: validate and check uniqueness and version locally; tell security the
///   new username/email/display name (if one of them changes); then save locally. If the local
///   save fails, security is told the old values back.
/// - **Deactivation**: security first (sessions revoked, logins refused), then the local status.
///   **Reactivation**: local first, then security. Either way a failure in between leaves the
///   account unable to log in (fails closed), and repeating the call completes it.
/// - **Erasure**: security `DeleteAccount` first (an unknown account counts as deleted), then the
///   local anonymisation; repeating completes it.
///
/// Changes to one account run one at a time (`PerKeyLock`), so two concurrent requests cannot
/// interleave their security and local writes; a compensation restores what the local row says.
public struct UserDirectory: Sendable {
    /// The local accounts.
    public let store: UserStore
    /// The credentials.
    public let security: SecurityAccounts
    /// Where repairs that could not be made are reported.
    public let logger: Logger
    /// Serializes the changes of one account (see the order of writes above).
    let accountLocks = PerKeyLock()

    /// A directory over `store` and `security`.
    public init(store: UserStore, security: SecurityAccounts, logger: Logger) {
        self.store = store
        self.security = security
        self.logger = logger
    }

    // MARK: - Creation

    /// Creates an account of `kind` with `profile`, its credential with `password` and `roles`.
    public func create(kind: UserKind, profile: Profile, password: String, roles: [String]) async throws -> UserRecord {
        var violations = ProfileValidation.violations(of: profile)
        violations += ProfileValidation.passwordViolations(password)
        for (index, role) in roles.enumerated() where role.isEmpty || role.count > 64 {
            violations.append(FieldViolation(field: "roles[\(index)]", description: "must be 1 to 64 characters long"))
        }
        guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }

        let pending = try await store.insertPending(
            UserRecord(id: UserRecord.newID(), kind: kind, profile: profile, status: .pending, createdAtUnixMs: 0, updatedAtUnixMs: 0))
        do {
            try await security.createAccount(for: pending, password: password, roles: roles)
        } catch {
            let failure = SecurityAccounts.translate(error)
            if SecurityAccounts.certainlyChangedNothing(failure) {
                try? await store.deletePending(id: pending.id)
            } else {
                await undoCreation(id: pending.id, reason: failure)
            }
            throw failure
        }
        do {
            return try await store.activate(id: pending.id)
        } catch {
            await undoCreation(id: pending.id, reason: error)
            throw error
        }
    }

    /// Deletes the credential and then the pending row of a creation that did not complete; when
    /// security cannot be reached the row stays for `sweepPendingRegistrations`.
    func undoCreation(id: String, reason: any Error) async {
        do {
            try await Self.compensating {
                try await security.deleteAccount(id: id)
                try await store.deletePending(id: id)
            }
        } catch {
            logger.warn(
                "could not undo an incomplete account creation; the sweeper will retry",
                ["user_id": id, "reason": String(describing: reason), "error": String(describing: error)])
        }
    }

    /// Runs a compensating write outside the served call: not cancelled with it, not bound by its
    /// deadline, and signed as `backoffice-users` itself (security trusts the suite's services), so
    /// that a caller hanging up or timing out cannot stop the repair half-way.
    static func compensating(_ body: @escaping @Sendable () async throws -> Void) async throws {
        try await Task.detached { try await body() }.value
    }

    /// How old a pending row must be before the sweeper treats its creation as interrupted: far
    /// longer than any creation takes (security calls time out after seconds).
    public static let pendingGracePeriodMs: Int64 = 120_000

    /// Rolls back creations interrupted before `createdBefore` (a crash, or security unreachable
    /// when undoing): deletes the credential, then the pending row. Returns how many were removed.
    @discardableResult
    public func sweepPendingRegistrations(createdBefore unixMs: Int64) async throws -> Int {
        var removed = 0
        for id in try await store.stalePendingIDs(createdBefore: unixMs) {
            try await security.deleteAccount(id: id)
            try await store.deletePending(id: id)
            removed += 1
        }
        if removed > 0 { logger.info("rolled back incomplete account creations", ["count": removed]) }
        return removed
    }

    // MARK: - Changes

    /// Applies `change` to account `id`: the fields in `fields` take their values from `change`.
    public func update(id: String, fields: Set<ProfileField>, change: Profile, expectedVersion: Int64) async throws -> UserRecord {
        try await accountLocks.withLock(id) {
            try await updateLocked(id: id, fields: fields, change: change, expectedVersion: expectedVersion)
        }
    }

    private func updateLocked(id: String, fields: Set<ProfileField>, change: Profile, expectedVersion: Int64) async throws -> UserRecord {
        var violations = ProfileValidation.violations(of: change, fields: fields)
        if fields.isEmpty {
            violations.append(FieldViolation(field: "update_mask", description: "must name at least one field"))
        }
        guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }

        let current = try await store.existingUser(id: id)
        if current.status == .erased {
            throw RPCError(.failedPrecondition, "user \(id) is erased and can no longer change")
        }
        if expectedVersion != 0 && expectedVersion != current.version {
            throw RPCError(.aborted, "account \(id) changed meanwhile: version \(current.version), expected \(expectedVersion)")
        }
        var profile = current.profile
        for field in fields {
            switch field {
            case .username: profile.username = change.username
            case .email: profile.email = change.email
            case .displayName: profile.displayName = change.displayName
            case .phone: profile.phone = change.phone
            case .locale: profile.locale = change.locale
            case .addresses: profile.addresses = change.addresses
            }
        }
        try await store.ensureAvailable(profile, excluding: id)

        let mirrored = { (profile: Profile) in [profile.username, profile.email, profile.displayName] }
        let securityChanges = mirrored(profile) != mirrored(current.profile)
        if securityChanges {
            try await security.updateAccount(
                id: id, username: profile.username, email: profile.email, displayName: profile.displayName)
        }
        do {
            return try await store.saveProfile(profile, id: id, expectedVersion: current.version)
        } catch {
            if securityChanges {
                do {
                    try await Self.compensating {
                        try await security.updateAccount(
                            id: id, username: current.profile.username, email: current.profile.email,
                            displayName: current.profile.displayName)
                    }
                } catch let undo {
                    logger.error(
                        "profile save failed and security could not be told the old values",
                        ["user_id": id, "error": String(describing: undo)])
                }
            }
            throw error
        }
    }

    /// Deactivates account `id`: security first (sessions revoked), then the local status.
    public func deactivate(id: String) async throws -> UserRecord {
        try await accountLocks.withLock(id) {
            try await ensureChangeable(id: id)
            try await security.setStatus(id: id, active: false)
            return try await store.setStatus(.deactivated, id: id)
        }
    }

    /// Reactivates account `id`: the local status first, then security; if security fails the
    /// local status goes back to deactivated.
    public func reactivate(id: String) async throws -> UserRecord {
        try await accountLocks.withLock(id) {
            let before = try await store.existingUser(id: id).status
            let record = try await store.setStatus(.active, id: id)
            do {
                try await security.setStatus(id: id, active: true)
            } catch {
                if before == .deactivated { _ = try? await store.setStatus(.deactivated, id: id) }
                throw error
            }
            return record
        }
    }

    /// Erases account `id`: the credential first, then the personal data.
    public func erase(id: String) async throws -> UserRecord {
        try await accountLocks.withLock(id) {
            guard try await store.existingUser(id: id).status != .erased else { return try await store.erase(id: id) }
            try await security.deleteAccount(id: id)
            return try await store.erase(id: id)
        }
    }

    /// Throws NOT_FOUND or FAILED_PRECONDITION (erased) before a change that starts in security.
    private func ensureChangeable(id: String) async throws {
        if try await store.existingUser(id: id).status == .erased {
            throw RPCError(.failedPrecondition, "user \(id) is erased and can no longer change")
        }
    }

    // MARK: - Listing

    /// The largest page.
    public static let maximumPageSize = 200
    /// The page size when the request gives none.
    public static let defaultPageSize = 50

    /// One page of accounts matching `filter` and holding `role` (when not empty).
    public func list(
        filter: UserFilter, role: String, pageSize: Int, pageToken: String
    ) async throws -> (users: [UserRecord], nextPageToken: String) {
        var violations: [FieldViolation] = []
        if pageSize < 0 || pageSize > Self.maximumPageSize {
            violations.append(FieldViolation(field: "page_size", description: "must be 0 to \(Self.maximumPageSize)"))
        }
        violations += ProfileValidation.lengthViolations(filter.text, field: "text", maximum: 200)
        violations += ProfileValidation.lengthViolations(role, field: "role", maximum: 64)
        let fingerprint = PageToken.fingerprint(of: [
            filter.kind?.rawValue ?? "", filter.status?.rawValue ?? "", filter.text, role,
        ])
        var token: PageToken?
        if !pageToken.isEmpty {
            do {
                token = try PageToken.decode(pageToken, expectedFingerprint: fingerprint)
            } catch {
                violations += error.fieldViolations
            }
        }
        guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }

        var filter = filter
        if !role.isEmpty { filter.ids = try await security.holders(ofRole: role) }
        let size = pageSize == 0 ? Self.defaultPageSize : pageSize
        var users = try await store.list(filter, after: token, limit: size + 1)
        var next = ""
        if users.count > size {
            users.removeLast(users.count - size)
            let last = users[users.count - 1]
            next = PageToken(createdAtUnixMs: last.createdAtUnixMs, id: last.id, filterFingerprint: fingerprint).encoded
        }
        return (users, next)
    }
}
