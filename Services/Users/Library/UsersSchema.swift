import Storage

/// The users service's database schema: every migration, oldest first. A new migration goes at the
/// end with the next version number; a shipped one is never renumbered or edited.
public enum UsersSchema {
    /// The migrations, in version order.
    public static let migrations: [Migration] = [
        Migration(
            version: 1, name: "users and bootstrap",
            sql: """
                CREATE TABLE users (
                    id TEXT PRIMARY KEY,
                    kind TEXT NOT NULL CHECK (kind IN ('staff', 'customer')),
                    username TEXT NOT NULL UNIQUE,
                    email TEXT NOT NULL,
                    email_key TEXT NOT NULL UNIQUE,
                    display_name TEXT NOT NULL DEFAULT '',
                    phone TEXT NOT NULL DEFAULT '',
                    locale TEXT NOT NULL DEFAULT '',
                    addresses TEXT NOT NULL DEFAULT '[]',
                    status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'deactivated', 'erased')),
                    version INTEGER NOT NULL DEFAULT 1,
                    created_at_ms INTEGER NOT NULL,
                    updated_at_ms INTEGER NOT NULL
                );
                CREATE INDEX users_by_creation ON users (created_at_ms, id);
                CREATE TABLE bootstrap (
                    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                    user_id TEXT NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('pending', 'done')),
                    updated_at_ms INTEGER NOT NULL
                );
                """)
    ]
}
