import Storage

/// The security service's database schema: every migration, oldest first.
///
/// The storage layer applies the migrations whose version is above the highest one a database
/// has recorded. So a new migration goes at the end with the next version number, and a shipped
/// migration is never renumbered or edited.
public enum SecuritySchema {
    /// The migrations, in version order.
    public static let migrations: [Migration] = AuditSchema.migrations + [credentials, unknownLoginLockouts]

    /// Accounts, sessions, roles, API keys, security events and the server secret (version 2).
    /// Session tokens and API keys are stored only as keyed hashes, passwords only as Argon2id.
    static let credentials = Migration(
        version: 2, name: "credentials, sessions, roles, api keys, security events",
        sql: """
            -- Server-side secrets made on first start (the key of the token hashes).
            CREATE TABLE security_settings (
                name TEXT PRIMARY KEY,
                value BLOB NOT NULL
            );
            CREATE TABLE accounts (
                user_id TEXT PRIMARY KEY,
                username TEXT NOT NULL,
                username_key TEXT NOT NULL UNIQUE,
                email TEXT NOT NULL,
                email_key TEXT NOT NULL UNIQUE,
                kind INTEGER NOT NULL,
                display_name TEXT NOT NULL,
                password_hash TEXT NOT NULL,
                status INTEGER NOT NULL,
                failed_logins INTEGER NOT NULL DEFAULT 0,
                locked_until_ms INTEGER NOT NULL DEFAULT 0,
                created_at_ms INTEGER NOT NULL,
                updated_at_ms INTEGER NOT NULL
            );
            CREATE TABLE roles (
                name TEXT PRIMARY KEY,
                description TEXT NOT NULL,
                permissions TEXT NOT NULL,
                version INTEGER NOT NULL,
                created_at_ms INTEGER NOT NULL,
                updated_at_ms INTEGER NOT NULL
            );
            CREATE TABLE account_roles (
                user_id TEXT NOT NULL REFERENCES accounts(user_id) ON DELETE CASCADE,
                role TEXT NOT NULL,
                PRIMARY KEY (user_id, role)
            );
            CREATE INDEX account_roles_by_role ON account_roles(role, user_id);
            CREATE TABLE sessions (
                id TEXT PRIMARY KEY,
                token_hash TEXT NOT NULL UNIQUE,
                user_id TEXT NOT NULL REFERENCES accounts(user_id) ON DELETE CASCADE,
                created_at_ms INTEGER NOT NULL,
                last_seen_at_ms INTEGER NOT NULL,
                expires_at_ms INTEGER NOT NULL,
                client_address TEXT NOT NULL
            );
            CREATE INDEX sessions_by_user ON sessions(user_id);
            CREATE TABLE api_keys (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                key_hash TEXT NOT NULL,
                owner_user_id TEXT REFERENCES accounts(user_id) ON DELETE CASCADE,
                created_at_ms INTEGER NOT NULL,
                expires_at_ms INTEGER NOT NULL,
                last_used_at_ms INTEGER NOT NULL DEFAULT 0
            );
            CREATE TABLE api_key_roles (
                key_id TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
                role TEXT NOT NULL,
                PRIMARY KEY (key_id, role)
            );
            CREATE INDEX api_key_roles_by_role ON api_key_roles(role, key_id);
            CREATE TABLE security_events (
                sequence INTEGER PRIMARY KEY AUTOINCREMENT,
                id TEXT NOT NULL UNIQUE,
                occurred_at_ms INTEGER NOT NULL,
                kind TEXT NOT NULL,
                user_id TEXT NOT NULL,
                login TEXT NOT NULL,
                client_address TEXT NOT NULL,
                actor TEXT NOT NULL,
                detail TEXT NOT NULL
            );
            CREATE INDEX security_events_by_user ON security_events(user_id, sequence);
            CREATE INDEX security_events_by_kind ON security_events(kind, sequence);
            """)

    /// Lockouts of login names that match no account (version 3), kept like an account's so that
    /// a restart unlocks neither kind and a lock still tells nothing about which names exist
    /// (`UnknownLoginLockouts`).
    static let unknownLoginLockouts = Migration(
        version: 3, name: "lockouts of unknown login names",
        sql: """
            CREATE TABLE unknown_login_lockouts (
                login_key TEXT PRIMARY KEY,
                failed_logins INTEGER NOT NULL,
                locked_until_ms INTEGER NOT NULL
            ) WITHOUT ROWID;
            CREATE INDEX unknown_login_lockouts_by_expiry ON unknown_login_lockouts(locked_until_ms)
                WHERE locked_until_ms > 0;
            """)
}
