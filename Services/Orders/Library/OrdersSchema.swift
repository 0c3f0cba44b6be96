import Storage

/// The orders service's database schema: every migration, oldest first. A new migration goes at the
/// end with the next version number; a shipped one is never renumbered or edited.
public enum OrdersSchema {
    /// The migrations, in version order.
    public static let migrations: [Migration] = [
        Migration(
            version: 1, name: "catalogue, stock, orders, payments, refunds, returns, outbox",
            sql: """
                CREATE TABLE products (
                    sku TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    price_minor INTEGER NOT NULL CHECK (price_minor >= 0),
                    currency TEXT NOT NULL,
                    active INTEGER NOT NULL,
                    stock_level INTEGER NOT NULL DEFAULT 0 CHECK (stock_level >= 0),
                    updated_at_unix_ms INTEGER NOT NULL
                );
                -- Every change of a stock level: manual adjustments, reservations, releases, restocks.
                CREATE TABLE stock_adjustments (
                    sequence INTEGER PRIMARY KEY,
                    sku TEXT NOT NULL REFERENCES products(sku),
                    delta INTEGER NOT NULL,
                    level_after INTEGER NOT NULL,
                    reason TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    reference TEXT NOT NULL,
                    at_unix_ms INTEGER NOT NULL
                );
                CREATE INDEX stock_adjustments_by_sku ON stock_adjustments(sku, sequence);
                -- sequence gives the human number (BO-000123).
                CREATE TABLE orders (
                    sequence INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    number TEXT NOT NULL UNIQUE,
                    customer_id TEXT NOT NULL,
                    status INTEGER NOT NULL,
                    currency TEXT NOT NULL,
                    subtotal_minor INTEGER NOT NULL,
                    shipping_minor INTEGER NOT NULL,
                    tax_minor INTEGER NOT NULL,
                    total_minor INTEGER NOT NULL,
                    paid_minor INTEGER NOT NULL DEFAULT 0,
                    refunded_minor INTEGER NOT NULL DEFAULT 0 CHECK (refunded_minor <= paid_minor),
                    carrier TEXT NOT NULL DEFAULT '',
                    tracking_number TEXT NOT NULL DEFAULT '',
                    shipped_at_unix_ms INTEGER NOT NULL DEFAULT 0,
                    delivered_at_unix_ms INTEGER NOT NULL DEFAULT 0,
                    idempotency_key TEXT NOT NULL,
                    request_fingerprint TEXT NOT NULL,
                    created_at_unix_ms INTEGER NOT NULL,
                    UNIQUE (customer_id, idempotency_key)
                );
                CREATE INDEX orders_by_customer ON orders(customer_id, sequence);
                CREATE INDEX orders_by_status ON orders(status, sequence);
                CREATE INDEX orders_by_time ON orders(created_at_unix_ms, sequence);
                CREATE TABLE order_lines (
                    id TEXT PRIMARY KEY,
                    order_sequence INTEGER NOT NULL REFERENCES orders(sequence),
                    position INTEGER NOT NULL,
                    sku TEXT NOT NULL,
                    name TEXT NOT NULL,
                    quantity INTEGER NOT NULL CHECK (quantity > 0),
                    unit_price_minor INTEGER NOT NULL,
                    subtotal_minor INTEGER NOT NULL,
                    tax_minor INTEGER NOT NULL,
                    refunded_quantity INTEGER NOT NULL DEFAULT 0 CHECK (refunded_quantity <= quantity),
                    UNIQUE (order_sequence, position)
                );
                CREATE TABLE payments (
                    id TEXT PRIMARY KEY,
                    order_sequence INTEGER NOT NULL REFERENCES orders(sequence),
                    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
                    currency TEXT NOT NULL,
                    method TEXT NOT NULL,
                    provider_reference TEXT NOT NULL,
                    idempotency_key TEXT NOT NULL,
                    request_fingerprint TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    at_unix_ms INTEGER NOT NULL,
                    UNIQUE (order_sequence, idempotency_key)
                );
                CREATE TABLE refunds (
                    id TEXT PRIMARY KEY,
                    order_sequence INTEGER NOT NULL REFERENCES orders(sequence),
                    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
                    reason TEXT NOT NULL,
                    lines TEXT NOT NULL,
                    return_id TEXT NOT NULL,
                    idempotency_key TEXT NOT NULL,
                    request_fingerprint TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    at_unix_ms INTEGER NOT NULL,
                    UNIQUE (order_sequence, idempotency_key)
                );
                CREATE TABLE order_timeline (
                    sequence INTEGER PRIMARY KEY,
                    order_sequence INTEGER NOT NULL REFERENCES orders(sequence),
                    event TEXT NOT NULL,
                    from_status INTEGER NOT NULL,
                    to_status INTEGER NOT NULL,
                    actor TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    at_unix_ms INTEGER NOT NULL
                );
                CREATE INDEX order_timeline_by_order ON order_timeline(order_sequence, sequence);
                CREATE TABLE returns (
                    id TEXT PRIMARY KEY,
                    order_sequence INTEGER NOT NULL REFERENCES orders(sequence),
                    status INTEGER NOT NULL,
                    lines TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    restocked INTEGER NOT NULL DEFAULT 0,
                    refund_id TEXT NOT NULL DEFAULT '',
                    refund_minor INTEGER NOT NULL DEFAULT 0,
                    requested_at_unix_ms INTEGER NOT NULL,
                    updated_at_unix_ms INTEGER NOT NULL
                );
                CREATE INDEX returns_by_order ON returns(order_sequence);
                -- The transactional outbox: events for statistics, written in the same transaction
                -- as the change they describe, deleted once statistics acknowledged them.
                CREATE TABLE outbox (
                    sequence INTEGER PRIMARY KEY,
                    event_id TEXT NOT NULL UNIQUE,
                    payload BLOB NOT NULL,
                    created_at_unix_ms INTEGER NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    rejected_reason TEXT
                );
                CREATE INDEX outbox_pending ON outbox(rejected_reason, sequence);
                """)
    ]
}
