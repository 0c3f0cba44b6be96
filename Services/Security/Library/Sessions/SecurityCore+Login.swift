import AccessControl
import BackofficeAPI
import Foundation
import RPC
import Storage

extension SecurityCore {
    /// The message of every refused login that is not about a lock or throttling: the same for
    /// unknown accounts, wrong passwords and deactivated accounts.
    public static let invalidLoginMessage = "invalid username or password"
    /// The message of a login refused because the account (or login name) is locked.
    public static let lockedLoginMessage = "too many failed logins: the account is temporarily locked; try again later"

    /// Logs in with a username or email and a password from `clientAddress`: a new session token
    /// and the principal, or UNAUTHENTICATED (see `Sessions.Login`).
    public func login(_ request: Security.LoginRequest, clientAddress: String) async throws -> Security.LoginResponse {
        var checks = FieldChecks()
        checks.require(request.login, "login", maxLength: FieldChecks.emailLength)
        if request.password.isEmpty { checks.add("password", "is required") }
        if request.password.utf8.count > FieldChecks.passwordBytes || request.password.count > passwordPolicy.maximumLength {
            checks.add("password", "must be at most \(passwordPolicy.maximumLength) characters long")
        }
        try checks.throwIfAny()

        let address = AddressText.host(of: clientAddress)
        if let refusal = throttle.decision(for: address).rpcError { throw refusal }
        let loginKey = AccountRecord.key(request.login)
        let attempt = SecurityEventDraft(kind: .loginFailed, login: request.login, clientAddress: clientAddress)

        guard let account = try await database.read({ db in try AccountRecord.find(login: loginKey, in: db) }) else {
            try await refuseUnknownLogin(loginKey, attempt: attempt, address: address)
        }
        if case .locked(_, let retryAfter) = account.lockout(policy: configuration.lockoutPolicy).status(at: now) {
            try await recordEvents([Self.event(attempt, .loginRefusedLocked, userID: account.userID)])
            throw Self.lockedError(retryAfter: retryAfter)
        }
        let matches = try await hashing.verify(request.password, against: account.passwordHash)
        guard matches, account.isActive else {
            try await countFailedAttempt(of: account.userID, attempt: attempt, address: address, countsTowardLock: !matches)
            throw RPCError(.unauthenticated, Self.invalidLoginMessage)
        }
        // A hash made with older parameters is replaced now that the password is known.
        var rehash: (old: String, new: String)?
        if hashing.needsRehash(account.passwordHash), let new = try? await hashPassword(request.password) {
            rehash = (account.passwordHash, new)
        }
        return try await openSession(for: account.userID, attempt: attempt, rehash: rehash)
    }

    /// Creates the session of a successful login in one transaction, re-checking that the account
    /// is still active and unlocked, and clearing its failure count.
    private func openSession(
        for userID: String, attempt: SecurityEventDraft, rehash: (old: String, new: String)?
    ) async throws -> Security.LoginResponse {
        let minted = tokens.mint()
        let sessionID = RandomID.make("ses_")
        let time = now
        let policy = sessionPolicy
        let lockoutPolicy = configuration.lockoutPolicy
        let expiresAtMs = time.addingTimeInterval(policy.absoluteLifetime).unixMs
        let principal = try await database.write { db -> Auth.Principal in
            guard let account = try AccountRecord.load(userID, in: db), account.isActive,
                case .open = account.lockout(policy: lockoutPolicy).status(at: time)
            else { throw RPCError(.unauthenticated, Self.invalidLoginMessage) }
            try db.execute(
                "UPDATE accounts SET failed_logins = 0, locked_until_ms = 0 WHERE user_id = ?", [.text(userID)])
            if let rehash {
                try db.execute(
                    "UPDATE accounts SET password_hash = ? WHERE user_id = ? AND password_hash = ?",
                    [.text(rehash.new), .text(userID), .text(rehash.old)])
            }
            // Sessions past their absolute expiry are of no use to anyone: drop them on the way.
            try db.execute(
                "DELETE FROM sessions WHERE user_id = ? AND expires_at_ms <= ?", [.text(userID), .integer(time.unixMs)])
            try db.execute(
                """
                INSERT INTO sessions (id, token_hash, user_id, created_at_ms, last_seen_at_ms, expires_at_ms, client_address)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(sessionID), .text(minted.storageKey), .text(userID), .integer(time.unixMs),
                    .integer(time.unixMs), .integer(expiresAtMs), .text(attempt.clientAddress),
                ])
            let validUntil = min(expiresAtMs, time.addingTimeInterval(policy.idleTimeout).unixMs)
            return try account.principal(sessionID: sessionID, expiresAtMs: validUntil, in: db)
        }
        var response = Security.LoginResponse()
        response.token = minted.token
        response.sessionId = sessionID
        response.expiresAtUnixMs = expiresAtMs
        response.idleTimeoutMs = Int64(policy.idleTimeout * 1000)
        response.principal = principal
        return response
    }

    /// A login naming no account: the same work and answers as a wrong password (a lookup, a
    /// dummy verification, a lockout of the name, throttling, one transaction), then
    /// UNAUTHENTICATED.
    private func refuseUnknownLogin(_ loginKey: String, attempt: SecurityEventDraft, address: String) async throws -> Never {
        let lockouts = unknownLogins
        let lockout = try await database.read { db in try lockouts.lockout(of: loginKey, in: db) }
        if case .locked(_, let retryAfter) = lockout.status(at: now) {
            try await recordEvents([Self.event(attempt, .loginRefusedLocked)])
            throw Self.lockedError(retryAfter: retryAfter)
        }
        try await hashing.dummyVerify()
        let time = now
        let throttled = throttleFailure(address: address, attempt: attempt)
        try await database.write { db in
            var events = [attempt]
            if case .locked = try lockouts.recordFailure(of: loginKey, at: time, in: db) {
                events.append(Self.event(attempt, .accountLocked))
            }
            for event in events + throttled { try SecurityEventLog.record(event, atMs: time.unixMs, in: db) }
        }
        throw RPCError(.unauthenticated, Self.invalidLoginMessage)
    }

    /// A wrong password (or a login to a deactivated account): counts the failure on the account
    /// when `countsTowardLock` (locking it at the limit), throttles the address, and records
    /// `attempt` (an event of its kind) plus any lock or throttling, in one transaction.
    func countFailedAttempt(of userID: String, attempt: SecurityEventDraft, address: String, countsTowardLock: Bool) async throws {
        let time = now
        let policy = configuration.lockoutPolicy
        let throttled = throttleFailure(address: address, attempt: attempt)
        try await database.write { db in
            var events = [Self.event(attempt, attempt.kind, userID: userID)]
            if countsTowardLock, let account = try AccountRecord.load(userID, in: db) {
                var lockout = account.lockout(policy: policy)
                if case .locked = lockout.recordFailure(at: time) {
                    events.append(Self.event(attempt, .accountLocked, userID: userID))
                }
                try db.execute(
                    "UPDATE accounts SET failed_logins = ?, locked_until_ms = ? WHERE user_id = ?",
                    [
                        .integer(Int64(lockout.consecutiveFailures)), .integer(lockout.lockedUntil?.unixMs ?? 0),
                        .text(userID),
                    ])
            } else if !countsTowardLock {
                events[0].detail = "account deactivated"
            }
            for event in events + throttled { try SecurityEventLog.record(event, atMs: time.unixMs, in: db) }
        }
    }

    /// Takes a failure from the address's allowance; the event to record when it just ran out.
    private func throttleFailure(address: String, attempt: SecurityEventDraft) -> [SecurityEventDraft] {
        guard case .throttled = throttle.recordFailure(from: address) else { return [] }
        return [Self.event(attempt, .loginThrottled)]
    }

    /// Records `events` in one transaction.
    func recordEvents(_ events: [SecurityEventDraft]) async throws {
        let time = nowMs
        try await database.write { db in
            for event in events { try SecurityEventLog.record(event, atMs: time, in: db) }
        }
    }

    /// `attempt` as an event of `kind`, for `userID` when given.
    private static func event(_ attempt: SecurityEventDraft, _ kind: SecurityEventKind, userID: String? = nil) -> SecurityEventDraft {
        var event = attempt
        event.kind = kind
        if let userID { event.userID = userID }
        return event
    }

    /// UNAUTHENTICATED for a locked account or name, with `retry-after-ms`.
    static func lockedError(retryAfter: TimeInterval) -> RPCError {
        RPCError(
            .unauthenticated, lockedLoginMessage,
            metadata: [Metadata.Keys.retryAfterMillis: String(max(1, Int((retryAfter * 1000).rounded(.up))))])
    }
}
