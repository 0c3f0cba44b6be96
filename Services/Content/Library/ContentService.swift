import Foundation
import Synchronization
import RPC
import Storage

/// The whole content service over one data directory: the database, the stores, the scheduler
/// and the providers the executable serves. Tests build it in-process the same way.
public final class ContentService: Sendable {
    /// The limits the executable's flags set.
    public struct Limits: Sendable {
        /// `--max-body-size`: most bytes of an item's body.
        public var maxBodyBytes: Int
        /// `--max-media-size`: most bytes of one media file.
        public var maxMediaBytes: Int

        /// 1 MiB bodies, 100 MiB media files.
        public init(maxBodyBytes: Int = 1 << 20, maxMediaBytes: Int = 100 << 20) {
            self.maxBodyBytes = maxBodyBytes
            self.maxMediaBytes = maxMediaBytes
        }
    }

    /// The database file's name inside the data directory.
    public static let databaseFile = "content.sqlite"

    /// `<data-dir>/content.sqlite`.
    public let database: Database
    /// Items, revisions, workflow, search and public reads.
    public let items: ItemStore
    /// The media library in `<data-dir>/media/`.
    public let media: MediaLibrary
    /// The site configuration.
    public let configuration: SiteConfigStore
    /// Applies due schedules; `start()` runs it.
    public let scheduler: ContentScheduler
    private let schedulerTask: Mutex<Task<Void, Never>?> = Mutex(nil)

    /// Opens (creating and migrating when needed) the service's files in `directory`.
    public init(
        directory: String, limits: Limits = Limits(), clock: any ContentClock = SystemContentClock(),
        onSchedulerError: @escaping @Sendable (any Error) -> Void = { _ in }
    ) async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        database = try await Database.open(path: directory + "/" + Self.databaseFile, migrations: ContentSchema.migrations)
        items = ItemStore(database: database, clock: clock, validation: ItemValidation(maxBodyBytes: limits.maxBodyBytes))
        media = try await MediaLibrary.open(
            database: database, directory: directory + "/media", maxSize: limits.maxMediaBytes, clock: clock)
        configuration = SiteConfigStore(database: database, clock: clock)
        scheduler = ContentScheduler(store: items, onError: onSchedulerError)
    }

    /// Every provider of the service.
    public var providers: [any RPCService] {
        [
            ItemsProvider(store: items), RevisionsProvider(store: items), WorkflowProvider(store: items, scheduler: scheduler),
            MediaProvider(library: media), SiteConfigProvider(store: configuration),
            PublicContentProvider(store: items, configuration: configuration),
        ]
    }

    /// Starts the scheduler (once); it applies whatever fell due while the service was down at once.
    public func start() {
        schedulerTask.withLock { task in
            guard task == nil else { return }
            let scheduler = scheduler
            task = Task { await scheduler.run() }
        }
    }

    /// Stops the scheduler.
    public func stop() {
        schedulerTask.withLock { task in
            task?.cancel()
            task = nil
        }
    }
}
