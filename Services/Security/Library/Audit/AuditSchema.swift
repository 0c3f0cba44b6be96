import Storage

/// The audit trail's tables (prefixed `audit_`) in the security service's database. Its
/// migrations take their place in `SecuritySchema.migrations`, the service's one ordered list.
public enum AuditSchema {
    /// The audit trail's migrations, oldest first.
    public static let migrations: [Migration] = [
        Migration(
            version: 1, name: "audit trail",
            sql: """
                CREATE TABLE audit_records (
                    sequence INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    actor TEXT NOT NULL,
                    actor_kind TEXT NOT NULL,
                    method TEXT NOT NULL,
                    target TEXT NOT NULL,
                    outcome TEXT NOT NULL,
                    client_address TEXT NOT NULL,
                    request_id TEXT NOT NULL,
                    occurred_at_unix_ms INTEGER NOT NULL,
                    details TEXT NOT NULL,
                    previous_hash BLOB NOT NULL,
                    hash BLOB NOT NULL
                );
                CREATE INDEX audit_records_by_actor ON audit_records(actor, sequence);
                CREATE INDEX audit_records_by_method ON audit_records(method, sequence);
                CREATE INDEX audit_records_by_target ON audit_records(target, sequence);
                CREATE INDEX audit_records_by_outcome ON audit_records(outcome, sequence);
                CREATE INDEX audit_records_by_time ON audit_records(occurred_at_unix_ms, sequence);
                -- The chain's head: the last sequence and hash appended, one row. Appends continue
                -- from here, so deleting the newest records shows up as a gap.
                CREATE TABLE audit_chain_head (
                    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                    sequence INTEGER NOT NULL,
                    hash BLOB NOT NULL
                );
                """)
    ]
}
