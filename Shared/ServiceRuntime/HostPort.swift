/// A TCP address as `host:port`: the value type of address settings such as `--listen` or an
/// upstream service's location.
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    /// A host name or an IP address, without brackets, e.g. `127.0.0.1`, `localhost` or `::1`.
    public var host: String
    /// The TCP port; 0 asks the system to pick a free one when listening.
    public var port: UInt16

    /// An address from its two parts.
    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`, `[ipv6]:port`; `nil` when the text is not an address.
    public init?(parsing text: String) {
        guard case .success(let address) = HostPort.parse(text) else { return nil }
        self = address
    }

    /// `host:port`, with brackets around an IPv6 host: `[::1]:8080`.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Why a text is not an address, for error messages.
    struct ParseProblem: Error {
        let reason: String
    }

    /// Parses `host:port` or `[ipv6]:port`, explaining what is wrong when it fails.
    static func parse(_ text: String) -> Result<HostPort, ParseProblem> {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                return .failure(ParseProblem(reason: "missing ']' after the IPv6 host"))
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else {
                return .failure(ParseProblem(reason: "missing ':port' after the host"))
            }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                return .failure(ParseProblem(reason: "missing ':port'"))
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") {
                return .failure(ParseProblem(reason: "an IPv6 host needs brackets, as in [::1]:8080"))
            }
        }
        guard !host.isEmpty else {
            return .failure(ParseProblem(reason: "missing host before ':'"))
        }
        guard !portText.isEmpty, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
            let port = Int(portText), port <= Int(UInt16.max)
        else {
            return .failure(ParseProblem(reason: "port \"\(portText)\" is not a number from 0 to 65535"))
        }
        return .success(HostPort(host: String(host), port: UInt16(port)))
    }
}
