import RPC
import Testing

@testable import SecurityService

@Suite("PasswordPolicy", .timeLimit(.minutes(1)))
struct PasswordPolicyTests {
    let policy = PasswordPolicy()

    @Test("length counts characters: 12 to 128 pass, 11 and 129 fail")
    func lengthBounds() {
        #expect(policy.violations(of: "vx7#Lq9!mR2z").isEmpty)
        #expect(policy.violations(of: String(repeating: "Zq8!", count: 32)).isEmpty)
        let short = policy.violations(of: "vx7#Lq9!mR2")
        #expect(short == [FieldViolation(field: "password", description: "must be at least 12 characters long")])
        let long = policy.violations(of: String(repeating: "Zq8!", count: 32) + "x")
        #expect(long == [FieldViolation(field: "password", description: "must be at most 128 characters long")])
    }

    @Test("multi-byte characters count once each")
    func unicodeLength() {
        // 12 decomposed é's are 36 bytes but 12 characters; 11 emoji are 44 bytes but 11 characters.
        #expect(policy.violations(of: String(repeating: "e\u{301}", count: 12)).isEmpty)
        #expect(policy.violations(of: "日本語のパスワードです").count == 1)  // 11 characters
        #expect(policy.violations(of: "日本語のパスワードです!").isEmpty)
        #expect(policy.violations(of: String(repeating: "🔐", count: 11)).count == 1)
        #expect(policy.violations(of: String(repeating: "🔐", count: 128)).isEmpty)
    }

    @Test("the bundled list refuses common passwords whatever their case")
    func commonPasswords() {
        #expect(policy.commonPasswordCount >= 2000)
        for password in ["password1234", "qwertyuiop123", "PassWord1234", "QWERTYUIOP123", "1qaz2wsx3edc", "iloveyou1234"] {
            #expect(policy.isCommon(password), "\(password)")
            #expect(
                policy.violations(of: password).map(\.description) == [
                    "is too common: it appears in lists of frequently used passwords"
                ], "\(password)")
        }
        #expect(policy.isCommon("123456") && policy.isCommon("Dragon") && policy.isCommon("letmein"))
        #expect(!policy.isCommon("vx7#Lq9!mR2z"))
        // A short common password breaks two rules.
        #expect(policy.violations(of: "letmein").count == 2)
    }

    @Test("additional common passwords are refused too")
    func additionalList() {
        let custom = PasswordPolicy(additionalCommonPasswords: ["BackOfficeRocks!"])
        #expect(custom.isCommon("backofficerocks!"))
        #expect(!policy.isCommon("backofficerocks!"))
    }

    @Test("a password containing the username is refused, ignoring case; short usernames are not checked")
    func username() {
        #expect(
            policy.violations(of: "my-ALICE-secret-99", username: "alice") == [
                FieldViolation(field: "password", description: "must not contain the username")
            ])
        #expect(policy.violations(of: "my-alice-secret-99", username: " Alice ").count == 1)
        #expect(policy.violations(of: "always-calm-tiger-7", username: "al").isEmpty)
        #expect(policy.violations(of: "always-calm-tiger-7", username: "bob").isEmpty)
        #expect(policy.violations(of: "always-calm-tiger-7", username: nil).isEmpty)
    }

    @Test("a password containing the email's local part is refused; the domain is not checked")
    func email() {
        let expected = [FieldViolation(field: "password", description: "must not contain the email address's name part")]
        #expect(policy.violations(of: "BOB.SMITH-is-great", email: "bob.smith@example.com") == expected)
        #expect(policy.violations(of: "example.com-rocks!!", email: "bob.smith@example.com").isEmpty)
        #expect(policy.violations(of: "always-calm-tiger-7", email: "al@example.com").isEmpty)
        #expect(PasswordPolicy.localPart("a@b@c.com") == "a@b")
        #expect(PasswordPolicy.localPart("no-at-sign") == "no-at-sign")
    }

    @Test("every broken rule is reported, without echoing the password")
    func allViolations() {
        let password = "Monkey"
        let violations = policy.violations(of: password, username: "monkey", email: "monkey@example.com")
        #expect(violations.count == 4)  // too short, common, username, email
        #expect(violations.allSatisfy { $0.field == "password" && !$0.description.contains(password) })
    }

    @Test("validate throws INVALID_ARGUMENT with the violations under the given field")
    func validate() throws {
        try policy.validate("vx7#Lq9!mR2z", username: "carol", email: "carol@example.com")
        let error = #expect(throws: RPCError.self) {
            try policy.validate("short", username: "carol", field: "new_password")
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.fieldViolations.map(\.field) == ["new_password"])
        #expect(error?.message.contains("short") == false)
    }
}
