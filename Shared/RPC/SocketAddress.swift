import CSystem
import Glibc

/// A TCP endpoint: a host name or IP literal and a port. Written `host:port`, or `[v6]:port`.
public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port` or `[ipv6]:port`; `nil` when the text is not an address.
    public init?(parsing text: String) {
        guard case .success(let address) = Self.parse(text) else { return nil }
        self = address
    }

    /// Why a text is not an address, for error messages.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    /// Parses `host:port` or `[ipv6]:port`, explaining what is wrong when it fails.
    public static func parse(_ text: String) -> Result<SocketAddress, ParseError> {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                return .failure(ParseError(reason: "missing ']' after the IPv6 host"))
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return .failure(ParseError(reason: "missing ':port' after the host")) }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return .failure(ParseError(reason: "missing ':port'")) }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") {
                return .failure(ParseError(reason: "an IPv6 host needs brackets, as in [::1]:8080"))
            }
        }
        guard !host.isEmpty else { return .failure(ParseError(reason: "missing host before ':'")) }
        guard !portText.isEmpty, portText.allSatisfy({ $0.isASCII && $0.isNumber }), let port = Int(portText), port <= 65535 else {
            return .failure(ParseError(reason: "port \"\(portText)\" is not a number from 0 to 65535"))
        }
        return .success(SocketAddress(host: String(host), port: port))
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Resolves the address for a TCP socket (numeric hosts without a lookup).
    func resolve() throws(IOError) -> (storage: sockaddr_storage, length: socklen_t, family: Int32) {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else { throw IOError("getaddrinfo(\(host))", errno: EHOSTUNREACH) }
        defer { freeaddrinfo(list) }
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { raw in
            raw.copyMemory(from: UnsafeRawBufferPointer(start: first.pointee.ai_addr, count: Int(first.pointee.ai_addrlen)))
        }
        return (storage, first.pointee.ai_addrlen, first.pointee.ai_family)
    }

    /// The address a socket address structure holds.
    static func from(_ storage: sockaddr_storage) -> SocketAddress {
        var copy = storage
        return withUnsafePointer(to: &copy) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address -> SocketAddress in
                var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
                if address.pointee.sa_family == sa_family_t(AF_INET6) {
                    return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                        var raw = v6.pointee.sin6_addr
                        inet_ntop(AF_INET6, &raw, &buffer, socklen_t(buffer.count))
                        return SocketAddress(
                            host: String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self),
                            port: Int(UInt16(bigEndian: v6.pointee.sin6_port)))
                    }
                }
                return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                    var raw = v4.pointee.sin_addr
                    inet_ntop(AF_INET, &raw, &buffer, socklen_t(buffer.count))
                    return SocketAddress(
                        host: String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self),
                        port: Int(UInt16(bigEndian: v4.pointee.sin_port)))
                }
            }
        }
    }
}

/// Thin wrappers over the socket calls the transport needs. Every descriptor is non-blocking and
/// close-on-exec.
enum Socket {
    /// A listening socket bound to `address` (port 0 picks a free port); returns the bound address.
    static func listen(on address: SocketAddress, backlog: Int32 = 1024) throws(IOError) -> (fd: Int32, bound: SocketAddress) {
        let resolved = try address.resolve()
        let fd = try blockingSystemCall("socket") {
            socket(resolved.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        do {
            try setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
            var storage = resolved.storage
            _ = try withUnsafePointer(to: &storage) { (pointer) throws(IOError) in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (raw) throws(IOError) in
                    try blockingSystemCall("bind(\(address))") { bind(fd, raw, resolved.length) }
                }
            }
            try blockingSystemCall("listen") { Glibc.listen(fd, backlog) }
            return (fd, try localAddress(fd))
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    /// Starts a non-blocking connect; `.wouldBlock` means wait for writability, then `connectResult`.
    static func connect(to address: SocketAddress) throws(IOError) -> (fd: Int32, pending: Bool) {
        let resolved = try address.resolve()
        let fd = try blockingSystemCall("socket") {
            socket(resolved.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        do {
            try setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
            var storage = resolved.storage
            let result = try withUnsafePointer(to: &storage) { (pointer) throws(IOError) in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (raw) throws(IOError) in
                    try systemCall("connect(\(address))") { Glibc.connect(fd, raw, resolved.length) }
                }
            }
            if case .wouldBlock = result { return (fd, true) }
            return (fd, false)
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    /// The outcome of a non-blocking connect once the socket is writable.
    static func connectResult(_ fd: Int32, address: SocketAddress) -> IOError? {
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        return error == 0 ? nil : IOError("connect(\(address))", errno: error)
    }

    /// Accepts one pending connection, or `nil` when none is waiting.
    static func accept(_ fd: Int32) throws(IOError) -> (fd: Int32, peer: SocketAddress)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = try withUnsafeMutablePointer(to: &storage) { (pointer) throws(IOError) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (raw) throws(IOError) in
                try systemCall("accept") { csystem_accept4(fd, raw, &length, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)) }
            }
        }
        guard case .done(let client) = result else { return nil }
        try? setOption(client, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
        return (client, SocketAddress.from(storage))
    }

    static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) throws(IOError) {
        var value = value
        try blockingSystemCall("setsockopt") { setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) }
    }

    static func localAddress(_ fd: Int32) throws(IOError) -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try withUnsafeMutablePointer(to: &storage) { (pointer) throws(IOError) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (raw) throws(IOError) in
                try blockingSystemCall("getsockname") { getsockname(fd, raw, &length) }
            }
        }
        return SocketAddress.from(storage)
    }
}
