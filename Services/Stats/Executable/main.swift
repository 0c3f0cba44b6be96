// backoffice-stats: the stats service, stored in `<data-dir>/stats.sqlite`.
import ServiceRuntime
import StatsService

let name = "backoffice-stats"
let prefix = ServiceHost.environmentPrefix(of: name)

await ServiceHost.run(
    name: name,
    summary: "The stats service: events in (backoffice.stats.Ingest), figures out (backoffice.stats.Stats), "
        + "stored in <data-dir>/stats.sqlite.",
    settings: [
        .dataDirectory(service: name, defaultPath: "./data/stats", file: "stats.sqlite"),
        .int(
            "max-batch-events", env: "\(prefix)_MAX_BATCH_EVENTS", default: 10_000,
            help: "Most events in one ingestion batch; a larger batch is refused whole."),
        .duration(
            "raw-retention", env: "\(prefix)_RAW_RETENTION", default: .seconds(90 * 86_400),
            help: "How long raw events are kept (by when they occurred); hourly rollups are kept forever."),
        .duration(
            "dedupe-retention", env: "\(prefix)_DEDUPE_RETENTION", default: .seconds(400 * 86_400),
            help: "How long accepted event ids are remembered (by when they arrived); at least the raw retention."),
        .duration(
            "retention-interval", env: "\(prefix)_RETENTION_INTERVAL", default: .seconds(3600),
            help: "How often the retention pass deletes expired raw events and event ids."),
        .duration(
            "live-interval", env: "\(prefix)_LIVE_INTERVAL", default: .seconds(5),
            help: "How often WatchLive pushes counters when nothing changed."),
    ],
    defaultPort: 7600
) { settings, logger in
    let path = try settings.preparedDataDirectory(file: "stats.sqlite").file
    var configuration = StatsStore.Configuration()
    configuration.maxBatchEvents = settings.int("max-batch-events")
    configuration.rawRetention = settings.duration("raw-retention")
    configuration.dedupeRetention = settings.duration("dedupe-retention")
    try configuration.validate()
    let store = try await StatsStore.open(path: path, configuration: configuration)
    logger.info("database open", ["path": path])
    RetentionJob.start(store: store, every: settings.duration("retention-interval"), logger: logger)
    return [
        IngestProvider(store: store),
        StatsProvider(store: store, liveInterval: settings.duration("live-interval")),
    ]
}
