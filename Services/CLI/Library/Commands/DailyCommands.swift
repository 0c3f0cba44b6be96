import BackofficeAPI
import Foundation
import ProtoJSON
import ProtoRuntime
import RPC
import Synchronization

/// The short commands for daily work: `users list|create`, `content list|publish`,
/// `orders list|show`, `stats summary`, `audit list`. Each builds its request as JSON from its
/// options (so enum values and types are checked the same way as `backoffice call`), calls
/// through the gateway with the saved session, and prints a table or a summary.
enum DailyCommands {
    /// One short command: its help text, the options it takes, and what it does.
    struct Command: Sendable {
        let help: String
        let valued: Set<String>
        let flags: Set<String>
        /// Whether it takes a positional argument (an id or a name).
        var takesPositionals = false
        let run: @Sendable (Arguments, GatewayConnection, CommandContext) async throws -> Void
    }

    static let commands: [String: [String: Command]] = [
        "users": ["list": usersList, "create": usersCreate],
        "content": ["list": contentList, "publish": contentPublish],
        "orders": ["list": ordersList, "show": ordersShow],
        "stats": ["summary": statsSummary],
        "audit": ["list": auditList],
    ]

    /// Runs `backoffice AREA ACTION ...`.
    static func run(_ area: String, _ words: [String], context: CommandContext) async -> Int32 {
        let actions = commands[area] ?? [:]
        let names = actions.keys.sorted().joined(separator: "|")
        guard let action = words.first, let command = actions[action] else {
            if words.first == "--help" || words.first == "-h" {
                context.out("Usage: backoffice \(area) \(names) [options]; see backoffice \(area) ACTION --help")
                return 0
            }
            context.err("backoffice \(area): name one of \(names) (see backoffice \(area) ACTION --help)")
            return 2
        }
        return await SessionCommands.run(
            "\(area) \(action)", Array(words.dropFirst()), valued: command.valued.union(["gateway"]), flags: command.flags,
            help: command.help, takesPositionals: command.takesPositionals, context: context
        ) { arguments, gateway in
            try await command.run(arguments, gateway, context)
        }
    }

    // MARK: - Calling

    /// Calls `method` with the request `json` describes; the typed response.
    static func call<Response: ProtoMessage>(
        _ method: MethodDescriptor, _ json: [(key: String, value: JSONValue)], as type: Response.Type,
        gateway: GatewayConnection
    ) async throws -> Response {
        let request: [UInt8]
        do {
            request = try ProtoJSON.encode(.object(json), as: MessageSchema(method.requestType.protobufDescriptor))
        } catch {
            throw UsageError(error.description)
        }
        let client = gateway.client()
        defer { Task { await client.close() } }
        let response = Mutex<[UInt8]>([])
        try await GenericCall.perform(
            method, requests: [request], on: client, options: gateway.callOptions(timeout: .seconds(30))
        ) { bytes in response.withLock { $0 = bytes } }
        return try Response(serializedBytes: response.withLock { $0 })
    }

    /// JSON members for the options that were given: `--name value` → `"field": value`, enum
    /// options as `PREFIX_VALUE`.
    static func members(
        _ arguments: Arguments, strings: [String: String] = [:], enums: [String: (field: String, prefix: String)] = [:],
        limit: String? = nil
    ) throws -> [(key: String, value: JSONValue)] {
        var members: [(key: String, value: JSONValue)] = []
        for (option, field) in strings.sorted(by: { $0.key < $1.key }) {
            if let value = arguments.options[option] { members.append((field, .string(value))) }
        }
        for (option, target) in enums.sorted(by: { $0.key < $1.key }) {
            if let value = arguments.options[option] {
                members.append((target.field, .string(target.prefix + value.uppercased().replacingOccurrences(of: "-", with: "_"))))
            }
        }
        if let limit, let text = arguments.options["limit"] {
            guard let count = Int(text), (1...1000).contains(count) else { throw UsageError("--limit must be 1 to 1000") }
            members.append((limit, .number(String(count))))
        }
        return members
    }

    static func single(_ arguments: Arguments, _ what: String) throws -> String {
        guard arguments.positionals.count == 1 else { throw UsageError("name exactly one \(what)") }
        return arguments.positionals[0]
    }

    static func date(_ unixMilliseconds: Int64) -> String {
        unixMilliseconds == 0 ? "-" : SessionCommands.time(unixMilliseconds)
    }

    static func money(_ minor: Int64, _ currency: String) -> String {
        let sign = minor < 0 ? "-" : ""
        let units = abs(minor)
        return "\(sign)\(units / 100).\(String(format: "%02lld", units % 100)) \(currency)"
    }

    /// An enum value without its type prefix, lower-cased: `ORDER_STATUS_PAID` → `paid`.
    static func label(_ protoName: String?, prefix: String) -> String {
        guard let protoName else { return "?" }
        return String(protoName.dropFirst(protoName.hasPrefix(prefix) ? prefix.count : 0)).lowercased()
    }

    // MARK: - users

    static let usersList = Command(
        help: """
            Usage: backoffice users list [--kind staff|customer] [--status active|deactivated|erased] [--role ROLE] [--text TEXT] [--limit N]

            Lists accounts (users.read): id, username, email, kind, status.
            """,
        valued: ["kind", "status", "role", "text", "limit"], flags: []
    ) { arguments, gateway, context in
        let json = try members(
            arguments, strings: ["role": "role", "text": "text"],
            enums: ["kind": ("kind", "USER_KIND_"), "status": ("status", "USER_STATUS_")], limit: "pageSize")
        let response = try await call(Users.UsersService.listUsers, json, as: Users.ListUsersResponse.self, gateway: gateway)
        var table = TextTable("ID", "USERNAME", "EMAIL", "KIND", "STATUS")
        for user in response.users {
            table.add(
                user.id, user.username, user.email, label(user.kind.protoName, prefix: "USER_KIND_"),
                label(user.status.protoName, prefix: "USER_STATUS_"))
        }
        table.lines.forEach(context.out)
    }

    static let usersCreate = Command(
        help: """
            Usage: backoffice users create USERNAME --email EMAIL --role ROLE [--name DISPLAY_NAME] [--password-stdin]

            Creates a member of staff with a role (users.manage, and you must hold every permission
            the role grants). The password is asked for without echo, or read from standard input.
            """,
        valued: ["email", "role", "name"], flags: ["password-stdin"], takesPositionals: true
    ) { arguments, gateway, context in
        let username = try single(arguments, "USERNAME")
        guard let email = arguments.options["email"], let role = arguments.options["role"] else {
            throw UsageError("--email and --role are required")
        }
        let password =
            arguments.flags.contains("password-stdin")
            ? PasswordPrompt.readStandardInputLine() : PasswordPrompt.ask("Password for \(username): ")
        guard let password, !password.isEmpty else { throw UsageError("no password given") }
        var json: [(key: String, value: JSONValue)] = [
            ("username", .string(username)), ("email", .string(email)), ("password", .string(password)),
            ("roles", .array([.string(role)])),
        ]
        if let name = arguments.options["name"] { json.append(("displayName", .string(name))) }
        let user = try await call(Users.UsersService.createStaff, json, as: Users.User.self, gateway: gateway)
        context.out("Created \(user.username) (\(user.id)) with the role \(role).")
    }

    // MARK: - content

    static let contentList = Command(
        help: """
            Usage: backoffice content list [--query TEXT] [--kind page|article|block] [--status draft|scheduled|published|archived] [--locale L] [--limit N]

            Lists content items (content.read), full-text search with --query.
            """,
        valued: ["query", "kind", "status", "locale", "limit"], flags: []
    ) { arguments, gateway, context in
        let json = try members(
            arguments, strings: ["query": "query", "locale": "locale"],
            enums: ["kind": ("kind", "ITEM_KIND_"), "status": ("status", "ITEM_STATUS_")], limit: "pageSize")
        let response = try await call(Content.ItemsService.searchItems, json, as: Content.SearchItemsResponse.self, gateway: gateway)
        var table = TextTable("ID", "KIND", "STATUS", "LOCALE", "SLUG", "TITLE")
        for item in response.items {
            table.add(
                item.id, label(item.kind.protoName, prefix: "ITEM_KIND_"), label(item.status.protoName, prefix: "ITEM_STATUS_"),
                item.fields?.locale ?? "", item.fields?.slug ?? "", item.fields?.title ?? "")
        }
        table.lines.forEach(context.out)
    }

    static let contentPublish = Command(
        help: """
            Usage: backoffice content publish ID

            Publishes an item now (content.publish), at the version it has.
            """,
        valued: [], flags: [], takesPositionals: true
    ) { arguments, gateway, context in
        let id = try single(arguments, "ID")
        let item = try await call(Content.ItemsService.getItem, [("id", .string(id))], as: Content.Item.self, gateway: gateway)
        let published = try await call(
            Content.WorkflowService.publishItem, [("id", .string(id)), ("expectedVersion", .string(String(item.version)))],
            as: Content.Item.self, gateway: gateway)
        context.out("Published \(published.fields?.slug ?? id) (version \(published.version)).")
    }

    // MARK: - orders

    static let ordersList = Command(
        help: """
            Usage: backoffice orders list [--status pending|paid|shipped|delivered|cancelled] [--customer ID] [--number N] [--limit N]

            Lists orders (orders.read; customers see their own): number, id, customer, status, total.
            """,
        valued: ["status", "customer", "number", "limit"], flags: []
    ) { arguments, gateway, context in
        let json = try members(
            arguments, strings: ["customer": "customerId", "number": "number"], enums: ["status": ("status", "ORDER_STATUS_")],
            limit: "pageSize")
        let response = try await call(Orders.OrdersService.listOrders, json, as: Orders.ListOrdersResponse.self, gateway: gateway)
        var table = TextTable("NUMBER", "ID", "CUSTOMER", "STATUS", "TOTAL", "CREATED")
        for order in response.orders {
            table.add(
                order.number, order.orderId, order.customerId, label(order.status.protoName, prefix: "ORDER_STATUS_"),
                money(order.totalMinor, order.currency), date(order.createdAtUnixMs))
        }
        table.lines.forEach(context.out)
    }

    static let ordersShow = Command(
        help: """
            Usage: backoffice orders show ID

            Shows one order as JSON: lines, totals, payments, refunds, shipment and timeline.
            """,
        valued: [], flags: [], takesPositionals: true
    ) { arguments, gateway, context in
        let id = try single(arguments, "ID")
        let order = try await call(Orders.OrdersService.getOrder, [("orderId", .string(id))], as: Orders.Order.self, gateway: gateway)
        context.out(try ProtoJSON.decode(order.serializedBytes(), as: MessageSchema(Orders.Order.protobufDescriptor)).prettyText)
    }

    // MARK: - stats and audit

    static let statsSummary = Command(
        help: """
            Usage: backoffice stats summary [--days N]

            Figures of the last N days (default 1) up to now (stats.read): visits, unique visitors,
            page views, sales, refunds, revenue per currency, conversion rate.
            """,
        valued: ["days"], flags: []
    ) { arguments, gateway, context in
        guard let days = Int(arguments.options["days"] ?? "1"), (1...3660).contains(days) else {
            throw UsageError("--days must be 1 to 3660")
        }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let range: JSONValue = .object([
            ("startUnixMs", .string(String(now - Int64(days) * 86_400_000))), ("endUnixMs", .string(String(now))),
        ])
        let response = try await call(Stats.StatsService.getSummary, [("range", range)], as: Stats.SummaryResponse.self, gateway: gateway)
        let figures = response.current ?? Stats.Figures()
        context.out("last \(days) day(s) to \(date(now))")
        context.out("visits:          \(figures.visits)")
        context.out("unique visitors: \(figures.uniqueVisitors)")
        context.out("page views:      \(figures.pageViews)")
        context.out("sales:           \(figures.sales)")
        context.out("refunds:         \(figures.refunds)")
        context.out(String(format: "conversion:      %.2f%%", figures.conversionRate * 100))
        for revenue in figures.revenue {
            context.out(
                "revenue \(revenue.currency):     gross \(money(revenue.grossMinor, revenue.currency)), net \(money(revenue.netMinor, revenue.currency)), average basket \(money(revenue.averageBasketMinor, revenue.currency))"
            )
        }
    }

    static let auditList = Command(
        help: """
            Usage: backoffice audit list [--actor ID] [--method NAME] [--outcome CODE] [--target ID] [--limit N]

            The audit trail, newest first (audit.read): time, actor, method, target, outcome.
            """,
        valued: ["actor", "method", "outcome", "target", "limit"], flags: []
    ) { arguments, gateway, context in
        let json = try members(
            arguments, strings: ["actor": "actor", "method": "method", "outcome": "outcome", "target": "target"],
            limit: "pageSize")
        let response = try await call(Audit.AuditService.query, json, as: Audit.QueryResponse.self, gateway: gateway)
        var table = TextTable("SEQ", "TIME", "ACTOR", "METHOD", "TARGET", "OUTCOME")
        for entry in response.entries {
            let record = entry.record ?? Audit.Record()
            table.add(
                String(entry.sequence), date(record.occurredAtUnixMs), record.actor, record.method,
                record.target.isEmpty ? "-" : record.target,
                record.outcome)
        }
        table.lines.forEach(context.out)
    }
}
