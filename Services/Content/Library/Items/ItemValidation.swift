import BackofficeAPI
import Foundation
import RPC

/// The rules an item's fields obey, shared by create, update and revert. Each check returns field
/// violations named `fields.<field>` so that one answer lists every problem.
public struct ItemValidation: Sendable {
    /// Most bytes of UTF-8 an item's body may hold (`--max-body-size`).
    public var maxBodyBytes: Int
    /// Longest title, summary, SEO field, in characters.
    public static let maxTitleLength = 300
    static let maxSummaryLength = 2000
    static let maxSEOLength = 500
    static let maxSlugLength = 120
    static let maxTags = 50
    static let maxTagLength = 60

    /// Rules with a body limit of `maxBodyBytes`.
    public init(maxBodyBytes: Int) {
        self.maxBodyBytes = maxBodyBytes
    }

    /// Every violation of `fields`; an empty slug is allowed when `slugMayBeDerived`.
    func violations(of fields: Content.ItemFields, slugMayBeDerived: Bool) -> [FieldViolation] {
        var violations: [FieldViolation] = []
        func check(_ ok: Bool, _ field: String, _ description: String) {
            if !ok { violations.append(FieldViolation(field: "fields.\(field)", description: description)) }
        }
        let title = fields.title.trimmingCharacters(in: .whitespacesAndNewlines)
        check(!title.isEmpty, "title", "must not be empty")
        check(fields.title.count <= Self.maxTitleLength, "title", "must be at most \(Self.maxTitleLength) characters")
        if fields.slug.isEmpty {
            check(slugMayBeDerived, "slug", "must not be empty")
        } else {
            check(Self.isValidSlug(fields.slug), "slug", Self.slugRule)
        }
        check(Self.isValidLocale(fields.locale), "locale", Self.localeRule)
        check(fields.body.utf8.count <= maxBodyBytes, "body", "must be at most \(maxBodyBytes) bytes")
        check(fields.summary.count <= Self.maxSummaryLength, "summary", "must be at most \(Self.maxSummaryLength) characters")
        check(fields.seoTitle.count <= Self.maxSEOLength, "seo_title", "must be at most \(Self.maxSEOLength) characters")
        check(
            fields.seoDescription.count <= Self.maxSEOLength, "seo_description",
            "must be at most \(Self.maxSEOLength) characters")
        check(fields.tags.count <= Self.maxTags, "tags", "must hold at most \(Self.maxTags) tags")
        for (index, tag) in fields.tags.enumerated() {
            check(Self.isValidTag(tag), "tags[\(index)]", "must be 1 to \(Self.maxTagLength) characters without commas")
        }
        return violations
    }

    static let slugRule = "must be 1 to \(maxSlugLength) of a-z, 0-9 and single hyphens, not starting or ending with one"
    static let localeRule = "must look like en, en-GB, pt-BR or zh-Hant-TW (language, optional script and region)"

    /// `a-z`, `0-9` and single inner hyphens.
    static func isValidSlug(_ slug: String) -> Bool {
        let bytes = Array(slug.utf8)
        guard !bytes.isEmpty, bytes.count <= maxSlugLength, bytes.first != UInt8(ascii: "-"),
            bytes.last != UInt8(ascii: "-")
        else { return false }
        var previousWasHyphen = false
        for byte in bytes {
            let isHyphen = byte == UInt8(ascii: "-")
            let isAllowed = isHyphen || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
            if !isAllowed || (isHyphen && previousWasHyphen) { return false }
            previousWasHyphen = isHyphen
        }
        return true
    }

    /// BCP-47-like: a 2–3 letter lower-case language, then optionally a 4-letter title-case script,
    /// then optionally a 2-letter upper-case or 3-digit region.
    static func isValidLocale(_ locale: String) -> Bool {
        var parts = locale.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard let language = parts.first, (2...3).contains(language.count),
            language.allSatisfy({ $0.isASCII && $0.isLowercase })
        else { return false }
        parts.removeFirst()
        if let script = parts.first, script.count == 4 {
            guard script.first!.isUppercase, script.allSatisfy({ $0.isASCII && $0.isLetter }),
                script.dropFirst().allSatisfy(\.isLowercase)
            else { return false }
            parts.removeFirst()
        }
        if let region = parts.first {
            let isLetters = region.count == 2 && region.allSatisfy { $0.isASCII && $0.isUppercase }
            let isDigits = region.count == 3 && region.allSatisfy { $0.isASCII && $0.isNumber }
            guard isLetters || isDigits else { return false }
            parts.removeFirst()
        }
        return parts.isEmpty
    }

    static func isValidTag(_ tag: String) -> Bool {
        !tag.trimmingCharacters(in: .whitespaces).isEmpty && tag.count <= maxTagLength && !tag.contains(",")
    }

    /// The slug a title gives: lower case, accents removed, every other run of characters a hyphen;
    /// empty when the title has no letter or digit.
    public static func slug(fromTitle title: String) -> String {
        let folded = title.folding(options: [.diacriticInsensitive, .caseInsensitive, .widthInsensitive], locale: nil)
            .lowercased()
        var slug = ""
        var pendingHyphen = false
        for scalar in folded.unicodeScalars {
            let isAllowed = (scalar >= "a" && scalar <= "z") || (scalar >= "0" && scalar <= "9")
            if isAllowed {
                if pendingHyphen && !slug.isEmpty { slug.append("-") }
                pendingHyphen = false
                slug.unicodeScalars.append(scalar)
                if slug.utf8.count >= maxSlugLength - 4 { break }
            } else {
                pendingHyphen = true
            }
        }
        return slug
    }
}
