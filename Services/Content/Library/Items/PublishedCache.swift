import BackofficeAPI
import Synchronization

/// Published items by locale and slug, for the front office's hottest read. Any write to items
/// empties it; a read that began before a write finished is not cached (generation check), so the
/// cache never holds an item older than the database.
final class PublishedCache: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var items: [String: Content.Item] = [:]
    }

    /// Entries kept at most; beyond that the cache starts over.
    static let capacity = 10_000
    private let state = Mutex(State())

    private static func key(slug: String, locale: String) -> String { locale + "\u{0}" + slug }

    /// The cached item for a slug (current or old) and the generation to pass to `store`.
    func lookup(slug: String, locale: String) -> (item: Content.Item?, generation: UInt64) {
        state.withLock { ($0.items[Self.key(slug: slug, locale: locale)], $0.generation) }
    }

    /// Caches `item` under the slug it was asked for, unless a write happened since `generation`.
    func store(_ item: Content.Item, slug: String, locale: String, generation: UInt64) {
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.items.count >= Self.capacity { state.items.removeAll(keepingCapacity: true) }
            state.items[Self.key(slug: slug, locale: locale)] = item
        }
    }

    /// Forgets everything: called after every committed write to items.
    func invalidate() {
        state.withLock { state in
            state.generation &+= 1
            state.items.removeAll(keepingCapacity: true)
        }
    }
}
