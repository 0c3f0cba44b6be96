import AccessControl
import BackofficeAPI
import RPC
import Testing

/// The policy denies by default, so every method of every service must have exactly one entry,
/// and every permission it names must be in the catalogue.
@Suite struct AccessPolicyTests {
    @Test func everyMethodOfEveryServiceHasExactlyOneEntry() {
        var counts: [String: Int] = [:]
        for entry in AccessPolicy.entries { counts[entry.method.fullName, default: 0] += 1 }
        var missing: [String] = []
        for service in ServiceCatalogue.all {
            for method in service.methods where counts[method.fullName] == nil {
                missing.append(method.fullName)
            }
        }
        #expect(missing.isEmpty, "methods without a rule (they cannot be called): \(missing)")
        let duplicated = counts.filter { $0.value > 1 }.keys.sorted()
        #expect(duplicated.isEmpty, "methods with more than one rule: \(duplicated)")
    }

    @Test func everyEntryNamesAServedMethod() {
        let known = Set(ServiceCatalogue.all.flatMap { $0.methods.map(\.fullName) })
        let strays = AccessPolicy.entries.map(\.method.fullName).filter { !known.contains($0) }
        #expect(strays.isEmpty, "entries for methods no service declares: \(strays)")
    }

    @Test func everyNamedPermissionIsInTheCatalogue() {
        for entry in AccessPolicy.entries {
            if case .permission(let permission) = entry.rule {
                #expect(PermissionCatalogue.contains(permission), "\(entry.method.fullName) names \(permission)")
            }
        }
    }

    @Test func unknownMethodsHaveNoEntry() {
        #expect(AccessPolicy.entry(for: "backoffice.echo.Echo/Nope") == nil)
        #expect(AccessPolicy.entry(for: "") == nil)
        #expect(AccessPolicy.entry(for: "backoffice.echo.Echo/Unary")?.rule == .authenticated)
    }

    @Test func builtInRolesGrantOnlyCataloguedPermissionsAndAdminAllButInternal() {
        for role in BuiltInRole.allCases {
            #expect(role.permissions.allSatisfy(PermissionCatalogue.contains), "\(role)")
        }
        #expect(!BuiltInRole.admin.permissions.contains(.suiteInternal))
        #expect(BuiltInRole.admin.permissions.count == PermissionCatalogue.all.count - 1)
        #expect(BuiltInRole.customer.permissions.isEmpty)
        #expect(BuiltInRole.editor.permissions.contains(.contentPublish))
        #expect(!BuiltInRole.analyst.permissions.contains(.ordersRefund))
        #expect(BuiltInRole.sales.permissions.contains(.ordersRefund))
    }
}
