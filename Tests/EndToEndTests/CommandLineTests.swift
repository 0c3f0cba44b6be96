import Foundation
import Testing
import TestSupport

/// The `backoffice` command against a running suite, as staff use it: log in, see who they are,
/// discover methods, do daily work, call anything with JSON; and every mistake is one clear line.
@Suite(.timeLimit(.minutes(2)))
struct CommandLineTests {
    /// Runs `backoffice` with the suite's gateway and a session file of this test's own.
    struct Terminal {
        let gateway: String
        let sessionFile: String

        func run(_ arguments: [String], input: String? = nil) async throws -> (status: Int32, stdout: String, stderr: String) {
            try await ServiceProcess.runToCompletion(
                "backoffice", arguments: arguments,
                environment: ["BACKOFFICE_GATEWAY": gateway, "BACKOFFICE_SESSION_FILE": sessionFile], input: input, timeout: 30)
        }
    }

    @Test func staffWorkFromTheCommandLine() async throws {
        try await RunningSuite.with { suite in
            try await suite.adminCreated()
            let terminal = Terminal(gateway: suite.gateway.description, sessionFile: suite.dataDirectory.path + "-session")
            defer { try? FileManager.default.removeItem(atPath: terminal.sessionFile) }

            // A wrong password is one line and no session.
            let wrong = try await terminal.run(["login", "admin", "--password-stdin"], input: "not the password at all\n")
            #expect(wrong.status == 1)
            #expect(wrong.stderr == "UNAUTHENTICATED: invalid username or password\n")
            #expect(!FileManager.default.fileExists(atPath: terminal.sessionFile))

            let login = try await terminal.run(["login", "admin", "--password-stdin"], input: RunningSuite.adminPassword + "\n")
            #expect(login.status == 0, "\(login.stderr)")
            #expect(login.stdout.hasPrefix("Logged in as Administrator (roles admin)"))
            let mode = try FileManager.default.attributesOfItem(atPath: terminal.sessionFile)[.posixPermissions] as? Int
            #expect(mode == 0o600)

            let whoami = try await terminal.run(["whoami"])
            #expect(whoami.status == 0)
            #expect(whoami.stdout.contains("roles:       admin") && whoami.stdout.contains("kind:        PRINCIPAL_KIND_STAFF"))

            let services = try await terminal.run(["services"])
            #expect(services.stdout.contains("backoffice.orders.Orders"))
            #expect(services.stdout.contains("  Refund") && services.stdout.contains("orders.refund"))
            let describe = try await terminal.run(["describe", "Orders/CreateOrder"])
            #expect(describe.stdout.contains("request backoffice.orders.CreateOrderRequest"))
            #expect(describe.stdout.contains("customerId: string = 1"))

            // Daily work: a member of staff, an article published, listings.
            let create = try await terminal.run(
                ["users", "create", "edna", "--email", "edna@example.com", "--role", "editor", "--password-stdin"],
                input: "a long editor password 2026\n")
            #expect(create.status == 0, "\(create.stderr)")
            let users = try await terminal.run(["users", "list", "--kind", "staff"])
            #expect(users.stdout.split(separator: "\n").first?.hasPrefix("ID") == true)
            #expect(users.stdout.contains("edna@example.com") && users.stdout.contains("admin@localhost"))

            let item = try await terminal.run(
                [
                    "call", "Items/CreateItem", "--compact", "--data",
                    #"{"kind":"ITEM_KIND_PAGE","fields":{"title":"About us","locale":"en"}}"#,
                ])
            #expect(item.status == 0, "\(item.stderr)")
            let id = try #require(item.stdout.split(separator: "\"").dropFirst(3).first.map(String.init))
            let publish = try await terminal.run(["content", "publish", id])
            #expect(publish.stdout == "Published about-us (version 2).\n", "\(publish.stderr)")
            let listing = try await terminal.run(["content", "list", "--status", "published"])
            #expect(listing.stdout.contains(id) && listing.stdout.contains("About us"))

            let orders = try await terminal.run(["orders", "list"])
            #expect(orders.status == 0 && orders.stdout.hasPrefix("NUMBER"))
            let summary = try await terminal.run(["stats", "summary", "--days", "7"])
            #expect(summary.status == 0 && summary.stdout.contains("sales:           0"))
            let audit = try await terminal.run(["audit", "list", "--method", "backoffice.content.Workflow/PublishItem"])
            #expect(audit.stdout.contains("backoffice.content.Workflow/PublishItem"), "\(audit.stdout)")

            // Mistakes: one line on stderr, a non-zero status.
            for (arguments, message) in [
                (["call", "Items/CreateItem", "--data", "{oops"], "malformed JSON"),
                (["call", "Items/CreateItem", "--data", #"{"colour":"red"}"#], "colour: no such field"),
                (["call", "Items/CreateItem", "--data", #"{"kind":7.5}"#], "kind: "),
                (["call", "Nope/Nothing"], "unknown method Nope/Nothing"),
                (["users", "list", "--kind", "robot"], "\"USER_KIND_ROBOT\" is not a value"),
                (["orders", "frobnicate"], "name one of list|show"),
                (["content", "publish", "itm_does_not_exist"], "NOT_FOUND: "),
            ] {
                let result = try await terminal.run(arguments)
                #expect(result.status != 0, "\(arguments)")
                #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): \(result.stderr)")
                #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            }

            let logout = try await terminal.run(["logout"])
            #expect(logout.stdout == "Logged out.\n")
            let after = try await terminal.run(["whoami"])
            #expect(after.status == 1 && after.stderr == "UNAUTHENTICATED: not logged in (run backoffice login)\n")
        }
    }

    @Test func gatewayNotRunningIsOneLine() async throws {
        let terminal = Terminal(gateway: "127.0.0.1:1", sessionFile: "/nonexistent/session")
        let result = try await terminal.run(["services"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("UNAVAILABLE: ") && result.stderr.split(separator: "\n").count == 1)
    }
}

/// The Python client (Clients/python/demo.py) logs in through the gateway of a running suite and
/// calls a few methods, speaking the protocol as docs/PROTOCOL.md describes it.
@Suite(.timeLimit(.minutes(2)))
struct PythonThroughTheGatewayTests {
    @Test func logsInCallsAndLogsOut() async throws {
        try await RunningSuite.with { suite in
            try await suite.adminCreated()
            let result = try await PythonClient.run(
                "demo.py", [suite.gateway.host, String(suite.gateway.port), "admin"], input: RunningSuite.adminPassword + "\n")
            #expect(result.status == 0, "\(result.output)")
            let lines = result.output.split(separator: "\n").map(String.init)
            #expect(lines.first?.hasPrefix("reflection: ") == true)
            #expect(
                Array(lines.dropFirst())
                    == [
                        "without a session: UNAUTHENTICATED", "logged in as Administrator with roles admin",
                        "me: admin <admin@localhost>", "users: 1", "after logout: UNAUTHENTICATED",
                    ])
        }
    }
}
