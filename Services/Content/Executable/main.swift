// backoffice-content: the content service, stored in `<data-dir>/content.sqlite` and `<data-dir>/media/`.
import ContentService
import ServiceRuntime

let name = "backoffice-content"
let prefix = ServiceHost.environmentPrefix(of: name)

await ServiceHost.run(
    name: name,
    summary: """
        The content service: items with revisions and scheduled publication, media, site configuration and the \
        front office's public reads (backoffice.content.*), stored in <data-dir>/content.sqlite and <data-dir>/media/.
        """,
    settings: [
        .dataDirectory(service: name, defaultPath: "./data/content", file: ContentService.databaseFile),
        .byteSize(
            "max-body-size", env: "\(prefix)_MAX_BODY_SIZE", default: 1 << 20,
            help: "Largest item body (Markdown), in bytes of UTF-8; larger ones are INVALID_ARGUMENT."),
        .byteSize(
            "max-media-size", env: "\(prefix)_MAX_MEDIA_SIZE", default: 100 << 20,
            help: "Largest media file; an upload growing past it is refused and leaves nothing behind."),
    ],
    defaultPort: 7400
) { settings, logger in
    let directory = try settings.preparedDataDirectory(file: ContentService.databaseFile).directory.path
    let limits = ContentService.Limits(
        maxBodyBytes: settings.byteSize("max-body-size"), maxMediaBytes: settings.byteSize("max-media-size"))
    let service = try await ContentService(directory: directory, limits: limits) { error in
        logger.error("applying due schedules failed; retrying", ["error": String(describing: error)])
    }
    service.start()
    logger.info("database open", ["directory": directory])
    return service.providers
}
