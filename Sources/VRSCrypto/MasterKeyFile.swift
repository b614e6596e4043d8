import Foundation

/// A master key file: base64 text, mode 0600, replaced atomically.
public struct MasterKeyFile: Sendable {
    /// Where the key lives.
    public let path: String

    /// Names the file; nothing is read yet.
    public init(path: String) { self.path = path }

    /// Whether the file exists.
    public var exists: Bool { FileManager.default.fileExists(atPath: path) }

    /// Reads the key, refusing a file that group or others may read.
    public func read() throws(KeyMaterialError) -> MasterKey {
        // FileManager rather than stat(2): a release build's member-import rules want stat's defining
        // module (CoreFoundation on Linux) named, and this says the same.
        let mode: Int
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o777
        } catch {
            throw .unreadable(path: path, reason: FileManager.default.fileExists(atPath: path) ? "not readable" : "no such file")
        }
        guard mode & 0o077 == 0 else { throw .tooOpen(path: path, mode: String(mode & 0o777, radix: 8)) }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw .unreadable(path: path, reason: "\(error)")
        }
        guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw .notBase64(source: path)
        }
        return try MasterKey(bytes: data)
    }

    /// Writes the key with mode 0600 through a temporary file and a rename, so a crash never leaves half a key.
    public func write(_ key: MasterKey) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw KeyMaterialError.unreadable(path: temporary, reason: String(cString: strerror(errno))) }
        let bytes = Array((key.base64EncodedString() + "\n").utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        fsync(fd)
        close(fd)
        guard written == bytes.count else { throw KeyMaterialError.unreadable(path: temporary, reason: "short write") }
        guard rename(temporary, path) == 0 else {
            throw KeyMaterialError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
    }

    /// Creates a new key file unless one exists; returns the key in the file.
    public func ensure() throws -> MasterKey {
        if exists { return try read() }
        let key = MasterKey.generate()
        try write(key)
        return key
    }
}
