import BackofficeAPI
import RPC

/// Serves `backoffice.orders.Catalog`: products and stock. Reads are public; changes need
/// `catalog.write`.
public struct CatalogProvider: Orders.CatalogHandler {
    /// The service's data.
    public let store: OrdersStore

    /// A provider over `store`.
    public init(store: OrdersStore) {
        self.store = store
    }

    /// Creates or replaces a product; needs `catalog.write`.
    public func upsertProduct(_ request: Orders.UpsertProductRequest, context: ServerContext) async throws -> Orders.Product {
        _ = try OrdersAccess.caller(context)
        var validator = RequestValidator()
        validator.sku(request.sku, "sku")
        validator.text(request.name, "name")
        validator.require(request.priceMinor >= 0, "price_minor", "must not be negative")
        validator.currency(request.currency, "currency")
        try validator.check()
        return try await store.upsertProduct(request)
    }

    /// One product by SKU, with its stock level (public).
    public func getProduct(_ request: Orders.GetProductRequest, context: ServerContext) async throws -> Orders.Product {
        var validator = RequestValidator()
        validator.sku(request.sku, "sku")
        try validator.check()
        return try await store.product(sku: request.sku)
    }

    /// Active products (inactive too when asked), a page at a time (public).
    public func listProducts(
        _ request: Orders.ListProductsRequest, context: ServerContext
    ) async throws -> Orders.ListProductsResponse {
        var validator = RequestValidator()
        validator.pageSize(request.pageSize)
        try validator.check()
        let page = try await store.products(
            pageSize: request.pageSize == 0 ? 50 : Int(request.pageSize),
            after: request.pageToken.isEmpty ? nil : request.pageToken, includeInactive: request.includeInactive)
        var response = Orders.ListProductsResponse()
        response.products = page.products
        response.nextPageToken = page.nextPageToken ?? ""
        return response
    }

    /// Adds a delta to a SKU's stock, recording the caller and the reason.
    public func adjustStock(_ request: Orders.AdjustStockRequest, context: ServerContext) async throws -> Orders.StockLevel {
        let caller = try OrdersAccess.caller(context)
        var validator = RequestValidator()
        validator.sku(request.sku, "sku")
        validator.require(request.delta != 0, "delta", "must not be zero")
        validator.require(abs(request.delta) <= 1_000_000_000, "delta", "must be at most 1000000000 either way")
        validator.text(request.reason, "reason")
        try validator.check()
        return try await store.adjustStock(sku: request.sku, delta: request.delta, reason: request.reason, actor: caller.actor)
    }

    /// A SKU's stock level and its latest adjustments.
    public func getStock(_ request: Orders.GetStockRequest, context: ServerContext) async throws -> Orders.StockLevel {
        _ = try OrdersAccess.caller(context)
        var validator = RequestValidator()
        validator.sku(request.sku, "sku")
        validator.require(request.adjustmentLimit >= 0 && request.adjustmentLimit <= 500, "adjustment_limit", "must be 0 to 500")
        try validator.check()
        return try await store.stock(sku: request.sku, adjustmentLimit: request.adjustmentLimit == 0 ? 50 : Int(request.adjustmentLimit))
    }
}
