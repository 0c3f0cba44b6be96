import Foundation

/// When a session expires and when its last-seen time is worth writing.
///
/// A session expires `absoluteLifetime` after it was created (default 12 hours) whatever its use,
/// and `idleTimeout` after it was last seen (default 30 minutes). Recording every request's time
/// would turn every authenticated read into a write, so `shouldTouch` asks for one only when
/// `touchInterval` (default 60 s) has passed since the recorded time. Pure: the caller passes
/// the times (the session row's and its clock's).
public struct SessionPolicy: Sendable, Equatable {
    /// Why a session is no longer valid.
    public enum ExpiryReason: String, Sendable, Equatable {
        /// Older than the absolute lifetime.
        case absolute
        /// Unused for longer than the idle timeout.
        case idle
    }

    /// A session's state at a moment.
    public enum Validity: Sendable, Equatable {
        /// Usable; it expires at `expiresAt` unless used again before (the earlier of the two limits).
        case valid(expiresAt: Date)
        /// Not usable any more.
        case expired(ExpiryReason)
    }

    /// Seconds from creation to forced expiry.
    public var absoluteLifetime: TimeInterval
    /// Seconds of disuse after which a session expires.
    public var idleTimeout: TimeInterval
    /// The least time between two writes of a session's last-seen time.
    public var touchInterval: TimeInterval

    /// A policy (defaults: 12 hours absolute, 30 minutes idle, touch at most once a minute).
    public init(
        absoluteLifetime: TimeInterval = 12 * 3600, idleTimeout: TimeInterval = 30 * 60, touchInterval: TimeInterval = 60
    ) {
        precondition(absoluteLifetime > 0 && idleTimeout > 0 && touchInterval >= 0, "invalid session policy")
        self.absoluteLifetime = absoluteLifetime
        self.idleTimeout = idleTimeout
        self.touchInterval = touchInterval
    }

    /// Whether a session created at `createdAt` and last seen at `lastSeenAt` is usable at `now`.
    /// Each limit is exclusive: at exactly `createdAt + absoluteLifetime` the session has expired.
    /// When both limits have passed, the absolute one is reported.
    public func validity(createdAt: Date, lastSeenAt: Date, now: Date) -> Validity {
        let absoluteEnd = createdAt.addingTimeInterval(absoluteLifetime)
        let idleEnd = max(lastSeenAt, createdAt).addingTimeInterval(idleTimeout)
        if now >= absoluteEnd { return .expired(.absolute) }
        if now >= idleEnd { return .expired(.idle) }
        return .valid(expiresAt: min(absoluteEnd, idleEnd))
    }

    /// True when a valid session's last-seen time should be updated to `now`: more than
    /// `touchInterval` seconds have passed since `lastSeenAt`.
    public func shouldTouch(lastSeenAt: Date, now: Date) -> Bool {
        now.timeIntervalSince(lastSeenAt) > touchInterval
    }
}
