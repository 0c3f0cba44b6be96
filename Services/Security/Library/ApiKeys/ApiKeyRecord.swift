/// How API keys appear as principals.
enum ApiKeyRecord {
    /// The principal subject of the key with public id `keyID`: `key_<id>`.
    static func subjectID(of keyID: String) -> String { "key_" + keyID }
}
