import BackofficeAPI
import RPC
import ServiceRuntime
import Synchronization

/// Every route's instances, and the background health checks that take failing instances out of
/// rotation and put them back when they answer again.
public final class ServiceDirectory: Sendable {
    /// The groups by route name.
    public let groups: [String: InstanceGroup]
    private let table: RouteTable
    private let resolved = Mutex<[String: InstanceGroup?]>([:])
    private let logger: Logger?
    private let checker = Mutex<Task<Void, Never>?>(nil)

    /// A directory for `table`, each instance with its own connection pool of `configuration`.
    public init(table: RouteTable, configuration: RPCClient.Configuration, logger: Logger?) {
        self.table = table
        self.logger = logger
        var groups: [String: InstanceGroup] = [:]
        for (name, addresses) in table.routes {
            groups[name] = InstanceGroup(
                name: name, instances: addresses.map { ServiceInstance(address: $0, configuration: configuration) })
        }
        self.groups = groups
    }

    /// The instances serving `service` (a full service name), or `nil` when no route covers it.
    public func group(for service: String) -> InstanceGroup? {
        if let cached = resolved.withLock({ $0[service] }) { return cached }
        let group = table.routeName(for: service).flatMap { groups[$0] }
        resolved.withLock { cache in
            if cache.count < 4096 { cache[service] = group }
        }
        return group
    }

    /// Starts checking every instance each `interval`, each check allowed `timeout`.
    public func startHealthChecks(every interval: Duration, timeout: Duration) {
        let task = Task { [self] in
            while !Task.isCancelled {
                await checkAll(timeout: timeout)
                try? await Task.sleep(for: interval)
            }
        }
        checker.withLock { $0 = task }
    }

    /// Stops the health checks and closes every connection.
    public func close() async {
        checker.withLock { $0?.cancel() }
        for group in groups.values {
            for instance in group.instances { await instance.client.close() }
        }
    }

    /// Checks every instance once, concurrently.
    public func checkAll(timeout: Duration) async {
        await withTaskGroup(of: Void.self) { tasks in
            for group in groups.values {
                for instance in group.instances {
                    tasks.addTask { await self.check(instance, timeout: timeout) }
                }
            }
        }
    }

    /// Checks one instance now (after a forwarded call to it failed with UNAVAILABLE).
    public func check(_ instance: ServiceInstance, timeout: Duration) async {
        let healthy: Bool
        do {
            let response = try await Health.HealthClient(channel: instance.client).check(
                Health.CheckRequest(), options: CallOptions(timeout: timeout))
            healthy = response.status == .serving
        } catch {
            healthy = false
        }
        if instance.setHealthy(healthy) {
            if healthy {
                logger?.info("instance back in rotation", ["address": instance.address.description])
            } else {
                logger?.warn("instance taken out of rotation", ["address": instance.address.description])
            }
        }
    }
}
