import Foundation

extension Setting {
    /// The `--data-dir` option of a service that keeps its database in `<data-dir>/<file>`.
    public static func dataDirectory(service name: String, defaultPath: String, file: String) -> Setting {
        .string(
            "data-dir", env: "\(ServiceHost.environmentPrefix(of: name))_DATA_DIR", default: defaultPath,
            help: "Directory holding \(file) and the service's other files; created when missing.")
    }
}

extension Settings {
    /// The `--data-dir` directory, created when missing, and the path of `file` inside it.
    public func preparedDataDirectory(file: String) throws -> (directory: URL, file: String) {
        let directory = URL(fileURLWithPath: string("data-dir"), isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return (directory, directory.appendingPathComponent(file).path)
    }
}

extension ServiceHost {
    /// The signer for the suite's internal key from `--internal-key`, or `nil` when none was given.
    /// (`run` has already refused a malformed key before any service is made.)
    public static func internalSigner(from settings: Settings) -> PrincipalSigner? {
        (try? parseInternalKey(settings.string("internal-key"))).flatMap { $0 }.map { PrincipalSigner(key: $0) }
    }
}
