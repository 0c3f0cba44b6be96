// The benchmark program: an echo server and a closed-loop load client that keeps a fixed number
// of calls outstanding and prints one RESULT line. Scripts/bench.sh runs the whole matrix and
// prints the table; this program is never part of the test run.
import BackofficeAPI
import EchoService
import Foundation
import RPC
import ServiceRuntime
import Synchronization

let usage = """
    backoffice-bench: echo server and load generator for the RPC benchmark (see Scripts/bench.sh)

    usage:
      backoffice-bench serve [--port PORT]
          Serves backoffice.echo.Echo on 127.0.0.1:PORT (0 = any free port) and prints
          "LISTENING <port>"; runs until killed.
      backoffice-bench load HOST PORT CONNECTIONS OUTSTANDING SECONDS WARMUP_SECONDS PAYLOAD_BYTES
          Keeps OUTSTANDING unary Echo calls in flight over CONNECTIONS connections; after the
          warm-up, measures for SECONDS and prints
          "RESULT rps=<f> p50_us=<f> p99_us=<f> p999_us=<f> calls=<n> errors=<n>".
      backoffice-bench orders HOST:PORT KEY_HEX CONNECTIONS OUTSTANDING SECONDS WARMUP_SECONDS
          Creates two-line orders on a running backoffice-orders started with --internal-key KEY_HEX
          (see Scripts/bench-orders.sh) and prints
          "RESULT orders_per_s=<f> p50_us=<f> p99_us=<f> calls=<n> errors=<n>".
      backoffice-bench load-authorized TOKEN_FILE HOST PORT CONNECTIONS OUTSTANDING SECONDS WARMUP_SECONDS PAYLOAD_BYTES
          The same through the gateway, each call with "authorization: Bearer <the file's token>".
      backoffice-bench gateway-login SECURITY_ADDRESS GATEWAY_ADDRESS INTERNAL_KEY_HEX
          Creates a benchmark account at the security service (signed as a service) and prints a
          session token obtained by logging in through the gateway.
    """

func serve(port: Int) async throws -> Never {
    var configuration = RPCServer.Configuration()
    configuration.address = SocketAddress(host: "127.0.0.1", port: port)
    configuration.limits.maxConcurrentCalls = 10_000
    let server = RPCServer(configuration: configuration, services: [EchoProvider()])
    let address = try await server.start()
    StandardStreams.write("LISTENING \(address.port)\n", to: StandardStreams.output)
    while true { try await Task.sleep(for: .seconds(3600)) }
}

func load(
    host: String, port: Int, connections: Int, outstanding: Int, seconds: Double, warmup: Double, payloadSize: Int,
    options: CallOptions = CallOptions()
) async throws {
    let target = SocketAddress(host: host, port: port)
    let clients = (0..<connections).map { _ in RPCClient(target: target) }
    var request = Echo.EchoRequest()
    request.payload = [UInt8](repeating: 0x61, count: payloadSize)

    // Prime every connection so that connecting is not measured.
    for client in clients { _ = try await Echo.EchoClient(channel: client).unary(request, options: options) }
    let echoes = clients.map { Echo.EchoClient(channel: $0) }
    let result = try await runClosedLoop(
        clients: clients, outstanding: outstanding, seconds: seconds, warmup: warmup, expectedRate: 200_000
    ) { [request] worker, _ in
        _ = try await echoes[worker % echoes.count].unary(request, options: options)
    }
    print(result.resultLine())
    for client in clients { await client.close() }
}

/// Runs `load` with HOST PORT CONNECTIONS OUTSTANDING SECONDS WARMUP_SECONDS PAYLOAD_BYTES.
func runLoad(_ arguments: [String], options: CallOptions) async throws {
    guard let port = Int(arguments[1]), let connections = Int(arguments[2]), let outstanding = Int(arguments[3]),
        let seconds = Double(arguments[4]), let warmup = Double(arguments[5]), let payload = Int(arguments[6]),
        connections > 0, outstanding > 0, seconds > 0
    else {
        FileHandle.standardError.write(Data("backoffice-bench: bad load arguments\n\(usage)\n".utf8))
        exit(2)
    }
    try await load(
        host: arguments[0], port: port, connections: connections, outstanding: outstanding, seconds: seconds, warmup: warmup,
        payloadSize: payload, options: options)
}

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "serve":
    var port = 0
    if let index = arguments.firstIndex(of: "--port"), index + 1 < arguments.count, let value = Int(arguments[index + 1]) {
        port = value
    }
    try await serve(port: port)
case "load" where arguments.count == 8:
    try await runLoad(Array(arguments.dropFirst()), options: CallOptions())
case "load-authorized" where arguments.count == 9:
    try await runLoad(Array(arguments.dropFirst(2)), options: GatewayBenchmark.options(tokenFile: arguments[1]))
case "gateway-login" where arguments.count == 4:
    do {
        try await GatewayBenchmark.login(security: arguments[1], gateway: arguments[2], keyHex: arguments[3])
    } catch {
        FileHandle.standardError.write(Data("backoffice-bench: gateway-login failed: \(error)\n".utf8))
        exit(1)
    }
case "security-login" where arguments.count == 5:
    guard let port = Int(arguments[2]), let seconds = Double(arguments[4]), seconds > 0 else {
        FileHandle.standardError.write(Data("backoffice-bench: bad security-login arguments\n\(SecurityBenchmark.usage)\n".utf8))
        exit(2)
    }
    try await SecurityBenchmark.run(host: arguments[1], port: port, keyHex: arguments[3], seconds: seconds)
case "content":
    try await ContentBenchmark.run(arguments)
case "orders" where arguments.count == 7:
    guard let target = SocketAddress(parsing: arguments[1]), let connections = Int(arguments[3]),
        let outstanding = Int(arguments[4]), let seconds = Double(arguments[5]), let warmup = Double(arguments[6])
    else { exit(2) }
    try await ordersLoad(
        target: target, keyHex: arguments[2], connections: connections, outstanding: outstanding, seconds: seconds,
        warmup: warmup)
case "stats": try await StatsBenchmark.main(Array(arguments.dropFirst()))
case "--help", "-h", "help":
    print(usage)
    print(SecurityBenchmark.usage)
default:
    FileHandle.standardError.write(Data("backoffice-bench: unknown command\n\(usage)\n".utf8))
    exit(2)
}
