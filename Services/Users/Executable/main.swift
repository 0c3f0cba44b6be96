// backoffice-users: the users service, stored in `<data-dir>/users.sqlite`.
import UsersService
import ServiceRuntime
import Storage

await ServiceHost.run(
    name: "backoffice-users",
    summary: "The users service, stored in <data-dir>/users.sqlite.",
    settings: [.dataDirectory(service: "backoffice-users", defaultPath: "./data/users", file: "users.sqlite")],
    defaultPort: 7300
) { settings, logger in
    let path = try settings.preparedDataDirectory(file: "users.sqlite").file
    _ = try await Database.open(path: path, migrations: UsersSchema.migrations)
    logger.info("database open", ["path": path])
    return []
}
