// backoffice-gateway: the suite's front door.
import Gateway
import ServiceRuntime

let localAccess = LocalAccessInterceptor()

await ServiceHost.run(
    name: GatewayDefaults.name,
    summary: "The gateway: authenticates, authorizes, limits, routes and audits every call.",
    settings: GatewayDefaults.settings,
    defaultPort: GatewayDefaults.port,
    verifiesGatewaySignatures: false,
    interceptors: [localAccess]
) { settings, logger in
    if ServiceHost.internalSigner(from: settings) == nil {
        logger.warn("no internal key: forwarding calls unsigned (development only)")
    }
    let gateway = try await GatewayAssembly.make(settings: settings, logger: logger)
    localAccess.install(gateway.forwarding.gate)
    return gateway.services
}
