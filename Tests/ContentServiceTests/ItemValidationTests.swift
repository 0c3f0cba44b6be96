import BackofficeAPI
import Testing

@testable import ContentService

/// Slugs, locales and the field rules, as pure functions.
@Suite(.timeLimit(.minutes(1)))
struct ItemValidationTests {
    @Test(arguments: [
        ("Hello World", "hello-world"), ("  Crème brûlée!  ", "creme-brulee"), ("C'est l'été", "c-est-l-ete"),
        ("2026: a year", "2026-a-year"), ("!!!", ""), ("Ünïcödé—dash", "unicode-dash"),
    ])
    func slugsDerivedFromTitles(title: String, slug: String) {
        #expect(ItemValidation.slug(fromTitle: title) == slug)
    }

    @Test func slugRules() {
        for good in ["a", "about-us", "2026", "a-b-c"] { #expect(ItemValidation.isValidSlug(good), "\(good)") }
        for bad in ["", "-a", "a-", "a--b", "A", "a b", "a_b", "é", String(repeating: "a", count: 121)] {
            #expect(!ItemValidation.isValidSlug(bad), "\(bad)")
        }
    }

    @Test func localeRules() {
        for good in ["en", "en-GB", "pt-BR", "es-419", "zh-Hant-TW", "sr-Latn", "ast"] {
            #expect(ItemValidation.isValidLocale(good), "\(good)")
        }
        for bad in ["", "e", "EN", "en-gb", "en_GB", "english", "en-GB-x", "zh-hant-TW", "en-"] {
            #expect(!ItemValidation.isValidLocale(bad), "\(bad)")
        }
    }

    @Test func everyBadFieldIsNamedAtOnce() {
        var fields = Content.ItemFields.make(title: "", slug: "Bad Slug", locale: "xx_YY", body: String(repeating: "x", count: 11))
        fields.tags = ["ok", "with,comma"]
        let violations = ItemValidation(maxBodyBytes: 10).violations(of: fields, slugMayBeDerived: true)
        #expect(violations.map(\.field) == ["fields.title", "fields.slug", "fields.locale", "fields.body", "fields.tags[1]"])
    }
}
