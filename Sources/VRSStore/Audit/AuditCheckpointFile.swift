import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import VRSCrypto

/// The append-only JSON Lines file of signed audit checkpoints, kept outside the database.
///
/// Writers (`vrs serve` and `vrs audit checkpoint`) take an exclusive `flock` for the whole
/// read-fold-append, so each line links to the true last line. The file is created with mode 0600;
/// its directory must exist.
public struct AuditCheckpointFile: Sendable {
    /// Where the file is.
    public let path: String

    /// The file at `path` (not opened until read or appended to).
    public init(path: String) { self.path = path }

    /// Whether the file exists.
    public var exists: Bool { FileManager.default.fileExists(atPath: path) }

    /// Every line, each checked: well-formed, signed by one of `keys`, linked to the line before.
    /// A missing file has no lines.
    public func read(keys: [AuditCheckpointKey]) throws(AuditCheckpointError) -> [AuditCheckpoint] {
        guard exists else { return [] }
        guard let data = FileManager.default.contents(atPath: path) else { throw .unusable(path: path, reason: "cannot be read") }
        return try Self.parse(data, path: path, keys: keys).lines
    }

    /// Under the file's exclusive lock: reads and checks every line, asks `decide` (given the lines)
    /// which heads to record, and appends them as one signed line unless `decide` returns nil.
    /// Returns the line written, if any, and what `decide` passed on.
    public func append<T>(
        signer: AuditCheckpointSigner, at date: @autoclosure () -> Date = Date(),
        _ decide: ([AuditCheckpoint]) async throws -> (heads: [AuditChainHead]?, extra: T)
    ) async throws -> (written: AuditCheckpoint?, extra: T) {
        let fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw AuditCheckpointError.unusable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        // Non-blocking attempts with a pause between: a blocking flock would hold a cooperative thread.
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                throw AuditCheckpointError.unusable(path: path, reason: "flock: \(String(cString: strerror(errno)))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let (lines, previous) = try Self.parse(try Self.readAll(fd, path: path), path: path, keys: [signer.verificationKey])
        let (heads, extra) = try await decide(lines)
        guard let heads else { return (nil, extra) }
        let line = try AuditCheckpoint(takenAt: date(), previous: previous, heads: heads, signer: signer)
        if let defect = line.defect { throw AuditCheckpointError.unusable(path: path, reason: "refusing to write a bad line: \(defect)") }
        var bytes = try Self.encode(line)
        bytes.append(0x0A)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            throw AuditCheckpointError.unusable(path: path, reason: "write failed: \(String(cString: strerror(errno)))")
        }
        return (line, extra)
    }

    /// Parses and checks lines: JSON, well-formed, signed by a known key, linked by `previous`.
    /// Also returns the SHA-256 of the last line's bytes, the `previous` of the next line.
    static func parse(_ data: Data, path: String, keys: [AuditCheckpointKey]) throws(AuditCheckpointError) -> (lines: [AuditCheckpoint], lastHash: String?) {
        guard !data.isEmpty else { return ([], nil) }
        guard data.last == 0x0A else {
            throw .badLine(path: path, line: data.split(separator: 0x0A, omittingEmptySubsequences: false).count, reason: "incomplete (no newline at the end)")
        }
        var lines: [AuditCheckpoint] = []
        var previousHash: String?
        for (index, bytes) in data.dropLast().split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            guard let line = try? JSONDecoder().decode(AuditCheckpoint.self, from: Data(bytes)) else {
                throw .badLine(path: path, line: number, reason: "not a checkpoint line")
            }
            if let defect = line.defect { throw .badLine(path: path, line: number, reason: defect) }
            guard let key = keys.first(where: { $0.id == line.keyId }) else {
                throw .badLine(path: path, line: number, reason: "signed by key \(line.keyId), which is not the loaded master key's (\(keys.map(\.id).joined(separator: ", ")))")
            }
            guard let signature = Data(base64Encoded: line.signature), key.isValidSignature(signature, for: line.signedContent) else {
                throw .badLine(path: path, line: number, reason: "bad signature")
            }
            guard line.previous == previousHash else {
                throw .badLine(path: path, line: number, reason: previousHash == nil ? "the first line must have previous null" : "does not link to line \(number - 1)")
            }
            lines.append(line)
            previousHash = lineHash(Data(bytes))
        }
        return (lines, previousHash)
    }

    static func encode(_ line: AuditCheckpoint) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(line)
    }

    static func lineHash(_ bytes: Data) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    private static func readAll(_ fd: Int32, path: String) throws(AuditCheckpointError) -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var offset: off_t = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if n < 0 { throw .unusable(path: path, reason: "read failed: \(String(cString: strerror(errno)))") }
            if n == 0 { return data }
            data.append(contentsOf: buffer[0..<n])
            offset += off_t(n)
        }
    }
}
