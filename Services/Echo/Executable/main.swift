// backoffice-echo: the echo service as its own process, for the gateway's tests and the benchmark.
import EchoService
import ServiceRuntime

await ServiceHost.run(
    name: "backoffice-echo",
    summary: "Echo service: answers backoffice.echo.Echo calls with what they carry.",
    defaultPort: 7100
) { _, _ in
    [EchoProvider()]
}
