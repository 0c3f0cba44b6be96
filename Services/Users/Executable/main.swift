// backoffice-users: the users service, stored in `<data-dir>/users.sqlite`.
import Foundation
import RPC
import ServiceRuntime
import UsersService

let name = "backoffice-users"
let prefix = ServiceHost.environmentPrefix(of: name)

await ServiceHost.run(
    name: name,
    summary: """
        The users service (backoffice.users.Users): customer and staff profiles, stored in <data-dir>/users.sqlite; \
        credentials are kept in step in the security service. On the first start of an empty suite it creates the \
        administrator `admin` with the password from \(AdminBootstrap.passwordVariable), or a generated one printed \
        once on standard output as `ADMIN PASSWORD <password>`.
        """,
    settings: [
        .dataDirectory(service: name, defaultPath: "./data/users", file: "users.sqlite"),
        .address(
            "security", env: "\(prefix)_SECURITY", default: SocketAddress(host: "127.0.0.1", port: 7200),
            help: "The security service (host:port) holding the credentials."),
        .string(
            "admin-email", env: "\(prefix)_ADMIN_EMAIL", default: "admin@localhost",
            help: "Email of the administrator created on the first start."),
    ],
    defaultPort: 7300
) { settings, logger in
    let path = try settings.preparedDataDirectory(file: "users.sqlite").file
    let store = try await UserStore.open(path: path)
    logger.info("database open", ["path": path])

    let channel = SigningChannel(
        RPCClient(target: settings.address("security")), signer: ServiceHost.internalSigner(from: settings), serviceName: name)
    let security = SecurityAccounts(channel: channel)
    let directory = UserDirectory(store: store, security: security, logger: logger)

    let bootstrap = AdminBootstrap(
        store: store, security: security, email: settings.string("admin-email"),
        configuredPassword: ProcessInfo.processInfo.environment[AdminBootstrap.passwordVariable],
        announce: { line in StandardStreams.write(line + "\n", to: StandardStreams.output) }, logger: logger)
    let administrator = try await bootstrap.prepare()
    // Outside any call: security sees these as calls of backoffice-users itself.
    Task.detached {
        if let administrator { await bootstrap.run(id: administrator) }
        while true {
            let cutoff = store.clock() - UserDirectory.pendingGracePeriodMs
            do {
                try await directory.sweepPendingRegistrations(createdBefore: cutoff)
            } catch {
                logger.warn("cannot roll back incomplete account creations yet", ["error": String(describing: error)])
            }
            try? await Task.sleep(for: .seconds(60))
        }
    }
    return [UsersProvider(directory: directory)]
}
