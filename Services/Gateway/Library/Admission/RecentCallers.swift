/// The callers one event loop found in the credential cache lately, by the `authorization` value
/// their calls carried: a client repeats its credential on every call, and this finds its caller
/// again without parsing the value or taking the shared cache's lock. Each entry is a copy of a
/// `CredentialCache` entry and is good until that entry's own expiry, and only while no
/// credential has been forgotten since it was copied (a logout through the gateway is refused at
/// once on every loop). Kept per loop (`LoopLocal`), touched by that loop's thread alone.
final class RecentCallers {
    private struct Entry {
        let caller: Caller
        let expiresAtMillis: Int64
        let generation: UInt64
    }

    /// Most values kept; when full, the loop starts over (the shared cache still answers).
    static let capacity = 256
    private var entries: [String: Entry] = [:]
    /// The value found last: a connection's calls carry the same one, decoded into the same
    /// string (`CallHeaders` reuses it), which compares equal at once, with no hashing. (Two
    /// fields compared in place: a tuple would be copied out, each of its references retained.)
    private var lastAuthorization = ""
    private var lastEntry: Entry?

    /// The caller of `authorization`, if an entry taken at `generation` is still good at `now`.
    func caller(for authorization: String, now: Int64, generation: UInt64) -> Caller? {
        let entry: Entry
        if let lastEntry, lastAuthorization == authorization {
            entry = lastEntry
        } else if let found = entries[authorization] {
            entry = found
            lastAuthorization = authorization
            lastEntry = found
        } else {
            return nil
        }
        guard entry.expiresAtMillis > now, entry.generation == generation else {
            entries.removeValue(forKey: authorization)
            lastEntry = nil
            return nil
        }
        return entry.caller
    }

    /// Keeps `caller`, found for `authorization` in a cache entry that expires at
    /// `expiresAtMillis`, read while the cache's generation was `generation`.
    func remember(_ caller: Caller, for authorization: String, expiresAtMillis: Int64, generation: UInt64) {
        if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
        lastEntry = nil
        entries[authorization] = Entry(caller: caller, expiresAtMillis: expiresAtMillis, generation: generation)
    }
}
