import Foundation
import Glibc

/// Free TCP ports on 127.0.0.1, found by binding port 0 and reading what the kernel chose.
public enum LoopbackPort {
    /// A port nothing listens on right now, from the kernel's ephemeral range. (Another process
    /// could take it before it is used; `freeForServer` avoids that range.)
    public static func free() throws -> Int {
        let fd = try bound(to: 0)
        defer { close(fd) }
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw LauncherError("getsockname failed: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// The first port of the kernel's ephemeral range (`/proc/sys/net/ipv4/ip_local_port_range`;
    /// 32768, Linux's default, when it cannot be read): the range the kernel takes the ports of
    /// outgoing connections and port-0 listeners from.
    public static var ephemeralRangeStart: Int {
        let range = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        return range.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } ?? 32768
    }

    /// A port free now, for a server that keeps it across restarts: chosen at random below the
    /// kernel's ephemeral range (in `candidates`), so that no outgoing connection of any process
    /// can be given it while the server is down and restarting. Not one of `excluding` (ports
    /// handed out already and not bound yet). At most `tries` random picks; when none is free
    /// (or `candidates` is empty), a port the kernel chooses (`free()`), again at most `tries`
    /// times before giving up.
    public static func freeForServer(
        excluding: Set<Int> = [], candidates: Range<Int> = 10_000..<ephemeralRangeStart, tries: Int = 1000
    ) throws -> Int {
        if !candidates.isEmpty {
            for _ in 0..<tries {
                let port = Int.random(in: candidates)
                if !excluding.contains(port) && isFree(port) { return port }
            }
        }
        for _ in 0..<max(1, tries) {
            let port = try free()
            if !excluding.contains(port) { return port }
        }
        throw LauncherError("no free loopback port found in \(max(1, tries)) tries")
    }

    /// Whether 127.0.0.1:`port` can be bound right now (no socket listens on it or uses it);
    /// false for anything but a port number (1–65535).
    public static func isFree(_ port: Int) -> Bool {
        guard (1...65535).contains(port), let fd = try? bound(to: port) else { return false }
        close(fd)
        return true
    }

    /// A TCP socket bound to 127.0.0.1:`port` (0: any free port; 0–65535); the caller closes it.
    private static func bound(to port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LauncherError("cannot create a socket: \(String(cString: strerror(errno)))") }
        var address = loopback(port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw LauncherError("cannot bind 127.0.0.1:\(port): \(reason)")
        }
        return fd
    }

    /// Whether something accepts connections on 127.0.0.1:`port` (used to refuse a busy gateway port).
    /// False for anything but a port number (1–65535).
    public static func isListening(_ port: Int) -> Bool {
        guard (1...65535).contains(port) else { return false }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    /// 127.0.0.1:`port` (0–65535) as a socket address.
    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return address
    }
}
