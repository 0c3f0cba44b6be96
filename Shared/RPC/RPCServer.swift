import CSystem
import Glibc
import Synchronization

/// A TCP server hosting RPC services: accepts connections, spreads them over event loops, and
/// routes each call to the handler of its method.
///
/// ```swift
/// let server = RPCServer(services: [EchoProvider()])
/// let address = try await server.start()
/// ...
/// await server.shutdown()   // drains calls in flight
/// ```
public final class RPCServer: Sendable {
    /// What a server listens on and how it treats its connections.
    public struct Configuration: Sendable {
        /// Where to listen; port 0 picks a free port (see `start()`'s result). Loopback by default.
        public var address = SocketAddress(host: "127.0.0.1", port: 0)
        public var limits = ConnectionLimits()
        /// How long `shutdown()` lets calls in flight finish before ending them with UNAVAILABLE.
        public var shutdownGracePeriod: Duration = .seconds(10)
        /// Run around every handler, first one outermost.
        public var interceptors: [any ServerInterceptor] = []
        /// Told how every call ended.
        public var observers: [any ServerCallObserver] = []

        public init() {}
    }

    private enum State {
        case idle
        case listening(fd: Int32, address: SocketAddress)
        case stopping
        case stopped
    }

    private struct Shared: ~Copyable {
        var state = State.idle
        var connections: [ObjectIdentifier: ServerConnection] = [:]
        var closedWaiters: [CheckedContinuation<Void, Never>] = []
    }

    public let configuration: Configuration
    private let router: ServerRouter
    private let group: EventLoopGroup
    private let acceptLoop: EventLoop
    private let shared = Mutex(Shared())

    /// A server for `services`; nothing happens until `start()`.
    public init(configuration: Configuration = Configuration(), services: [any RPCService], group: EventLoopGroup = .shared) {
        var handlers: [String: MethodHandler] = [:]
        for service in services {
            for handler in service.methodHandlers {
                precondition(handlers[handler.method.fullName] == nil, "\(handler.method) is served twice")
                handlers[handler.method.fullName] = handler
            }
        }
        self.configuration = configuration
        let fallbacks = services.compactMap { $0 as? any UnknownMethodService }
        router = ServerRouter(
            handlers: handlers, fallbacks: fallbacks, interceptors: configuration.interceptors, observers: configuration.observers)
        self.group = group
        acceptLoop = group.loops[0]
    }

    /// Every method this server answers, by full name.
    public var methods: [MethodDescriptor] { router.routes.values.map(\.method) }

    /// Binds and starts accepting; returns the address actually bound.
    @discardableResult
    public func start() async throws -> SocketAddress {
        let (fd, bound) = try Socket.listen(on: configuration.address)
        try shared.withLock { (shared) throws(IOError) in
            guard case .idle = shared.state else {
                Glibc.close(fd)
                throw IOError("start: server already started", errno: EALREADY)
            }
            shared.state = .listening(fd: fd, address: bound)
        }
        let acceptor = Acceptor(server: self, fd: fd)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            acceptLoop.execute {
                do {
                    try self.acceptLoop.register(fd, events: EPOLLIN.rawValue, handler: acceptor)
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
        return bound
    }

    /// Where the server listens, once started.
    public var localAddress: SocketAddress? {
        shared.withLock { shared in
            if case .listening(_, let address) = shared.state { return address }
            return nil
        }
    }

    fileprivate func accepted(fd: Int32, peer: SocketAddress) {
        let loop = group.next()
        loop.execute {
            let framed = FramedConnection(fd: fd, peer: peer, role: .server, loop: loop, limits: self.configuration.limits)
            let connection = ServerConnection(connection: framed, router: self.router)
            let key = ObjectIdentifier(connection)
            let stopping = self.shared.withLock { shared -> Bool in
                if case .listening = shared.state {
                    shared.connections[key] = connection
                    return false
                }
                return true
            }
            guard !stopping else {
                framed.delegate = nil
                Glibc.close(fd)
                return
            }
            connection.onClose = { [weak self] in self?.connectionClosed(key) }
            do {
                try framed.start()
            } catch {
                framed.close(reason: RPCError(.unavailable, "cannot watch connection: \(error)"))
            }
        }
    }

    private func connectionClosed(_ key: ObjectIdentifier) {
        let waiters = shared.withLock { shared -> [CheckedContinuation<Void, Never>] in
            shared.connections.removeValue(forKey: key)
            guard shared.connections.isEmpty else { return [] }
            defer { shared.closedWaiters = [] }
            return shared.closedWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Graceful shutdown: stops accepting, sends every client a GOAWAY, lets calls in flight
    /// finish for up to the grace period, then ends what remains with UNAVAILABLE and closes.
    /// Returns once every connection is closed.
    public func shutdown() async {
        let (listener, connections) = shared.withLock { shared -> (Int32?, [ServerConnection]) in
            var listener: Int32?
            if case .listening(let fd, _) = shared.state { listener = fd }
            shared.state = .stopping
            return (listener, Array(shared.connections.values))
        }
        if let listener {
            await acceptLoop.submit { self.acceptLoop.closeDescriptor(listener) }
        }
        for connection in connections {
            connection.connection.loop.execute { connection.beginDrain() }
        }
        let grace = configuration.shutdownGracePeriod
        let enforcer = Task {
            try await Task.sleep(for: grace)
            let remaining = shared.withLock { Array($0.connections.values) }
            for connection in remaining {
                connection.connection.loop.execute { connection.forceClose() }
            }
        }
        await waitForConnectionsToClose()
        enforcer.cancel()
        shared.withLock { $0.state = .stopped }
    }

    private func waitForConnectionsToClose() async {
        await withCheckedContinuation { continuation in
            let done = shared.withLock { shared -> Bool in
                if shared.connections.isEmpty { return true }
                shared.closedWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }
}

/// Accepts connections on the listening socket and hands them to the server.
private final class Acceptor: EventLoopIOHandler, @unchecked Sendable {
    // @unchecked Sendable: immutable; created on one thread and used only on the accept loop.
    let server: RPCServer
    let fd: Int32

    init(server: RPCServer, fd: Int32) {
        self.server = server
        self.fd = fd
    }

    func handleEvents(_ events: UInt32) {
        // A bounded batch per wake-up keeps one burst of connections from starving other work.
        for _ in 0..<64 {
            do {
                guard let (client, peer) = try Socket.accept(fd) else { return }
                server.accepted(fd: client, peer: peer)
            } catch {
                // EMFILE and friends: leave the connection in the backlog and try on the next wake-up.
                return
            }
        }
    }
}
