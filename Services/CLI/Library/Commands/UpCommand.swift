import Crypto
import Foundation
import Glibc
import ServiceRuntime

/// `backoffice up`: the whole suite on this machine, in the foreground, until Ctrl-C.
enum UpCommand {
    static let help = """
        Usage: backoffice up [--data-dir DIR] [--gateway-port PORT]

        Starts the gateway and the five services (security, users, stats, orders, content) as
        separate processes on 127.0.0.1 with a fresh internal key, and prints where the gateway
        listens. Each process's log lines are prefixed with its name; a process that dies is
        restarted with back-off. Ctrl-C or SIGTERM stops everything cleanly (a second one kills).

        On first start (an empty data folder) the users service creates the user `admin`: its
        password is BACKOFFICE_ADMIN_PASSWORD when set, else generated and printed once.

        Options:
          --data-dir DIR       where every service keeps its database (default: ./data)
          --gateway-port PORT  the gateway's port on 127.0.0.1 (default: 7000)
          --bin-dir DIR        where the suite's executables are (default: beside this one)
        """

    static func run(_ words: [String], context: CommandContext) async -> Int32 {
        let arguments: Arguments
        do {
            arguments = try Arguments(words, valued: ["data-dir", "gateway-port", "bin-dir"])
        } catch {
            return context.fail("up", error)
        }
        if arguments.wantsHelp {
            context.out(help)
            return 0
        }
        guard arguments.positionals.isEmpty else {
            return context.fail("up", UsageError("unexpected argument \(arguments.positionals[0])"))
        }
        let directory = URL(fileURLWithPath: arguments.options["data-dir"] ?? "./data", isDirectory: true)
        guard let gatewayPort = Int(arguments.options["gateway-port"] ?? "7000"), (1...65535).contains(gatewayPort) else {
            return context.fail("up", UsageError("--gateway-port must be a port number (1-65535)"))
        }
        let binaries = arguments.options["bin-dir"].map { URL(fileURLWithPath: $0) } ?? context.binaryDirectory
        let lock: DataDirectoryLock
        do {
            lock = try DataDirectoryLock(directory: directory)
        } catch {
            return context.fail("up", error)
        }
        guard !LoopbackPort.isListening(gatewayPort) else {
            return context.fail("up", LauncherError("port \(gatewayPort) is already in use; choose another with --gateway-port"))
        }
        let plan: SuitePlan
        // Below the ephemeral range: a restarting service finds its port still free.
        var taken: Set<Int> = [gatewayPort]
        do {
            plan = try SuitePlan(
                dataDirectory: directory, gatewayPort: gatewayPort, internalKeyHex: SecretKey.random().exportHex(),
                servicePorts: {
                    let port = try LoopbackPort.freeForServer(excluding: taken)
                    taken.insert(port)
                    return port
                })
        } catch {
            return context.fail("up", error)
        }
        let launcher = SuiteLauncher(
            plan: plan, binaryDirectory: binaries, environment: ProcessInfo.processInfo.environment, emit: context.out)
        TerminationSignals.install()
        context.out("backoffice: starting the suite in \(directory.path)")
        let running = Task { await launcher.run() }
        let signals = TerminationSignals.stream()
        var iterator = signals.makeAsyncIterator()
        let first = await iterator.next() ?? SIGTERM
        context.out("backoffice: \(TerminationSignals.name(of: first)): stopping the suite")
        let forced = Task {
            if await iterator.next() != nil {
                context.out("backoffice: second signal: killing every process")
                launcher.kill()
            }
        }
        await launcher.stop()
        await running.value
        forced.cancel()
        withExtendedLifetime(lock) {}
        context.out("backoffice: stopped")
        return 0
    }
}
