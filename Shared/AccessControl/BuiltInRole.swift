/// The roles every suite starts with. They cannot be deleted or changed; administrators add
/// custom roles beside them at run time (in the security service).
public enum BuiltInRole: String, CaseIterable, Sendable {
    /// Every permission of the catalogue except `suite.internal`.
    case admin
    /// Content and media, from writing to publishing; reads the configuration.
    case editor
    /// Orders, payments, refunds, returns and the catalogue; reads customer accounts.
    case sales
    /// Statistics.
    case analyst
    /// A customer: no staff permission; the owning services let customers act on their own
    /// profile and orders only.
    case customer

    /// What the role grants.
    public var permissions: Set<Permission> {
        switch self {
        case .admin:
            Set(PermissionCatalogue.all.map(\.permission)).subtracting([.suiteInternal])
        case .editor:
            [.contentRead, .contentWrite, .contentPublish, .configRead]
        case .sales:
            [.ordersRead, .ordersWrite, .ordersRefund, .catalogWrite, .usersRead]
        case .analyst:
            [.statsRead]
        case .customer:
            []
        }
    }
}
