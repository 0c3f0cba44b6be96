import Storage

/// The content service's database schema: every migration, oldest first. A new migration goes at the
/// end with the next version number; a shipped one is never renumbered or edited.
public enum ContentSchema {
    /// The migrations, in version order.
    public static let migrations: [Migration] = [
        Migration(
            version: 1, name: "items, slug redirects, revisions and full-text search",
            sql: """
                CREATE TABLE content_items (
                    seq INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    kind INTEGER NOT NULL,
                    title TEXT NOT NULL,
                    slug TEXT NOT NULL,
                    locale TEXT NOT NULL,
                    body TEXT NOT NULL,
                    summary TEXT NOT NULL,
                    tags TEXT NOT NULL,
                    seo_title TEXT NOT NULL,
                    seo_description TEXT NOT NULL,
                    author_id TEXT NOT NULL,
                    updated_by TEXT NOT NULL,
                    status INTEGER NOT NULL,
                    version INTEGER NOT NULL,
                    created_at_unix_ms INTEGER NOT NULL,
                    updated_at_unix_ms INTEGER NOT NULL,
                    published_at_unix_ms INTEGER NOT NULL DEFAULT 0,
                    publish_at_unix_ms INTEGER NOT NULL DEFAULT 0,
                    unpublish_at_unix_ms INTEGER NOT NULL DEFAULT 0,
                    trashed_at_unix_ms INTEGER NOT NULL DEFAULT 0
                );
                CREATE UNIQUE INDEX content_items_locale_slug ON content_items (locale, slug);
                CREATE INDEX content_items_updated ON content_items (updated_at_unix_ms);
                CREATE INDEX content_items_published ON content_items (status, published_at_unix_ms);
                CREATE INDEX content_items_publish_at ON content_items (publish_at_unix_ms) WHERE publish_at_unix_ms > 0;
                CREATE INDEX content_items_unpublish_at ON content_items (unpublish_at_unix_ms)
                    WHERE unpublish_at_unix_ms > 0;
                CREATE TABLE content_item_tags (
                    item_id TEXT NOT NULL REFERENCES content_items (id) ON DELETE CASCADE,
                    tag TEXT NOT NULL,
                    PRIMARY KEY (item_id, tag)
                );
                CREATE INDEX content_item_tags_tag ON content_item_tags (tag);
                CREATE TABLE content_slug_redirects (
                    locale TEXT NOT NULL,
                    slug TEXT NOT NULL,
                    item_id TEXT NOT NULL REFERENCES content_items (id) ON DELETE CASCADE,
                    PRIMARY KEY (locale, slug)
                );
                CREATE INDEX content_slug_redirects_item ON content_slug_redirects (item_id);
                CREATE TABLE content_revisions (
                    item_id TEXT NOT NULL REFERENCES content_items (id) ON DELETE CASCADE,
                    number INTEGER NOT NULL,
                    action TEXT NOT NULL,
                    actor_id TEXT NOT NULL,
                    created_at_unix_ms INTEGER NOT NULL,
                    snapshot BLOB NOT NULL,
                    PRIMARY KEY (item_id, number)
                );
                -- Full-text index of content_items, keyed by content_items.seq (its rowid).
                CREATE VIRTUAL TABLE content_search USING fts5 (title, summary, body, tags);
                """),
        Migration(
            version: 2, name: "media library",
            sql: """
                CREATE TABLE content_media (
                    id TEXT PRIMARY KEY,
                    filename TEXT NOT NULL,
                    content_type TEXT NOT NULL,
                    alt_text TEXT NOT NULL,
                    size_bytes INTEGER NOT NULL,
                    sha256 TEXT NOT NULL,
                    uploaded_by TEXT NOT NULL,
                    created_at_unix_ms INTEGER NOT NULL
                );
                CREATE INDEX content_media_sha256 ON content_media (sha256);
                CREATE INDEX content_media_created ON content_media (created_at_unix_ms);
                """),
        Migration(
            version: 3, name: "site configuration versions",
            sql: """
                CREATE TABLE content_config_versions (
                    version INTEGER PRIMARY KEY,
                    entries TEXT NOT NULL,
                    changed_keys TEXT NOT NULL,
                    action TEXT NOT NULL,
                    changed_by TEXT NOT NULL,
                    changed_at_unix_ms INTEGER NOT NULL
                );
                """),
    ]
}
