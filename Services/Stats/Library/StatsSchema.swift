import Storage

/// The stats service's database schema: every migration, oldest first. A new migration goes at the
/// end with the next version number; a shipped one is never renumbered or edited.
///
/// - `stats_seen_events`: every event id ever accepted, with when it was received; the
///   de-duplication memory, kept longer than raw events (see `RetentionPolicy`).
/// - `stats_events`: the raw events, kept for the raw retention.
/// - `stats_hourly`, `stats_hourly_money`, `stats_hourly_top`: the hourly rollups (UTC hours),
///   updated in the transaction that accepts the events, never deleted.
public enum StatsSchema {
    /// The migrations, in version order.
    public static let migrations: [Migration] = [
        Migration(
            version: 1, name: "events and hourly rollups",
            sql: """
                CREATE TABLE stats_seen_events (
                    event_id TEXT PRIMARY KEY,
                    received_at_unix_ms INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX stats_seen_events_received ON stats_seen_events (received_at_unix_ms);

                CREATE TABLE stats_events (
                    seq INTEGER PRIMARY KEY,
                    event_id TEXT NOT NULL,
                    type INTEGER NOT NULL,
                    occurred_at_unix_ms INTEGER NOT NULL,
                    visitor_id TEXT NOT NULL,
                    session_id TEXT NOT NULL,
                    path TEXT NOT NULL,
                    content_id TEXT NOT NULL,
                    amount_minor INTEGER NOT NULL,
                    currency TEXT NOT NULL,
                    order_id TEXT NOT NULL,
                    name TEXT NOT NULL,
                    items TEXT NOT NULL
                );
                CREATE INDEX stats_events_time ON stats_events (occurred_at_unix_ms);

                CREATE TABLE stats_hourly (
                    hour_start_unix_ms INTEGER PRIMARY KEY,
                    visits INTEGER NOT NULL,
                    page_views INTEGER NOT NULL,
                    sales INTEGER NOT NULL,
                    refunds INTEGER NOT NULL,
                    signups INTEGER NOT NULL,
                    custom_events INTEGER NOT NULL,
                    visitors BLOB
                );

                CREATE TABLE stats_hourly_money (
                    hour_start_unix_ms INTEGER NOT NULL,
                    currency TEXT NOT NULL,
                    sales INTEGER NOT NULL,
                    gross_minor INTEGER NOT NULL,
                    refunds INTEGER NOT NULL,
                    refunded_minor INTEGER NOT NULL,
                    PRIMARY KEY (hour_start_unix_ms, currency)
                ) WITHOUT ROWID;

                CREATE TABLE stats_hourly_top (
                    kind INTEGER NOT NULL,
                    hour_start_unix_ms INTEGER NOT NULL,
                    key TEXT NOT NULL,
                    currency TEXT NOT NULL,
                    count INTEGER NOT NULL,
                    amount_minor INTEGER NOT NULL,
                    PRIMARY KEY (kind, hour_start_unix_ms, key, currency)
                ) WITHOUT ROWID;
                """)
    ]
}
