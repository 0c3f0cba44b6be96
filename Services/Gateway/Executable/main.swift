// backoffice-gateway: the suite's front door.
import Gateway
import ServiceRuntime

await ServiceHost.run(
    name: "backoffice-gateway",
    summary: "The gateway: authenticates, authorizes, limits, routes and audits every call.",
    defaultPort: GatewayDefaults.port
) { _, _ in [] }
