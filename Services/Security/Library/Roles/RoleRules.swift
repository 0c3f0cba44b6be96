import AccessControl
import RPC

/// The forms role names and role contents must have.
enum RoleRules {
    /// The longest role name.
    static let maxNameLength = 40
    /// The longest role description.
    static let maxDescriptionLength = 500

    /// Adds a violation of `field` unless `name` is 2 to 40 of `a-z 0-9 - _`, starting with a letter.
    static func checkName(_ name: String, field: String, into checks: inout FieldChecks) {
        let bytes = Array(name.utf8)
        let valid =
            (2...maxNameLength).contains(bytes.count)
            && bytes.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2d || $0 == 0x5f }
            && (0x61...0x7a).contains(bytes[0])
        if !valid {
            checks.add(field, "must be 2 to \(maxNameLength) characters of a-z, 0-9, - and _, starting with a letter")
        }
    }

    /// The permissions named in `names`, adding a violation per name that is not in the
    /// catalogue or is `suite.internal` (which no role may grant).
    static func permissions(_ names: [String], field: String, into checks: inout FieldChecks) -> Set<Permission> {
        var permissions: Set<Permission> = []
        for (index, name) in names.enumerated() {
            let permission = Permission(rawValue: name)
            if !PermissionCatalogue.contains(permission) {
                checks.add("\(field)[\(index)]", "is not a permission of the catalogue")
            } else if permission == .suiteInternal {
                checks.add("\(field)[\(index)]", "is reserved for the suite's own services")
            } else {
                permissions.insert(permission)
            }
        }
        return permissions
    }
}
