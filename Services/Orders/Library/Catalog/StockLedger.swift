import Storage

/// Changes stock levels, recording every change (who, why, delta, level after) in
/// `stock_adjustments`. Runs inside the caller's write transaction.
enum StockLedger {
    /// Adds `delta` to `sku`'s level and records it; the new level. A level that would go below
    /// zero fails with FAILED_PRECONDITION naming the SKU, an unknown SKU with NOT_FOUND.
    @discardableResult
    static func adjust(
        _ connection: DatabaseConnection, sku: String, delta: Int64, reason: String, actor: String, reference: String,
        at time: Int64
    ) throws -> Int64 {
        let updated = try connection.query(
            "UPDATE products SET stock_level = stock_level + ? WHERE sku = ? AND stock_level + ? >= 0 RETURNING stock_level",
            [.integer(delta), .text(sku), .integer(delta)]
        ).first
        guard let updated else {
            guard let product = try connection.queryOne("SELECT stock_level FROM products WHERE sku = ?", [.text(sku)]) else {
                throw OrdersError.notFound("product \(sku)")
            }
            throw OrdersError.failedPrecondition(
                "not enough stock for SKU \(sku): \(-delta) requested, \(try product.int64("stock_level")) available")
        }
        let level = try updated.int64("stock_level")
        try connection.execute(
            """
            INSERT INTO stock_adjustments(sku, delta, level_after, reason, actor, reference, at_unix_ms)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            [.text(sku), .integer(delta), .integer(level), .text(reason), .text(actor), .text(reference), .integer(time)])
        return level
    }
}
