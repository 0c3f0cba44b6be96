import BackofficeAPI
import Storage

/// The catalogue: products and their stock levels.
extension OrdersStore {
    /// The prefix of product listing page tokens.
    static let productPageTokenPrefix = "pl1"

    /// Creates or replaces the product `product.sku` (its stock level is kept).
    public func upsertProduct(_ product: Orders.UpsertProductRequest) async throws -> Orders.Product {
        let now = clock()
        return try await database.write { connection in
            try connection.execute(
                """
                INSERT INTO products(sku, name, price_minor, currency, active, updated_at_unix_ms)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(sku) DO UPDATE SET name = excluded.name, price_minor = excluded.price_minor,
                    currency = excluded.currency, active = excluded.active, updated_at_unix_ms = excluded.updated_at_unix_ms
                """,
                [
                    .text(product.sku), .text(product.name), .integer(product.priceMinor), .text(product.currency),
                    .integer(product.active ? 1 : 0), .integer(now),
                ])
            return try Self.product(connection, sku: product.sku)
        }
    }

    /// The product `sku`, or NOT_FOUND.
    public func product(sku: String) async throws -> Orders.Product {
        try await database.read { connection in try Self.product(connection, sku: sku) }
    }

    /// One page of products in creation order, and the next page's token.
    public func products(
        pageSize: Int, after pageToken: String?, includeInactive: Bool
    ) async throws -> (products: [Orders.Product], nextPageToken: String?) {
        var after: Int64 = 0
        if let pageToken {
            guard let key = Identifiers.key(fromPageToken: pageToken, prefix: Self.productPageTokenPrefix) else {
                throw OrdersError.invalid("page_token", "is not a token this service issued")
            }
            after = key
        }
        let start = after
        return try await database.read { connection in
            let rows = try connection.query(
                """
                SELECT rowid, \(Self.productColumns) FROM products WHERE rowid > ? AND (active = 1 OR ?)
                ORDER BY rowid LIMIT ?
                """, [.integer(start), .integer(includeInactive ? 1 : 0), .integer(Int64(pageSize + 1))])
            let page = Array(rows.prefix(pageSize))
            let next =
                rows.count > pageSize
                ? try page.last.map { Identifiers.pageToken(Self.productPageTokenPrefix, after: try $0.int64("rowid")) } : nil
            return (try page.map(Self.product(from:)), next)
        }
    }

    /// Adds `delta` to `sku`'s stock (never below zero: FAILED_PRECONDITION), recording who and why.
    public func adjustStock(sku: String, delta: Int64, reason: String, actor: String) async throws -> Orders.StockLevel {
        let now = clock()
        return try await database.write { connection in
            try StockLedger.adjust(connection, sku: sku, delta: delta, reason: reason, actor: actor, reference: "", at: now)
            return try Self.stock(connection, sku: sku, adjustmentLimit: 50)
        }
    }

    /// `sku`'s stock level and its latest adjustments, newest first.
    public func stock(sku: String, adjustmentLimit: Int) async throws -> Orders.StockLevel {
        try await database.read { connection in try Self.stock(connection, sku: sku, adjustmentLimit: adjustmentLimit) }
    }

    private static let productColumns = "sku, name, price_minor, currency, active, stock_level, updated_at_unix_ms"

    private static func product(_ connection: DatabaseConnection, sku: String) throws -> Orders.Product {
        guard let row = try connection.queryOne("SELECT \(productColumns) FROM products WHERE sku = ?", [.text(sku)]) else {
            throw OrdersError.notFound("product \(sku)")
        }
        return try product(from: row)
    }

    private static func product(from row: Row) throws -> Orders.Product {
        var product = Orders.Product()
        product.sku = try row.string("sku")
        product.name = try row.string("name")
        product.priceMinor = try row.int64("price_minor")
        product.currency = try row.string("currency")
        product.active = try row.bool("active")
        product.stockLevel = try row.int64("stock_level")
        product.updatedAtUnixMs = try row.int64("updated_at_unix_ms")
        return product
    }

    private static func stock(_ connection: DatabaseConnection, sku: String, adjustmentLimit: Int) throws -> Orders.StockLevel {
        var level = Orders.StockLevel()
        level.sku = sku
        level.level = try product(connection, sku: sku).stockLevel
        level.adjustments = try connection.query(
            """
            SELECT delta, reason, actor, reference, at_unix_ms, level_after FROM stock_adjustments
            WHERE sku = ? ORDER BY sequence DESC LIMIT ?
            """, [.text(sku), .integer(Int64(adjustmentLimit))]
        ).map { row in
            var adjustment = Orders.StockAdjustment()
            adjustment.delta = try row.int64("delta")
            adjustment.reason = try row.string("reason")
            adjustment.actor = try row.string("actor")
            adjustment.reference = try row.string("reference")
            adjustment.atUnixMs = try row.int64("at_unix_ms")
            adjustment.levelAfter = try row.int64("level_after")
            return adjustment
        }
        return level
    }
}
