import BackofficeAPI
import Storage

/// How API keys are stored and shown.
enum ApiKeyRecord {
    /// The principal subject of the key with public id `keyID`: `key_<id>`.
    static func subjectID(of keyID: String) -> String { "key_" + keyID }

    /// The longest key name.
    static let maxNameLength = 100

    /// The key described by `row` (a `SELECT * FROM api_keys`), with its roles.
    static func message(for row: Row, in db: DatabaseConnection) throws -> Security.ApiKey {
        var key = Security.ApiKey()
        key.keyId = try row.string("id")
        key.name = try row.string("name")
        key.roles = try RoleDirectory.roles(ofApiKey: key.keyId, in: db)
        key.ownerUserId = try row.isNull("owner_user_id") ? "" : try row.string("owner_user_id")
        key.createdAtUnixMs = try row.int64("created_at_ms")
        key.expiresAtUnixMs = try row.int64("expires_at_ms")
        key.lastUsedAtUnixMs = try row.int64("last_used_at_ms")
        return key
    }
}
