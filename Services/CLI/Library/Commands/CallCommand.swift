import BackofficeAPI
import Foundation
import ProtoJSON
import ProtoRuntime
import RPC

/// `backoffice call METHOD`: any method of the suite, JSON in and JSON out, converted through the
/// method's protobuf descriptors.
enum CallCommand {
    static let help = """
        Usage: backoffice call METHOD [--data JSON | --data @FILE] [--gateway HOST:PORT] [--timeout SECONDS] [--compact]

        Calls METHOD through the gateway with the saved session (see `backoffice login`).
        METHOD is `package.Service/Method` (e.g. backoffice.echo.Echo/Unary) or `Service/Method`
        when the service name is unique. The request is JSON (proto3 conventions: lowerCamelCase
        names, 64-bit integers as strings, enums by name, bytes as base64) from --data, from a file
        with --data @FILE, or from standard input; `{}` when none is given on a terminal.
        A client-streaming method takes a JSON array of requests, or one JSON object per line.
        The response is printed as JSON; a server-streaming method prints one object per line.
        On error the exit status is 1 and standard error says `CODE_NAME: message`.

        Options:
          --data JSON | @FILE    the request (default: standard input)
          --gateway HOST:PORT    the gateway (default: $BACKOFFICE_GATEWAY, else 127.0.0.1:7000)
          --timeout SECONDS      the call's deadline (default: 30)
          --compact              print unary responses on one line
        """

    static func run(_ words: [String], context: CommandContext) async -> Int32 {
        let arguments: Arguments
        do {
            arguments = try Arguments(words, valued: ["data", "gateway", "timeout"], flags: ["compact"])
        } catch {
            return context.fail("call", error)
        }
        if arguments.wantsHelp {
            context.out(help)
            return 0
        }
        do {
            guard arguments.positionals.count == 1 else { throw UsageError("name exactly one METHOD") }
            let method = try MethodLookup.find(arguments.positionals[0])
            let gateway = try GatewayConnection(option: arguments.options["gateway"], context: context)
            guard let seconds = Double(arguments.options["timeout"] ?? "30"), seconds > 0, seconds <= 3600 else {
                throw UsageError("--timeout must be a number of seconds between 0 and 3600")
            }
            let input = try RequestInput.read(arguments.options["data"])
            let requests = try RequestInput.requests(from: input, method: method)
            let client = gateway.client()
            defer { Task { await client.close() } }
            let options = gateway.callOptions(timeout: .milliseconds(Int64(seconds * 1000)))
            let compact = arguments.flags.contains("compact")
            let printer: @Sendable ([UInt8]) throws -> Void = { bytes in
                let json = try ProtoJSON.decode(bytes, as: MessageSchema(method.responseType.protobufDescriptor))
                context.out(compact || method.kind == .serverStreaming ? json.compactText : json.prettyText)
            }
            try await GenericCall.perform(method, requests: requests, on: client, options: options, onResponse: printer)
            return 0
        } catch let error as RPCError {
            context.err("\(error.code.name): \(error.message)")
            for violation in error.fieldViolations { context.err("  \(violation.field): \(violation.description)") }
            return 1
        } catch {
            return context.fail("call", error)
        }
    }
}

/// Finds a method of the suite by name.
enum MethodLookup {
    /// The method named `package.Service/Method`, `Service/Method` or `Service.Method`.
    static func find(_ name: String) throws(UsageError) -> MethodDescriptor {
        let methods = ServiceCatalogue.all.flatMap(\.methods)
        if let exact = methods.first(where: { $0.fullName == name }) { return exact }
        let normalized = name.replacingOccurrences(of: ".", with: "/")
        let matches = methods.filter {
            let short = "\($0.service.split(separator: ".").last ?? "")/\($0.name)"
            return short == name || short == normalized || $0.fullName.hasSuffix("/" + name) && !name.contains("/")
        }
        guard matches.count == 1 else {
            if matches.isEmpty { throw UsageError("unknown method \(name); backoffice services lists them") }
            throw UsageError("\(name) is ambiguous: \(matches.map(\.fullName).joined(separator: ", "))")
        }
        return matches[0]
    }
}

/// Turns the command's JSON input into request messages.
enum RequestInput {
    /// The text of `--data`, of `@FILE`, or of standard input (`{}` when stdin is a terminal).
    static func read(_ option: String?) throws -> String {
        if let option {
            guard option.hasPrefix("@") else { return option }
            let path = String(option.dropFirst())
            guard let data = FileManager.default.contents(atPath: path) else { throw UsageError("cannot read \(path)") }
            return String(decoding: data, as: UTF8.self)
        }
        if isatty(0) != 0 { return "{}" }
        return String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
    }

    /// The encoded requests: one for unary and server-streaming methods; for client streaming, the
    /// elements of a JSON array or one object per line.
    static func requests(from text: String, method: MethodDescriptor) throws -> [[UInt8]] {
        let schema = MessageSchema(method.requestType.protobufDescriptor)
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard method.kind == .clientStreaming else {
            return [try encode(trimmed.isEmpty ? "{}" : trimmed, schema: schema, item: nil)]
        }
        if trimmed.hasPrefix("[") {
            guard case .array(let items) = try parse(trimmed, item: nil) else { return [] }
            return try items.enumerated().map { index, item throws -> [UInt8] in
                do {
                    return try ProtoJSON.encode(item, as: schema)
                } catch {
                    throw UsageError("request \(index + 1): \(error)")
                }
            }
        }
        return try trimmed.split(separator: "\n").map { String($0) }.filter { !$0.allSatisfy(\.isWhitespace) }
            .enumerated().map { index, line in try encode(line, schema: schema, item: index + 1) }
    }

    static func parse(_ text: String, item: Int?) throws -> JSONValue {
        do {
            return try JSONValue.parse(text)
        } catch {
            throw UsageError((item.map { "request \($0): " } ?? "") + error.description)
        }
    }

    static func encode(_ text: String, schema: MessageSchema, item: Int?) throws -> [UInt8] {
        do {
            return try ProtoJSON.encode(parse(text, item: item), as: schema)
        } catch let error as ProtoJSONError {
            throw UsageError((item.map { "request \($0): " } ?? "") + error.description)
        }
    }
}
