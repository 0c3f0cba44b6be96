import Foundation
import Glibc
import ServiceRuntime

/// What every subcommand uses: its environment, its streams, and where the suite's executables are.
public struct CommandContext: Sendable {
    /// The process environment (BACKOFFICE_GATEWAY, BACKOFFICE_ADMIN_PASSWORD...).
    public var environment: [String: String]
    /// The folder of the `backoffice` executable, where `swift build` puts the others too.
    public var binaryDirectory: URL

    /// The context of the running process.
    public static func current() -> CommandContext {
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        return CommandContext(
            environment: ProcessInfo.processInfo.environment,
            binaryDirectory: URL(fileURLWithPath: executable).deletingLastPathComponent())
    }

    /// Writes a line to standard output.
    @Sendable public func out(_ line: String) {
        StandardStreams.write(line + "\n", to: StandardStreams.output)
    }

    /// Writes a line to standard error.
    @Sendable public func err(_ line: String) {
        StandardStreams.write(line + "\n", to: StandardStreams.error)
    }

    /// Reports `error` as one line on standard error and returns the exit status for it: 2 for
    /// a command line the command does not accept, 1 for anything else.
    public func fail(_ command: String, _ error: any Error) -> Int32 {
        if error is UsageError {
            err("backoffice \(command): \(error) (see backoffice \(command) --help)")
            return 2
        }
        err("backoffice \(command): \(error)")
        return 1
    }
}
