// backoffice-orders: the orders service, stored in `<data-dir>/orders.sqlite`, sending its events to
// the stats service through a transactional outbox.
import OrdersService
import RPC
import ServiceRuntime

let name = "backoffice-orders"
let prefix = ServiceHost.environmentPrefix(of: name)

await ServiceHost.run(
    name: name,
    summary: "The orders service: catalogue, stock, orders, payments, refunds and returns, stored in <data-dir>/orders.sqlite.",
    settings: [
        .dataDirectory(service: name, defaultPath: "./data/orders", file: "orders.sqlite"),
        .address(
            "stats", env: "\(prefix)_STATS", default: SocketAddress(host: "127.0.0.1", port: 7600),
            help: "The stats service, which receives order events (sales, refunds) from the outbox."),
        .int("tax-rate-bp", env: "\(prefix)_TAX_RATE_BP", default: 2000, help: "Tax rate in basis points (2000 = 20 %)."),
        .int("shipping-minor", env: "\(prefix)_SHIPPING_MINOR", default: 499, help: "Flat shipping charge per order, minor units."),
        .int(
            "free-shipping-from-minor", env: "\(prefix)_FREE_SHIPPING_FROM_MINOR", default: 5000,
            help: "Subtotal from which shipping is free, minor units; 0 = never."),
        .bool("returns", env: "\(prefix)_RETURNS", default: true, help: "Whether returns may be requested."),
        .int("return-window-days", env: "\(prefix)_RETURN_WINDOW_DAYS", default: 30, help: "Days after delivery to request a return."),
        .duration(
            "outbox-retry-initial", env: "\(prefix)_OUTBOX_RETRY_INITIAL", default: .milliseconds(200),
            help: "First wait after a failed delivery to stats; doubles per failure."),
        .duration(
            "outbox-retry-max", env: "\(prefix)_OUTBOX_RETRY_MAX", default: .seconds(30),
            help: "Longest wait between deliveries to stats."),
    ],
    defaultPort: 7500
) { settings, logger in
    let configuration = OrdersConfiguration(
        pricing: PricingRules(
            taxRateBasisPoints: Int64(max(0, settings.int("tax-rate-bp"))), shippingMinor: Int64(max(0, settings.int("shipping-minor"))),
            freeShippingFromMinor: Int64(max(0, settings.int("free-shipping-from-minor")))),
        returnsEnabled: settings.bool("returns"), returnWindowDays: max(0, settings.int("return-window-days")))
    let path = try settings.preparedDataDirectory(file: "orders.sqlite").file
    let store = try await OrdersStore.open(path: path, configuration: configuration)
    logger.info("database open", ["path": path])

    var clientConfiguration = RPCClient.Configuration()
    clientConfiguration.backoff.maximum = .seconds(2)
    let stats = SigningChannel(
        RPCClient(target: settings.address("stats"), configuration: clientConfiguration),
        signer: ServiceHost.internalSigner(from: settings), serviceName: name)
    let relay = OutboxRelay(
        store: store, statsChannel: stats,
        policy: OutboxRelay.Policy(
            initialBackoff: settings.duration("outbox-retry-initial"), maximumBackoff: settings.duration("outbox-retry-max")),
        logger: logger)
    Task.detached { await relay.run() }
    logger.info("outbox relay started", ["stats": settings.address("stats").description])

    return [CatalogProvider(store: store), OrdersProvider(store: store, relay: relay), ReturnsProvider(store: store)]
}
