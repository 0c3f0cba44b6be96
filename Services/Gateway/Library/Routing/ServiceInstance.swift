import BackofficeAPI
import RPC
import Synchronization

/// One running copy of a service: its address, the pooled connections to it, and whether the
/// last health check found it serving.
public final class ServiceInstance: Sendable {
    /// Where it listens.
    public let address: SocketAddress
    /// The pooled connections every forwarded call to it uses.
    public let client: RPCClient
    private let healthy = Atomic<Bool>(true)

    /// An instance at `address`, assumed healthy until a check says otherwise.
    public init(address: SocketAddress, configuration: RPCClient.Configuration) {
        self.address = address
        client = RPCClient(target: address, configuration: configuration)
    }

    /// Whether calls may go to it.
    public var isHealthy: Bool { healthy.load(ordering: .relaxed) }

    /// Records a health check's result; true when that changed the instance's state.
    @discardableResult
    public func setHealthy(_ value: Bool) -> Bool {
        healthy.exchange(value, ordering: .relaxed) != value
    }
}

/// The instances of one route, taken round robin among the healthy ones.
public final class InstanceGroup: Sendable {
    /// The route's name (a service or package).
    public let name: String
    /// Every instance, healthy or not.
    public let instances: [ServiceInstance]
    private let next = Atomic<Int>(0)

    /// A group over `instances` (at least one).
    public init(name: String, instances: [ServiceInstance]) {
        precondition(!instances.isEmpty, "a route needs an instance")
        self.name = name
        self.instances = instances
    }

    /// The next healthy instance other than `excluding`, round robin. When none of the others is
    /// healthy, one of them anyway: a failed health check may have been a slow answer rather than
    /// a dead process, and a dead one refuses the connection at once (UNAVAILABLE, still fast).
    /// `nil` only when there is no instance but `excluding`.
    public func pick(excluding: ServiceInstance? = nil) -> ServiceInstance? {
        let start = next.wrappingAdd(1, ordering: .relaxed).oldValue
        var fallback: ServiceInstance?
        for offset in 0..<instances.count {
            let instance = instances[(start &+ offset) % instances.count]
            guard instance !== excluding else { continue }
            if instance.isHealthy { return instance }
            if fallback == nil { fallback = instance }
        }
        return fallback
    }
}
