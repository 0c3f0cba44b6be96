#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Unbuffered writes to the standard file descriptors, safe from any thread: no C `FILE *`
/// globals, which strict concurrency rightly refuses.
public enum StandardStreams {
    /// Standard output's descriptor.
    public static let output: Int32 = 1
    /// Standard error's descriptor.
    public static let error: Int32 = 2

    /// Writes all of `text` to `descriptor`, retrying after interrupted and partial writes; gives
    /// up silently if the descriptor is closed or broken (there is nowhere to report it).
    public static func write(_ text: String, to descriptor: Int32) {
        var text = text
        text.withUTF8 { bytes in
            guard var pointer = bytes.baseAddress else { return }
            var remaining = bytes.count
            while remaining > 0 {
                #if canImport(Glibc)
                    let written = Glibc.write(descriptor, pointer, remaining)
                #else
                    let written = Darwin.write(descriptor, pointer, remaining)
                #endif
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                pointer += written
                remaining -= written
            }
        }
    }
}
