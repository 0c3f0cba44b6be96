import AccessControl
import BackofficeAPI
import Foundation
import RPC
import Storage

extension SecurityCore {
    /// Ends the session the caller authenticated with.
    public func logout(caller: Auth.Principal?) async throws -> Security.LogoutResponse {
        let caller = try Caller.require(caller)
        guard !caller.sessionId.isEmpty else {
            throw RPCError(.failedPrecondition, "the caller is not authenticated with a session")
        }
        try await database.write { db in
            try db.execute(
                "DELETE FROM sessions WHERE id = ? AND user_id = ?", [.text(caller.sessionId), .text(caller.subjectId)])
        }
        return Security.LogoutResponse()
    }

    /// The valid sessions of `userID`; `currentSessionID` is marked `current`.
    public func sessions(of userID: String, currentSessionID: String = "") async throws -> Security.ListSessionsResponse {
        var checks = FieldChecks()
        checks.identifier(userID, "user_id")
        try checks.throwIfAny()
        let time = now
        let policy = sessionPolicy
        return try await database.read { db in
            var response = Security.ListSessionsResponse()
            for row in try db.query("SELECT * FROM sessions WHERE user_id = ? ORDER BY created_at_ms", [.text(userID)]) {
                let createdAt = try row.int64("created_at_ms")
                let lastSeen = try row.int64("last_seen_at_ms")
                guard
                    case .valid = policy.validity(
                        createdAt: Date(unixMs: createdAt), lastSeenAt: Date(unixMs: lastSeen), now: time)
                else { continue }
                var session = Security.Session()
                session.sessionId = try row.string("id")
                session.userId = userID
                session.createdAtUnixMs = createdAt
                session.lastSeenAtUnixMs = lastSeen
                session.expiresAtUnixMs = try row.int64("expires_at_ms")
                session.clientAddress = try row.string("client_address")
                session.current = session.sessionId == currentSessionID
                response.sessions.append(session)
            }
            return response
        }
    }

    /// The caller's own valid sessions.
    public func mySessions(caller: Auth.Principal?) async throws -> Security.ListSessionsResponse {
        let caller = try Caller.require(caller)
        return try await sessions(of: caller.subjectId, currentSessionID: caller.sessionId)
    }

    /// Revokes `sessionID` of `userID`, or every session of `userID` when `sessionID` is empty.
    /// NOT_FOUND when a named session is not one of the account's.
    public func revokeSessions(
        of userID: String, sessionID: String, actor: Auth.Principal?
    ) async throws -> Security.RevokeSessionsResponse {
        let actor = try Caller.require(actor)
        var checks = FieldChecks()
        checks.identifier(userID, "user_id")
        checks.limit(sessionID, "session_id", maxLength: FieldChecks.idLength)
        try checks.throwIfAny()
        let time = nowMs
        let revoked = try await database.write { db -> Int in
            let revoked: Int
            if sessionID.isEmpty {
                revoked = try db.execute("DELETE FROM sessions WHERE user_id = ?", [.text(userID)]).changes
            } else {
                revoked = try db.execute(
                    "DELETE FROM sessions WHERE id = ? AND user_id = ?", [.text(sessionID), .text(userID)]
                ).changes
                if revoked == 0 { throw RPCError(.notFound, "no session \(sessionID) of \(userID)") }
            }
            if actor.subjectId != userID {
                try SecurityEventLog.record(
                    SecurityEventDraft(
                        kind: .sessionsRevoked, userID: userID, actor: actor.subjectId,
                        detail: sessionID.isEmpty ? "all sessions (\(revoked))" : sessionID),
                    atMs: time, in: db)
            }
            return revoked
        }
        var response = Security.RevokeSessionsResponse()
        response.sessionsRevoked = Int32(clamping: revoked)
        return response
    }

    /// Revokes one of the caller's own sessions.
    public func revokeMySession(_ sessionID: String, caller: Auth.Principal?) async throws -> Security.RevokeSessionsResponse {
        let caller = try Caller.require(caller)
        var checks = FieldChecks()
        checks.identifier(sessionID, "session_id")
        try checks.throwIfAny()
        return try await revokeSessions(of: caller.subjectId, sessionID: sessionID, actor: caller)
    }
}
