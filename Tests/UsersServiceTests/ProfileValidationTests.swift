import RPC
import Testing
import UsersService

/// The field rules, one by one, with the names the violations carry.
@Suite(.timeLimit(.minutes(1)))
struct ProfileValidationTests {
    @Test(arguments: ["abc", "a.b-c_d", "user123", String(repeating: "z", count: 32)])
    func acceptableUsernames(_ username: String) {
        #expect(ProfileValidation.usernameViolations(username).isEmpty)
    }

    @Test func usernamesOutsideTheCharsetOrLengthAreRefused() {
        #expect(ProfileValidation.usernameViolations("ab").map(\.description) == ["must be 3 to 32 characters long"])
        #expect(ProfileValidation.usernameViolations(String(repeating: "a", count: 33)).count == 1)
        #expect(
            ProfileValidation.usernameViolations("Alice").map(\.description) == [
                "may contain only lowercase letters a-z, digits and . _ -"
            ])
        #expect(ProfileValidation.usernameViolations("a b").count == 1)
        #expect(ProfileValidation.usernameViolations("a@b").count == 1)
        // Both rules at once.
        #expect(ProfileValidation.usernameViolations("A").count == 2)
    }

    @Test(arguments: ["a@example.com", "First.Last+tag@sub.example.co.uk", "admin@localhost", "x@xn--bcher-kva.example"])
    func acceptableEmails(_ email: String) {
        #expect(ProfileValidation.emailViolations(email).isEmpty)
    }

    @Test(arguments: [
        "", "plain", "@example.com", "a@", "a@@example.com", "a@b@c", "a b@example.com", ".a@example.com",
        "a..b@example.com", "a@example..com", "a@-example.com", "a@exa_mple.com", "é@example.com",
    ])
    func unacceptableEmails(_ email: String) {
        let violations = ProfileValidation.emailViolations(email)
        #expect(violations.map(\.field) == ["email"])
    }

    @Test func overlongEmailsAreRefusedByLength() {
        let email = String(repeating: "a", count: 64) + "@" + String(repeating: "b", count: 250) + ".com"
        #expect(ProfileValidation.emailViolations(email).map(\.description) == ["must be at most 254 bytes long"])
        let local = String(repeating: "a", count: 65) + "@example.com"
        #expect(ProfileValidation.emailViolations(local).map(\.description) == ["is not a valid email address"])
    }

    @Test func everyBadFieldOfAProfileIsNamed() {
        var address = PostalAddress(label: "home", lines: ["1", "2", "3", "4", "5"], city: "Paris", postalCode: "75002", country: "fr")
        address.region = String(repeating: "r", count: 201)
        let profile = Profile(
            username: "ok_name", email: "ok@example.com", displayName: String(repeating: "d", count: 101),
            phone: "call me", locale: "fr_FR", addresses: [PostalAddress(), address])
        let fields = ProfileValidation.violations(of: profile).map(\.field)
        #expect(
            fields == [
                "display_name", "phone", "locale", "addresses[1].lines", "addresses[1].region", "addresses[1].country",
            ])
    }

    @Test func onlyTheNamedFieldsAreChecked() {
        let profile = Profile(username: "", email: "", phone: "+33 (0)1 23.45-67")
        #expect(ProfileValidation.violations(of: profile, fields: [.phone, .locale, .addresses]).isEmpty)
        #expect(ProfileValidation.violations(of: profile, fields: [.username]).map(\.field) == ["username"])
    }

    @Test func controlCharactersAndTooManyAddressesAreRefused() {
        #expect(
            ProfileValidation.lengthViolations("a\u{7}b", field: "display_name", maximum: 10).map(\.description) == [
                "must not contain control characters"
            ])
        let many = Array(repeating: PostalAddress(), count: 11)
        #expect(ProfileValidation.addressViolations(many).map(\.field) == ["addresses"])
        #expect(ProfileValidation.passwordViolations("").map(\.description) == ["is required"])
    }
}
