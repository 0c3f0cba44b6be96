import RPC

/// Where each service of the suite runs: service (or package) names mapped to instance addresses.
///
/// Written `name=host:port,host:port` per entry, entries separated by `;` or new lines; `#` starts
/// a comment. A name is a full service name (`backoffice.echo.Echo`) or a package
/// (`backoffice.security`, covering every service of that package); a call goes to the entry with
/// the longest name that matches its service.
public struct RouteTable: Sendable, Equatable {
    /// Addresses by service or package name, in the order written.
    public private(set) var routes: [String: [SocketAddress]] = [:]

    /// An empty table: every call is UNIMPLEMENTED.
    public init() {}

    /// A table from `name=address,...` entries.
    public init(routes: [String: [SocketAddress]]) {
        self.routes = routes
    }

    /// Parses the text form (the `--routes` flag, or a `--services-file`'s contents).
    /// - Throws: `RouteTableError` naming the first bad entry.
    public init(parsing text: String) throws(RouteTableError) {
        let entries = text.split(whereSeparator: { $0 == ";" || $0 == "\n" })
        for rawEntry in entries {
            let entry = rawEntry.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
                .trimmingCharacters(in: " \t\r")
            guard !entry.isEmpty else { continue }
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: " \t") }
            guard parts.count == 2, !parts[0].isEmpty, !parts[0].contains("/") else {
                throw RouteTableError(entry: entry, reason: "expected name=host:port[,host:port...]")
            }
            var addresses: [SocketAddress] = []
            for text in parts[1].split(separator: ",") {
                guard let address = SocketAddress(parsing: text.trimmingCharacters(in: " \t")) else {
                    throw RouteTableError(entry: entry, reason: "\"\(text)\" is not host:port")
                }
                addresses.append(address)
            }
            guard !addresses.isEmpty else { throw RouteTableError(entry: entry, reason: "no address") }
            routes[parts[0], default: []].append(contentsOf: addresses)
        }
    }

    /// The route name that covers `service` (a full service name): the service itself, else its
    /// longest enclosing package that has a route.
    public func routeName(for service: String) -> String? {
        var name = Substring(service)
        while !name.isEmpty {
            if routes[String(name)] != nil { return String(name) }
            guard let dot = name.lastIndex(of: ".") else { return nil }
            name = name[..<dot]
        }
        return nil
    }
}

/// A route entry that cannot be parsed.
public struct RouteTableError: Error, Sendable, CustomStringConvertible {
    /// The entry as written.
    public let entry: String
    /// What is wrong with it.
    public let reason: String

    public var description: String { "bad route \"\(entry)\": \(reason)" }
}

extension StringProtocol {
    /// The text without leading and trailing characters from `set`.
    fileprivate func trimmingCharacters(in set: String) -> String {
        let characters = Set(set)
        var slice = Substring(self)
        while let first = slice.first, characters.contains(first) { slice.removeFirst() }
        while let last = slice.last, characters.contains(last) { slice.removeLast() }
        return String(slice)
    }
}
