// backoffice-content: the content service, stored in `<data-dir>/content.sqlite`.
import ContentService
import ServiceRuntime
import Storage

await ServiceHost.run(
    name: "backoffice-content",
    summary: "The content service, stored in <data-dir>/content.sqlite.",
    settings: [.dataDirectory(service: "backoffice-content", defaultPath: "./data/content", file: "content.sqlite")],
    defaultPort: 7400
) { settings, logger in
    let path = try settings.preparedDataDirectory(file: "content.sqlite").file
    _ = try await Database.open(path: path, migrations: ContentSchema.migrations)
    logger.info("database open", ["path": path])
    return []
}
