import AccessControl
import Storage

/// Reads roles inside a transaction: built-in ones from `BuiltInRole`, custom ones from the
/// `roles` table (permissions stored as a sorted, space-separated list).
enum RoleDirectory {
    /// A role's permissions, or nil when no role has that name.
    static func permissions(ofRole name: String, in db: DatabaseConnection) throws -> Set<Permission>? {
        if let builtIn = BuiltInRole(rawValue: name) { return builtIn.permissions }
        guard let row = try db.queryOne("SELECT permissions FROM roles WHERE name = ?", [.text(name)]) else { return nil }
        return decode(try row.string("permissions"))
    }

    /// The union of the permissions of `roles`; unknown names grant nothing.
    static func permissions(ofRoles roles: [String], in db: DatabaseConnection) throws -> Set<Permission> {
        var permissions: Set<Permission> = []
        for role in roles {
            permissions.formUnion(try Self.permissions(ofRole: role, in: db) ?? [])
        }
        return permissions
    }

    /// Whether a role named `name` exists (built in or custom).
    static func exists(_ name: String, in db: DatabaseConnection) throws -> Bool {
        try permissions(ofRole: name, in: db) != nil
    }

    /// The roles of an account, sorted.
    static func roles(ofAccount userID: String, in db: DatabaseConnection) throws -> [String] {
        try db.query("SELECT role FROM account_roles WHERE user_id = ? ORDER BY role", [.text(userID)]).map {
            try $0.string("role")
        }
    }

    /// The roles of an API key, sorted.
    static func roles(ofApiKey keyID: String, in db: DatabaseConnection) throws -> [String] {
        try db.query("SELECT role FROM api_key_roles WHERE key_id = ? ORDER BY role", [.text(keyID)]).map {
            try $0.string("role")
        }
    }

    /// The stored form of a permission set.
    static func encode(_ permissions: Set<Permission>) -> String {
        permissions.map(\.rawValue).sorted().joined(separator: " ")
    }

    /// A permission set from its stored form.
    static func decode(_ text: String) -> Set<Permission> {
        Set(text.split(separator: " ").map { Permission(rawValue: String($0)) })
    }
}
