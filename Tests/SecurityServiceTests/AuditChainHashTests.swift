import SecurityService
import Testing

/// The canonical encoding behind the chain's hashes: length-prefixed, so moving bytes from one
/// field to the next changes the hash.
@Suite(.timeLimit(.minutes(1)))
struct AuditChainHashTests {
    @Test func movingBytesBetweenFieldsChangesTheHash() {
        let a = AuditRecord(actor: "ab", actorKind: "c", method: "m", outcome: "OK")
        let b = AuditRecord(actor: "a", actorKind: "bc", method: "m", outcome: "OK")
        let hashA = AuditChainHash.hash(sequence: 1, id: "x", record: a, previousHash: AuditChainHash.genesis)
        let hashB = AuditChainHash.hash(sequence: 1, id: "x", record: b, previousHash: AuditChainHash.genesis)
        #expect(hashA != hashB)

        let keyValue = AuditRecord(method: "m", outcome: "OK", details: ["ab": "c"])
        let keyValueMoved = AuditRecord(method: "m", outcome: "OK", details: ["a": "bc"])
        #expect(
            AuditChainHash.encoding(sequence: 1, id: "x", record: keyValue, previousHash: AuditChainHash.genesis)
                != AuditChainHash.encoding(sequence: 1, id: "x", record: keyValueMoved, previousHash: AuditChainHash.genesis))
    }

    @Test func theHashCoversSequencePreviousHashAndDetailsButNotTheirOrder() {
        let record = AuditRecord(method: "m", outcome: "OK", details: ["b": "2", "a": "1", "é": "3"])
        let base = AuditChainHash.hash(sequence: 1, id: "x", record: record, previousHash: AuditChainHash.genesis)
        #expect(base.count == AuditChainHash.byteCount)
        #expect(base == AuditChainHash.hash(sequence: 1, id: "x", record: record, previousHash: AuditChainHash.genesis))
        #expect(base != AuditChainHash.hash(sequence: 2, id: "x", record: record, previousHash: AuditChainHash.genesis))
        var otherPrevious = AuditChainHash.genesis
        otherPrevious[31] = 1
        #expect(base != AuditChainHash.hash(sequence: 1, id: "x", record: record, previousHash: otherPrevious))
        var reordered = AuditRecord(method: "m", outcome: "OK")
        reordered.details["é"] = "3"
        reordered.details["a"] = "1"
        reordered.details["b"] = "2"
        #expect(base == AuditChainHash.hash(sequence: 1, id: "x", record: reordered, previousHash: AuditChainHash.genesis))
        #expect(AuditChainHash.hex([0x00, 0xAB, 0x7F]) == "00ab7f")
    }
}
