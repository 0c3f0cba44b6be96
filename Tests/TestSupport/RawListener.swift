import Foundation
import Glibc
import RPC

/// A loopback listening socket for tests that play a server by hand, frame by frame (one that
/// misbehaves on purpose). Each accepted connection is a `RawConnection`; like it, the blocking
/// calls run on a dispatch queue of their own, never on Swift's cooperative threads.
public final class RawListener: @unchecked Sendable {
    // @unchecked Sendable: `fd` is fixed; accepting runs on `queue` only.

    /// Where it listens (127.0.0.1, a free port).
    public let address: SocketAddress
    private let fd: Int32
    private let queue = DispatchQueue(label: "raw-listener")

    /// Listens on a free loopback port; with `accepting` false, only holds the port: connections
    /// to it are refused at once, and no other socket can take it meanwhile (an address that is
    /// down for as long as the test needs, unlike a stopped server's, whose port may be reused).
    public init(accepting: Bool = true) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw IOError("socket", errno: errno) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(fd, address, length) == 0 && (!accepting || listen(fd, 8) == 0) && getsockname(fd, address, &length) == 0
            }
        }
        guard bound else {
            let error = IOError("bind/listen", errno: errno)
            Glibc.close(fd)
            throw error
        }
        self.fd = fd
        address = SocketAddress(host: "127.0.0.1", port: Int(UInt16(bigEndian: addr.sin_port)))
    }

    deinit { Glibc.close(fd) }

    /// The next connection, accepted within `timeout` seconds.
    public func accept(timeout: Double = 5) async throws -> RawConnection {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<RawConnection, any Error>) in
            queue.async { [fd] in
                continuation.resume(with: Result { try Self.acceptNow(fd, timeout: timeout) })
            }
        }
    }

    private static func acceptNow(_ fd: Int32, timeout: Double) throws -> RawConnection {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(timeout * 1000)) == 1 else {
            throw IOError("accept: nobody connected", errno: ETIMEDOUT)
        }
        let accepted = Glibc.accept(fd, nil, nil)
        guard accepted >= 0 else { throw IOError("accept", errno: errno) }
        _ = fcntl(accepted, F_SETFD, FD_CLOEXEC)
        return RawConnection(accepted: accepted)
    }
}
