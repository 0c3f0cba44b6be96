// backoffice-orders: the orders service, stored in `<data-dir>/orders.sqlite`.
import OrdersService
import ServiceRuntime
import Storage

await ServiceHost.run(
    name: "backoffice-orders",
    summary: "The orders service, stored in <data-dir>/orders.sqlite.",
    settings: [.dataDirectory(service: "backoffice-orders", defaultPath: "./data/orders", file: "orders.sqlite")],
    defaultPort: 7500
) { settings, logger in
    let path = try settings.preparedDataDirectory(file: "orders.sqlite").file
    _ = try await Database.open(path: path, migrations: OrdersSchema.migrations)
    logger.info("database open", ["path": path])
    return []
}
