/// The name of one access right, such as `orders.refund`: what roles grant and what the gateway's
/// policy and the services check. Reading and writing are separate permissions.
public struct Permission: RawRepresentable, Hashable, Comparable, Sendable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    /// The dotted name, `area.action`.
    public let rawValue: String

    /// The permission named `rawValue`.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// The permission named by a literal, as in `"orders.read"`.
    public init(stringLiteral value: String) {
        self.rawValue = value
    }

    public var description: String { rawValue }

    public static func < (lhs: Permission, rhs: Permission) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}

extension Permission {
    /// Read drafts, revisions, trash, media and search results in the back office.
    public static let contentRead: Permission = "content.read"
    /// Create and edit items and media, move them to the trash and restore them.
    public static let contentWrite: Permission = "content.write"
    /// Publish, schedule, unpublish and archive items; purge them from the trash.
    public static let contentPublish: Permission = "content.publish"
    /// Read the site configuration with its history, private keys included.
    public static let configRead: Permission = "config.read"
    /// Change the site configuration and roll it back.
    public static let configWrite: Permission = "config.write"

    /// Read and search any account's profile.
    public static let usersRead: Permission = "users.read"
    /// Create staff, update, deactivate, reactivate and erase any account.
    public static let usersManage: Permission = "users.manage"

    /// Read any order, payment and return.
    public static let ordersRead: Permission = "orders.read"
    /// Create orders for customers, record payments, ship, deliver, cancel, handle returns.
    public static let ordersWrite: Permission = "orders.write"
    /// Refund payments.
    public static let ordersRefund: Permission = "orders.refund"
    /// Manage the catalogue: products, prices and stock.
    public static let catalogWrite: Permission = "catalog.write"

    /// Read figures, series, top lists, live counters and exports.
    public static let statsRead: Permission = "stats.read"
    /// Send events to the stats service (front-office programs, the orders service).
    public static let statsIngest: Permission = "stats.ingest"

    /// Read roles, sessions, API keys and security events of any account.
    public static let securityRead: Permission = "security.read"
    /// Manage roles, role assignments, API keys, password resets, unlocks and session revocation.
    public static let securityManage: Permission = "security.manage"
    /// Query and verify the audit trail.
    public static let auditRead: Permission = "audit.read"

    /// Methods only the suite's own processes call (authenticating calls, appending audit
    /// records, keeping credentials in step). No role grants it; only service principals hold it.
    public static let suiteInternal: Permission = "suite.internal"
}

/// Every permission the suite knows, with what it allows: the list roles are made from.
public enum PermissionCatalogue {
    /// Each permission and a one-line description, in display order.
    public static let all: [(permission: Permission, summary: String)] = [
        (.contentRead, "read drafts, revisions, trash, media and search"),
        (.contentWrite, "create and edit content and media"),
        (.contentPublish, "publish, schedule, unpublish, archive and purge content"),
        (.configRead, "read the site configuration and its history"),
        (.configWrite, "change and roll back the site configuration"),
        (.usersRead, "read and search accounts"),
        (.usersManage, "create staff, update, deactivate and erase accounts"),
        (.ordersRead, "read orders, payments and returns"),
        (.ordersWrite, "create and progress orders, record payments, handle returns"),
        (.ordersRefund, "refund payments"),
        (.catalogWrite, "manage products, prices and stock"),
        (.statsRead, "read statistics, live counters and exports"),
        (.statsIngest, "send events to statistics"),
        (.securityRead, "read roles, sessions, API keys and security events"),
        (.securityManage, "manage roles, API keys, passwords, lockouts and sessions"),
        (.auditRead, "query and verify the audit trail"),
        (.suiteInternal, "calls between the suite's own processes"),
    ]

    /// Whether `permission` is in the catalogue.
    public static func contains(_ permission: Permission) -> Bool {
        all.contains { $0.permission == permission }
    }
}
