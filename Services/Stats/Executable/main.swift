// backoffice-stats: the stats service, stored in `<data-dir>/stats.sqlite`.
import StatsService
import ServiceRuntime
import Storage

await ServiceHost.run(
    name: "backoffice-stats",
    summary: "The stats service, stored in <data-dir>/stats.sqlite.",
    settings: [.dataDirectory(service: "backoffice-stats", defaultPath: "./data/stats", file: "stats.sqlite")],
    defaultPort: 7600
) { settings, logger in
    let path = try settings.preparedDataDirectory(file: "stats.sqlite").file
    _ = try await Database.open(path: path, migrations: StatsSchema.migrations)
    logger.info("database open", ["path": path])
    return []
}
