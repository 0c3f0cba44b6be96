import StatsService
import Testing

/// The unique-visitor sketch: its error stays under 2% and merging counts the union.
@Suite(.timeLimit(.minutes(1)))
struct HyperLogLogTests {
    private func sketch(_ range: Range<Int>, prefix: String = "visitor-") -> HyperLogLog {
        var sketch = HyperLogLog()
        for index in range { sketch.insert("\(prefix)\(index)") }
        return sketch
    }

    private func relativeError(_ estimate: Int64, _ truth: Int) -> Double {
        abs(Double(estimate) - Double(truth)) / Double(truth)
    }

    @Test func smallCountsAreExactOrNearly() {
        #expect(HyperLogLog().estimate == 0)
        #expect(sketch(0..<1).estimate == 1)
        #expect(abs(sketch(0..<100).estimate - 100) <= 1)
        var repeated = sketch(0..<50)
        for index in 0..<50 { repeated.insert("visitor-\(index)") }
        #expect(abs(repeated.estimate - 50) <= 1)
    }

    @Test(arguments: [1_000, 10_000, 40_000, 80_000, 250_000])
    func errorStaysUnderTwoPercent(count: Int) {
        let estimate = sketch(0..<count).estimate
        #expect(relativeError(estimate, count) < 0.02, "estimated \(estimate) for \(count)")
    }

    @Test func mergedHourlySketchesCountTheUnion() {
        // 24 hourly sketches of 10,000 visitors each, half of them returning from the hour before.
        var merged = HyperLogLog()
        for hour in 0..<24 {
            merged.merge(sketch(hour * 5_000..<hour * 5_000 + 10_000))
        }
        let truth = 23 * 5_000 + 10_000
        #expect(relativeError(merged.estimate, truth) < 0.02, "estimated \(merged.estimate) for \(truth)")
    }

    @Test func storedFormsRoundTrip() throws {
        let sparse = sketch(0..<100)
        #expect(sparse.serialized.count == 1 + 3 * 100 || sparse.serialized.count < 1 + 3 * 100)
        #expect(try #require(HyperLogLog(serialized: sparse.serialized)) == sparse)
        let dense = sketch(0..<50_000)
        #expect(dense.serialized.count == 1 + HyperLogLog.registerCount)
        #expect(try #require(HyperLogLog(serialized: dense.serialized)) == dense)
        #expect(HyperLogLog(serialized: [9, 1, 2]) == nil)
        #expect(HyperLogLog(serialized: [1, 0xff, 0xff, 1]) == nil)
    }
}
