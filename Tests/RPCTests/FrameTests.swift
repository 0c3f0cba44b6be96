import Testing

@testable import RPC

/// The frame layer on its own: header layout, incremental decoding, the size check, the preface.
struct FrameTests {
    @Test func headerLayoutMatchesTheDocument() {
        var bytes: [UInt8] = []
        bytes.appendFrame(type: .message, flags: FrameFlags.endStream, callID: 0x0102_0304) { $0 += [0xAA, 0xBB] }
        #expect(bytes == [0, 0, 0, 2, 0x02, 0x01, 0x01, 0x02, 0x03, 0x04, 0xAA, 0xBB])
        let header = bytes.withUnsafeBytes { FrameHeader(reading: $0) }
        #expect(header == FrameHeader(length: 2, type: 2, flags: 1, callID: 0x0102_0304))
    }

    @Test func decoderWaitsForWholeFramesAndParsesSeveralAtOnce() {
        var stream: [UInt8] = []
        stream.appendFrame(type: .call, callID: 1) { $0 += [1, 2, 3] }
        stream.appendFrame(type: .halfClose, callID: 1)
        stream.appendFrame(type: .message, callID: 1) { $0 += Array(repeating: 9, count: 100) }
        var buffer = InboundBuffer(capacity: 16)
        var parsed: [(UInt8, Int)] = []
        // Feed one byte at a time: partial headers and payloads must wait.
        for byte in stream {
            buffer.reserveFree(1)
            append(byte, to: &buffer)
            while case .frame(let header, let payload) = buffer.nextFrame(maxPayload: 1000) {
                parsed.append((header.type, payload.count))
                buffer.consume(FrameHeader.size + Int(header.length))
            }
        }
        #expect(parsed.map(\.0) == [1, 3, 2])
        #expect(parsed.map(\.1) == [3, 0, 100])
        #expect(buffer.readableCount == 0)
    }

    @Test func oversizedFrameIsRefusedOnItsHeaderAlone() {
        var buffer = InboundBuffer(capacity: 64)
        let header: [UInt8] = [0x40, 0, 0, 0, 0x02, 0, 0, 0, 0, 1]  // announces 1 GiB
        for byte in header { append(byte, to: &buffer) }
        guard case .tooLarge(let parsed) = buffer.nextFrame(maxPayload: 4 << 20) else {
            Issue.record("an oversized frame was not refused")
            return
        }
        #expect(parsed.length == 1 << 30)
        #expect(buffer.allocatedCapacity == 64)
    }

    @Test(arguments: [
        ("BORPC\r\n\u{1}", Preface.Verdict.valid),
        ("BORPC\r\n\u{2}", .unsupportedVersion(2)),
        ("GET / HT", .http),
        ("PRI * HT", .http),
        ("\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}", .garbage),
    ])
    func prefaceVerdicts(text: String, verdict: Preface.Verdict) {
        let bytes = Array(text.utf8)
        #expect(bytes.withUnsafeBytes { Preface.check($0) } == verdict)
    }

    private func append(_ byte: UInt8, to buffer: inout InboundBuffer) {
        // Simulates a read of one byte through a pipe.
        var fds: [Int32] = [0, 0]
        pipe(&fds)
        var value = byte
        _ = write(fds[1], &value, 1)
        buffer.reserveFree(1)
        _ = try? buffer.read(from: fds[0])
        close(fds[0])
        close(fds[1])
    }
}

import Glibc
