import BackofficeAPI
import Foundation
import RPC

/// `backoffice login`, `logout` and `whoami`: the session the other commands use.
enum SessionCommands {
    static let loginHelp = """
        Usage: backoffice login [USERNAME] [--password-stdin] [--gateway HOST:PORT]

        Logs in through the gateway with a username (or email) and password, and saves the session
        token in a file only you can read ($BACKOFFICE_SESSION_FILE, else ~/.config/backoffice/session).
        The password is asked for without echo, or read from the first line of standard input
        with --password-stdin.
        """

    static let logoutHelp = """
        Usage: backoffice logout [--gateway HOST:PORT]

        Ends the saved session at the security service and forgets its token.
        """

    static let whoamiHelp = """
        Usage: backoffice whoami [--gateway HOST:PORT]

        Shows who the saved session belongs to: user id, name, kind, roles, permissions and the
        session's expiry, as the gateway authenticates it.
        """

    static func whoami(_ words: [String], context: CommandContext) async -> Int32 {
        await run("whoami", words, valued: ["gateway"], flags: [], help: whoamiHelp, context: context) { _, gateway in
            guard gateway.token != nil else { throw RPCError(.unauthenticated, "not logged in (run backoffice login)") }
            let client = gateway.client()
            defer { Task { await client.close() } }
            let response = try await Security.SessionsClient(channel: client).whoAmI(
                Security.WhoAmIRequest(), options: gateway.callOptions(timeout: .seconds(10)))
            let principal = response.principal ?? Auth.Principal()
            context.out("user:        \(principal.subjectId)")
            context.out("name:        \(principal.displayName)")
            context.out("kind:        \(principal.kind.protoName ?? "unknown")")
            context.out("roles:       \(principal.roles.joined(separator: ", "))")
            context.out("permissions: \(principal.permissions.sorted().joined(separator: ", "))")
            context.out("session:     \(principal.sessionId), ends by \(Self.time(principal.expiresAtUnixMs))")
        }
    }

    static func login(_ words: [String], context: CommandContext) async -> Int32 {
        await run(
            "login", words, valued: ["gateway"], flags: ["password-stdin"], help: loginHelp, takesPositionals: true,
            context: context
        ) {
            arguments, gateway in
            guard arguments.positionals.count <= 1 else { throw UsageError("name at most one USERNAME") }
            guard let username = arguments.positionals.first ?? PasswordPrompt.askVisibly("Username: "), !username.isEmpty
            else { throw UsageError("name the USERNAME (no terminal to ask on)") }
            let password =
                arguments.flags.contains("password-stdin")
                ? PasswordPrompt.readStandardInputLine() : PasswordPrompt.ask("Password for \(username): ")
            guard let password, !password.isEmpty else {
                throw UsageError("no password: type it at the prompt or pass it on standard input with --password-stdin")
            }
            let client = gateway.client()
            defer { Task { await client.close() } }
            var request = Security.LoginRequest()
            request.login = username
            request.password = password
            let response = try await Security.SessionsClient(channel: client).login(
                request, options: CallOptions(timeout: .seconds(30)))
            try SessionFile(context: context).write(response.token)
            let principal = response.principal ?? Auth.Principal()
            let roles = principal.roles.isEmpty ? "no roles" : "roles " + principal.roles.joined(separator: ", ")
            context.out(
                "Logged in as \(principal.displayName.isEmpty ? username : principal.displayName) (\(roles)); the session ends by \(Self.time(response.expiresAtUnixMs))."
            )
        }
    }

    static func logout(_ words: [String], context: CommandContext) async -> Int32 {
        await run("logout", words, valued: ["gateway"], flags: [], help: logoutHelp, context: context) { _, gateway in
            let file = SessionFile(context: context)
            guard gateway.token != nil else {
                context.out("Not logged in.")
                return
            }
            let client = gateway.client()
            defer { Task { await client.close() } }
            do {
                _ = try await Security.SessionsClient(channel: client).logout(
                    Security.LogoutRequest(), options: gateway.callOptions(timeout: .seconds(10)))
            } catch let error as RPCError where error.code == .unauthenticated {
                // Already expired or revoked: forgetting the token is all that is left to do.
            }
            file.remove()
            context.out("Logged out.")
        }
    }

    /// Parses, handles `--help`, connects, runs `body`, and turns errors into one line and a status.
    static func run(
        _ name: String, _ words: [String], valued: Set<String>, flags: Set<String>, help: String,
        takesPositionals: Bool = false, context: CommandContext, body: (Arguments, GatewayConnection) async throws -> Void
    ) async -> Int32 {
        do {
            let arguments = try Arguments(words, valued: valued, flags: flags)
            if arguments.wantsHelp {
                context.out(help)
                return 0
            }
            if !takesPositionals && !arguments.positionals.isEmpty {
                throw UsageError("unexpected argument \(arguments.positionals[0])")
            }
            try await body(arguments, try GatewayConnection(option: arguments.options["gateway"], context: context))
            return 0
        } catch let error as RPCError {
            context.err("\(error.code.name): \(error.message)")
            return 1
        } catch {
            return context.fail(name, error)
        }
    }

    /// A time in UTC for people: `2026-11-23 14:05 UTC`.
    static func time(_ unixMilliseconds: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        return formatter.string(from: Date(timeIntervalSince1970: Double(unixMilliseconds) / 1000))
    }
}
