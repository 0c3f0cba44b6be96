/// A `DatabaseConnection` owned by a `Database`, handed between threads by it.
///
/// `@unchecked Sendable` because `Database` guarantees one user at a time: the writer's slot is
/// only used by work items on the writer's serial queue, a reader's slot only by the single job
/// that checked it out of the pool under the pool's lock (returned before the next checkout), and
/// slots are closed only once no work is in flight.
final class ConnectionSlot: @unchecked Sendable {
    let connection: DatabaseConnection

    init(_ connection: DatabaseConnection) {
        self.connection = connection
    }

    /// Closes the connection; failures are ignored (`sqlite3_close_v2` releases it regardless).
    func close() {
        try? connection.close()
    }
}
