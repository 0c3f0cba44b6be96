import CSodium

/// libsodium's one-time initialization.
///
/// `sodium_init()` must run before any other libsodium call; it is safe to call repeatedly but
/// it is cheaper to do it once. A `static let` is initialized lazily, exactly once, with the
/// runtime's thread-safe once-guard, so every public entry point of this module just touches it.
enum Sodium {
    /// `sodium_init()`'s result: 0 on first initialization, 1 when already done, -1 on failure.
    private static let initializationResult: Int32 = sodium_init()

    /// Initializes libsodium if that has not happened yet.
    ///
    /// Initialization fails only when the system offers no secure entropy source; nothing in this
    /// module can work safely then, so that is treated as a fatal configuration error.
    static func ensureInitialized() {
        precondition(
            initializationResult >= 0,
            "sodium_init() failed: libsodium has no secure random source on this system")
    }
}
