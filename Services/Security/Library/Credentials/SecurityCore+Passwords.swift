import AccessControl
import BackofficeAPI
import Foundation
import RPC
import Storage

extension SecurityCore {
    /// Changes the caller's own password: the current one must be right (INVALID_ARGUMENT on
    /// `current_password` otherwise) and the new one must meet the policy. The caller's other
    /// sessions are revoked; the one it called with stays.
    public func changePassword(
        _ request: Security.ChangePasswordRequest, caller: Auth.Principal?, clientAddress: String = ""
    ) async throws -> Security.ChangePasswordResponse {
        let caller = try Caller.require(caller)
        let account = try await database.read { db in try AccountRecord.load(caller.subjectId, in: db) }
        guard let account, account.isActive else {
            throw RPCError(.failedPrecondition, "the caller has no active account with a password")
        }
        var checks = FieldChecks()
        if request.currentPassword.isEmpty { checks.add("current_password", "is required") }
        for violation in passwordPolicy.violations(
            of: request.newPassword, username: account.username, email: account.email, field: "new_password")
        {
            checks.add(violation.field, violation.description)
        }
        if request.currentPassword.utf8.count > FieldChecks.passwordBytes {
            checks.add("current_password", "is not the current password")
        }
        try checks.throwIfAny()

        guard try await hashing.verify(request.currentPassword, against: account.passwordHash) else {
            try await recordEvents([
                SecurityEventDraft(
                    kind: .passwordChangeFailed, userID: account.userID, clientAddress: clientAddress, actor: caller.subjectId)
            ])
            throw RPCError.invalidArgument([FieldViolation(field: "current_password", description: "is not the current password")])
        }
        let hash = try await hashPassword(request.newPassword)
        let revoked = try await replacePassword(
            of: account.userID, with: hash, keepingSession: caller.sessionId,
            event: SecurityEventDraft(
                kind: .passwordChanged, userID: account.userID, clientAddress: clientAddress, actor: caller.subjectId),
            expectedHash: account.passwordHash)
        var response = Security.ChangePasswordResponse()
        response.sessionsRevoked = Int32(clamping: revoked)
        return response
    }

    /// An administrator sets an account's password: every session of the account is revoked and
    /// its lock cleared.
    public func resetPassword(
        _ request: Security.ResetPasswordRequest, caller: Auth.Principal?
    ) async throws -> Security.ResetPasswordResponse {
        let caller = try Caller.require(caller)
        var checks = FieldChecks()
        checks.identifier(request.userId, "user_id")
        try checks.throwIfAny()
        let account = try await database.read { db in try AccountRecord.require(request.userId, in: db) }
        try passwordPolicy.validate(request.newPassword, username: account.username, email: account.email, field: "new_password")
        let hash = try await hashPassword(request.newPassword)
        let revoked = try await replacePassword(
            of: account.userID, with: hash, keepingSession: "",
            event: SecurityEventDraft(kind: .passwordReset, userID: account.userID, actor: caller.subjectId),
            expectedHash: nil)
        var response = Security.ResetPasswordResponse()
        response.sessionsRevoked = Int32(clamping: revoked)
        return response
    }

    /// Stores `hash` as the account's password, clears its failures and lock, revokes its
    /// sessions except `keepingSession` and records `event`, in one transaction. With an
    /// `expectedHash`, ABORTED when the password changed meanwhile. Returns the sessions revoked.
    private func replacePassword(
        of userID: String, with hash: String, keepingSession: String, event: SecurityEventDraft, expectedHash: String?
    ) async throws -> Int {
        let time = nowMs
        return try await database.write { db in
            let account = try AccountRecord.require(userID, in: db)
            if let expectedHash, account.passwordHash != expectedHash {
                throw RPCError(.aborted, "the password was changed meanwhile; try again")
            }
            try db.execute(
                """
                UPDATE accounts SET password_hash = ?, failed_logins = 0, locked_until_ms = 0, updated_at_ms = ?
                WHERE user_id = ?
                """, [.text(hash), .integer(time), .text(userID)])
            let revoked = try db.execute(
                "DELETE FROM sessions WHERE user_id = ? AND id != ?", [.text(userID), .text(keepingSession)]
            ).changes
            var event = event
            event.detail = "\(revoked) sessions revoked"
            try SecurityEventLog.record(event, atMs: time, in: db)
            return revoked
        }
    }

    /// Clears an account's lockout and failure count.
    public func unlockAccount(
        _ request: Security.UnlockAccountRequest, caller: Auth.Principal?
    ) async throws -> Security.UnlockAccountResponse {
        let caller = try Caller.require(caller)
        var checks = FieldChecks()
        checks.identifier(request.userId, "user_id")
        try checks.throwIfAny()
        let time = now
        let policy = configuration.lockoutPolicy
        let wasLocked = try await database.write { db -> Bool in
            let account = try AccountRecord.require(request.userId, in: db)
            let locked = if case .locked = account.lockout(policy: policy).status(at: time) { true } else { false }
            try db.execute(
                "UPDATE accounts SET failed_logins = 0, locked_until_ms = 0 WHERE user_id = ?", [.text(account.userID)])
            try SecurityEventLog.record(
                SecurityEventDraft(
                    kind: .accountUnlocked, userID: account.userID, actor: caller.subjectId,
                    detail: locked ? "was locked" : "was not locked"),
                atMs: time.unixMs, in: db)
            return locked
        }
        var response = Security.UnlockAccountResponse()
        response.wasLocked = wasLocked
        return response
    }
}
