import AccessControl
import BackofficeAPI
import Foundation
import RPC
import Storage

extension SecurityCore {
    /// Creates an API key for programs; the key is returned once and stored as a keyed hash. The
    /// caller must hold every permission of the key's roles; a staff caller becomes the key's
    /// owner (the key stops working when that account is deactivated).
    public func createApiKey(
        _ request: Security.CreateApiKeyRequest, caller: Auth.Principal?
    ) async throws -> Security.CreateApiKeyResponse {
        let caller = try Caller.require(caller)
        let time = now
        var checks = FieldChecks()
        checks.require(request.name, "name", maxLength: ApiKeyRecord.maxNameLength)
        if request.roles.isEmpty { checks.add("roles", "must name at least one role") }
        for (index, role) in request.roles.enumerated() where role.isEmpty || role.count > RoleRules.maxNameLength {
            checks.add("roles[\(index)]", "must be a role name")
        }
        if request.expiresAtUnixMs <= time.unixMs {
            checks.add("expires_at_unix_ms", "must be in the future")
        } else if request.expiresAtUnixMs > time.addingTimeInterval(Self.maximumApiKeyLifetime).unixMs {
            checks.add("expires_at_unix_ms", "must be at most one year ahead")
        }
        try checks.throwIfAny()
        let roles = Array(Set(request.roles)).sorted()
        let minted = apiKeys.mint()
        let key = try await database.write { db -> Security.ApiKey in
            for role in roles where try !RoleDirectory.exists(role, in: db) {
                throw RPCError(.notFound, "no role named \(role)")
            }
            try Caller.ensureCanGrant(
                try RoleDirectory.permissions(ofRoles: roles, in: db), caller: caller, what: "roles \(roles.joined(separator: ", "))")
            let owner: SQLValue = try AccountRecord.load(caller.subjectId, in: db) != nil ? .text(caller.subjectId) : .null
            try db.execute(
                """
                INSERT INTO api_keys (id, name, key_hash, owner_user_id, created_at_ms, expires_at_ms)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(minted.id), .text(request.name), .text(minted.storageHash), owner, .integer(time.unixMs),
                    .integer(request.expiresAtUnixMs),
                ])
            for role in roles {
                try db.execute("INSERT INTO api_key_roles (key_id, role) VALUES (?, ?)", [.text(minted.id), .text(role)])
            }
            return try ApiKeyRecord.message(
                for: try db.queryOne("SELECT * FROM api_keys WHERE id = ?", [.text(minted.id)])!, in: db)
        }
        var response = Security.CreateApiKeyResponse()
        response.apiKey = key
        response.key = minted.key
        return response
    }

    /// Every API key (revoked keys are deleted), newest first.
    public func listApiKeys() async throws -> Security.ListApiKeysResponse {
        try await database.read { db in
            var response = Security.ListApiKeysResponse()
            response.apiKeys = try db.query("SELECT * FROM api_keys ORDER BY created_at_ms DESC, id").map {
                try ApiKeyRecord.message(for: $0, in: db)
            }
            return response
        }
    }

    /// Revokes (deletes) a key: it stops authenticating at once.
    public func revokeApiKey(
        _ request: Security.RevokeApiKeyRequest, caller: Auth.Principal?
    ) async throws -> Security.RevokeApiKeyResponse {
        _ = try Caller.require(caller)
        var checks = FieldChecks()
        checks.identifier(request.keyId, "key_id")
        try checks.throwIfAny()
        try await database.write { db in
            if try db.execute("DELETE FROM api_keys WHERE id = ?", [.text(request.keyId)]).changes == 0 {
                throw RPCError(.notFound, "no API key \(request.keyId)")
            }
        }
        return Security.RevokeApiKeyResponse()
    }
}
