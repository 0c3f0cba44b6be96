import AccessControl
import BackofficeAPI
import Foundation
import RPC
import Storage

extension SecurityCore {
    /// The one answer to every credential that does not authenticate.
    public static let invalidCredentialMessage = "invalid or expired credential"

    /// The principal for a session token or API key, or UNAUTHENTICATED (always the same message)
    /// for anything unknown, malformed, expired, revoked or of a deactivated account. Touches the
    /// session's last-seen time (at most once per `SessionPolicy.touchInterval`) and the key's
    /// last use.
    public func authenticate(_ request: Security.AuthenticateRequest) async throws -> Security.AuthenticateResponse {
        let principal: Auth.Principal?
        if request.credential.hasPrefix(SessionTokens.prefix) {
            principal = try await authenticateSession(request.credential)
        } else if let key = ApiKeys.parse(request.credential) {
            principal = try await authenticateApiKey(key)
        } else {
            principal = nil
        }
        guard let principal else { throw RPCError(.unauthenticated, Self.invalidCredentialMessage) }
        var response = Security.AuthenticateResponse()
        response.principal = principal
        response.cacheForMs = max(0, min(Self.maximumCacheMillis, principal.expiresAtUnixMs - nowMs))
        return response
    }

    private func authenticateSession(_ token: String) async throws -> Auth.Principal? {
        guard let storageKey = tokens.storageKey(for: token) else { return nil }
        let time = now
        let policy = sessionPolicy
        let found = try await database.read { db -> (Auth.Principal, touch: Bool)? in
            guard
                let row = try db.queryOne(
                    "SELECT id, user_id, created_at_ms, last_seen_at_ms FROM sessions WHERE token_hash = ?",
                    [.text(storageKey)])
            else { return nil }
            let createdAt = Date(unixMs: try row.int64("created_at_ms"))
            let lastSeen = Date(unixMs: try row.int64("last_seen_at_ms"))
            guard case .valid = policy.validity(createdAt: createdAt, lastSeenAt: lastSeen, now: time),
                let account = try AccountRecord.load(try row.string("user_id"), in: db), account.isActive
            else { return nil }
            // The expiry the caller sees counts this use when it is recorded (touched).
            let touch = policy.shouldTouch(lastSeenAt: lastSeen, now: time)
            guard case .valid(let expiresAt) = policy.validity(createdAt: createdAt, lastSeenAt: touch ? time : lastSeen, now: time)
            else { return nil }
            let principal = try account.principal(sessionID: try row.string("id"), expiresAtMs: expiresAt.unixMs, in: db)
            return (principal, touch)
        }
        guard let (principal, touch) = found else { return nil }
        if touch {
            try await database.write { db in
                try db.execute(
                    "UPDATE sessions SET last_seen_at_ms = max(last_seen_at_ms, ?) WHERE id = ?",
                    [.integer(time.unixMs), .text(principal.sessionId)])
            }
        }
        return principal
    }

    private func authenticateApiKey(_ key: ApiKeys.Parsed) async throws -> Auth.Principal? {
        let time = now
        let policy = sessionPolicy
        let apiKeys = self.apiKeys
        let found = try await database.read { db -> (Auth.Principal, touch: Bool)? in
            guard let row = try db.queryOne("SELECT * FROM api_keys WHERE id = ?", [.text(key.id)]),
                apiKeys.verify(key, storedHash: try row.string("key_hash"))
            else { return nil }
            let expiresAtMs = try row.int64("expires_at_ms")
            guard time.unixMs < expiresAtMs else { return nil }
            if !(try row.isNull("owner_user_id")) {
                guard let owner = try AccountRecord.load(try row.string("owner_user_id"), in: db), owner.isActive else {
                    return nil
                }
            }
            let roles = try RoleDirectory.roles(ofApiKey: key.id, in: db)
            var principal = Auth.Principal()
            principal.subjectId = ApiKeyRecord.subjectID(of: key.id)
            principal.kind = .program
            principal.roles = roles
            principal.permissions = try RoleDirectory.permissions(ofRoles: roles, in: db).map(\.rawValue).sorted()
            principal.expiresAtUnixMs = expiresAtMs
            principal.displayName = try row.string("name")
            let lastUsed = Date(unixMs: try row.int64("last_used_at_ms"))
            return (principal, policy.shouldTouch(lastSeenAt: lastUsed, now: time))
        }
        guard let (principal, touch) = found else { return nil }
        if touch {
            try await database.write { db in
                try db.execute(
                    "UPDATE api_keys SET last_used_at_ms = max(last_used_at_ms, ?) WHERE id = ?",
                    [.integer(time.unixMs), .text(key.id)])
            }
        }
        return principal
    }
}
