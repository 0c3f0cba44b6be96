import Crypto
import Glibc
import RPC

/// The temporary file of one upload in progress: bytes are appended and hashed as they arrive,
/// `finish` makes them durable, `discard` removes whatever is left. Owned by one call.
final class TemporaryUpload {
    /// Where the bytes go until the upload succeeds.
    let path: String
    private let maxSize: Int
    private var descriptor: Int32
    private let digest = SHA256Digest()
    private(set) var size = 0

    /// Creates a new, empty temporary file in `directory`.
    init(directory: String, maxSize: Int) throws {
        path = directory + "/" + ContentID.hex(SecureRandom.bytes(16)) + ".part"
        self.maxSize = maxSize
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw RPCError(.internalError, "cannot create an upload file: \(String(cString: strerror(errno)))")
        }
    }

    /// Appends `bytes`; refuses to grow past the maximum.
    func append(_ bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { return }
        guard size + bytes.count <= maxSize else {
            throw RPCError.invalidArgument([
                FieldViolation(field: "chunk", description: "the file is larger than the maximum of \(maxSize) bytes")
            ])
        }
        digest.update(bytes)
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw RPCError(.internalError, "cannot write an upload file: \(String(cString: strerror(errno)))")
                }
                offset += written
            }
        }
        size += bytes.count
    }

    /// Flushes the file to disk and closes it; returns its SHA-256 (hex) and size.
    func finish() throws -> (sha256: String, size: Int) {
        guard fsync(descriptor) == 0 else {
            throw RPCError(.internalError, "cannot sync an upload file: \(String(cString: strerror(errno)))")
        }
        close(descriptor)
        descriptor = -1
        return (digest.finalize(), size)
    }

    /// Closes and deletes the temporary file if it is still there.
    func discard() {
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
        unlink(path)
    }

    /// Makes a rename inside `directory` durable.
    static func syncDirectory(_ directory: String) {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }
}
