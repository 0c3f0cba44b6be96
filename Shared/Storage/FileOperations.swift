#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The few POSIX file operations backup and restore need: durable copy, atomic rename,
/// removal and directory sync. Failures become `StorageError`s carrying `errno`'s text.
enum FileOperations {
    /// True when something exists at `path`.
    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// Removes the file at `path`; a missing file is not an error.
    static func removeIfPresent(_ path: String) throws {
        if unlink(path) != 0 && errno != ENOENT {
            throw StorageError.fileSystem("unlink", path: path, errno: errno)
        }
    }

    /// Removes a database file's `-wal`, `-shm` and `-journal` companions, if present.
    static func removeCompanions(of databasePath: String) throws {
        for suffix in ["-wal", "-shm", "-journal"] {
            try removeIfPresent(databasePath + suffix)
        }
    }

    /// Atomically replaces `destination` with `source` (both in the same file system).
    static func rename(_ source: String, to destination: String) throws {
        if posixRename(source, destination) != 0 {
            throw StorageError.fileSystem("rename to \(destination)", path: source, errno: errno)
        }
    }

    /// Copies `source` to `destination` (replacing it) with the source's permission bits and
    /// fsyncs the copy before returning.
    static func copy(_ source: String, to destination: String) throws {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw StorageError.fileSystem("open", path: source, errno: errno) }
        defer { close(input) }
        var status = stat()
        guard fstat(input, &status) == 0 else { throw StorageError.fileSystem("fstat", path: source, errno: errno) }
        let output = open(destination, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, status.st_mode & 0o777)
        guard output >= 0 else { throw StorageError.fileSystem("open", path: destination, errno: errno) }
        defer { close(output) }

        let bufferSize = 1 << 16
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let readCount = read(input, buffer, bufferSize)
            if readCount == 0 { break }
            if readCount < 0 {
                if errno == EINTR { continue }
                throw StorageError.fileSystem("read", path: source, errno: errno)
            }
            var written = 0
            while written < readCount {
                let count = write(output, buffer + written, readCount - written)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw StorageError.fileSystem("write", path: destination, errno: errno)
                }
                written += count
            }
        }
        guard fsync(output) == 0 else { throw StorageError.fileSystem("fsync", path: destination, errno: errno) }
    }

    /// Fsyncs the directory holding `path`, so a rename or unlink inside it is durable.
    static func syncDirectory(containing path: String) throws {
        let directory = directoryName(of: path)
        let descriptor = open(directory, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw StorageError.fileSystem("open", path: directory, errno: errno) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw StorageError.fileSystem("fsync", path: directory, errno: errno) }
    }

    /// The directory part of `path` ("." for a bare file name).
    static func directoryName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let directory = String(path[..<slash])
        return directory.isEmpty ? "/" : directory
    }
}

/// `rename(2)`, named apart from `FileOperations.rename` so the call is unambiguous.
private func posixRename(_ source: String, _ destination: String) -> Int32 {
    #if canImport(Glibc)
        Glibc.rename(source, destination)
    #else
        Darwin.rename(source, destination)
    #endif
}
