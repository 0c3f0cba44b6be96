import BackofficeAPI
import Foundation
import ProtoRuntime
import RPC

/// `backoffice services` and `backoffice describe METHOD`: the suite as the gateway's reflection
/// describes it (`backoffice.gateway.Reflection/ListServices`, public).
enum ReflectionCommands {
    static let servicesHelp = """
        Usage: backoffice services [--gateway HOST:PORT]

        Lists every service the gateway knows, each method with its kind, its access rule
        (public, authenticated, or the permission it needs) and whether it only reads.
        """

    static let describeHelp = """
        Usage: backoffice describe METHOD [--gateway HOST:PORT]

        Shows a method's kind, access rule, and its request and response fields (JSON name, type,
        number), nested messages and enum values included.
        """

    static func services(_ words: [String], context: CommandContext) async -> Int32 {
        await SessionCommands.run("services", words, valued: ["gateway"], flags: [], help: servicesHelp, context: context) {
            _, gateway in
            let listing = try await listServices(gateway)
            for service in listing.services {
                context.out(service.name + (service.routed ? "" : "  (not routed)"))
                let width = service.methods.map(\.name.count).max() ?? 0
                for method in service.methods {
                    let kind = method.kind == "unary" ? "" : " [\(method.kind)]"
                    context.out(
                        "  \(method.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(method.access)"
                            + (method.readOnly ? ", read-only" : "") + kind)
                }
            }
        }
    }

    static func describe(_ words: [String], context: CommandContext) async -> Int32 {
        await SessionCommands.run(
            "describe", words, valued: ["gateway"], flags: [], help: describeHelp, takesPositionals: true, context: context
        ) {
            arguments, gateway in
            guard arguments.positionals.count == 1 else { throw UsageError("name exactly one METHOD") }
            let wanted = try MethodLookup.find(arguments.positionals[0]).fullName
            let listing = try await listServices(gateway)
            guard let method = listing.services.flatMap(\.methods).first(where: { $0.fullName == wanted }) else {
                throw UsageError("the gateway does not know \(wanted)")
            }
            let messages = Dictionary(listing.messages.map { ($0.fullName, $0) }, uniquingKeysWith: { first, _ in first })
            let enums = Dictionary(listing.enums.map { ($0.fullName, $0) }, uniquingKeysWith: { first, _ in first })
            context.out("\(method.fullName) (\(method.kind), \(method.access)\(method.readOnly ? ", read-only" : ""))")
            for (title, type) in [("request", method.requestType), ("response", method.responseType)] {
                context.out("")
                context.out("\(title) \(type)")
                var shown: Set<String> = []
                printMessage(type, indent: "  ", messages: messages, enums: enums, shown: &shown, context: context)
            }
        }
    }

    static func listServices(_ gateway: GatewayConnection) async throws -> Gateway.ListServicesResponse {
        let client = gateway.client()
        defer { Task { await client.close() } }
        return try await Gateway.ReflectionClient(channel: client).listServices(
            Gateway.ListServicesRequest(), options: gateway.callOptions(timeout: .seconds(10)))
    }

    /// One line per field, with nested message types expanded once and enum values listed.
    static func printMessage(
        _ name: String, indent: String, messages: [String: Gateway.MessageInfo], enums: [String: Gateway.EnumInfo],
        shown: inout Set<String>, context: CommandContext
    ) {
        guard let message = messages[name], shown.insert(name).inserted else { return }
        for field in message.fields {
            let jsonName = FieldSchema.jsonName(of: field.name)
            let type = field.typeName.isEmpty ? field.type : "\(field.type) \(field.typeName)"
            let label = field.label == "repeated" ? "repeated " : ""
            context.out("\(indent)\(jsonName): \(label)\(type) = \(field.number)")
            if field.type == "enum", let values = enums[field.typeName] {
                context.out("\(indent)  one of: " + values.values.map(\.name).joined(separator: ", "))
            } else if field.type == "message" {
                printMessage(field.typeName, indent: indent + "  ", messages: messages, enums: enums, shown: &shown, context: context)
            }
        }
    }
}
