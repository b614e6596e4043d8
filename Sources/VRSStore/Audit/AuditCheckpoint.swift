import Crypto
import Foundation
import VRSCrypto

/// One chain's head as a checkpoint anchors it: the last event's sequence number and hash.
public struct AuditChainHead: Sendable, Codable, Equatable {
    /// The chain key: a municipality code, or "000000" (the operators' chain).
    public let chain: String
    /// The number of the chain's last event.
    public let seq: Int64
    /// The last event's hash, 64 lowercase hex digits.
    public let hash: String

    /// A head as read from `vrs.audit_chain_heads()`.
    public init(chain: String, seq: Int64, hash: String) {
        self.chain = chain
        self.seq = seq
        self.hash = hash
    }

    /// How a chain that now has `length` events (0 or nil: none) and holds `hashAtSeq` at this
    /// anchor's seq fails this anchor, or nil when it still holds it. One wording for the
    /// checkpointer and for `vrs audit verify`.
    func divergence(length: Int64?, hashAtSeq: String?) -> String? {
        if seq == 0 { return nil }
        guard let length, length > 0 else { return "missing (checkpoint seq \(seq))" }
        if length < seq { return "shorter than checkpoint (seq \(seq))" }
        return hashAtSeq == hash ? nil : "differs from checkpoint at seq \(seq)"
    }

    /// Why this head cannot be part of a checkpoint, if it cannot.
    var defect: String? {
        if !AuditCheckpoint.isDigits(chain, count: 6) { return "chain \(chain.debugDescription) is not six digits" }
        if seq < 0 { return "chain \(chain): negative seq" }
        if !AuditCheckpoint.isHex(hash, count: 64) { return "chain \(chain): hash is not 64 lowercase hex digits" }
        return nil
    }
}

/// One line of the checkpoint file: the heads that changed since the line before, signed, and
/// linked to the line before by its SHA-256.
public struct AuditCheckpoint: Sendable, Codable, Equatable {
    /// The line format written by this build.
    public static let currentVersion = 1

    /// The line format.
    public let version: Int
    /// When the heads were read, ISO 8601 in UTC with milliseconds.
    public let takenAt: String
    /// The id of the signing key (`AuditCheckpointSigner.keyID`).
    public let keyId: String
    /// SHA-256 (hex) of the previous line's bytes, without its newline; nil on the first line.
    public let previous: String?
    /// The heads that changed since the previous line (all of them on the first).
    public let heads: [AuditChainHead]
    /// Base64 Ed25519 signature of `signedContent`.
    public let signature: String

    /// Signs a new line.
    public init(takenAt: Date, previous: String?, heads: [AuditChainHead], signer: AuditCheckpointSigner) throws {
        let time = Self.timestamp(takenAt)
        let content = Self.signedContent(version: Self.currentVersion, takenAt: time, keyId: signer.keyID, previous: previous, heads: heads)
        version = Self.currentVersion
        self.takenAt = time
        keyId = signer.keyID
        self.previous = previous
        self.heads = heads
        signature = try signer.signature(for: content).base64EncodedString()
    }

    /// The bytes the signature covers: every field but the signature, one per line. Unambiguous
    /// because every field is checked (`defect`) to hold no space or newline; simple enough to be
    /// rebuilt by an outside verifier without a JSON writer.
    public var signedContent: Data {
        Self.signedContent(version: version, takenAt: takenAt, keyId: keyId, previous: previous, heads: heads)
    }

    private static func signedContent(version: Int, takenAt: String, keyId: String, previous: String?, heads: [AuditChainHead]) -> Data {
        var text = "vrs audit checkpoint\nversion \(version)\ntakenAt \(takenAt)\nkeyId \(keyId)\nprevious \(previous ?? "-")\n"
        for head in heads { text += "head \(head.chain) \(head.seq) \(head.hash)\n" }
        return Data(text.utf8)
    }

    /// Writes every field, `previous` as null on the first line (not left out).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(version, forKey: .version)
        try container.encode(takenAt, forKey: .takenAt)
        try container.encode(keyId, forKey: .keyId)
        try container.encode(previous, forKey: .previous)
        try container.encode(heads, forKey: .heads)
        try container.encode(signature, forKey: .signature)
    }

    /// Why this line is malformed, if it is (the signature is checked separately).
    var defect: String? {
        if version != Self.currentVersion { return "unknown version \(version)" }
        if (try? Self.iso8601.parse(takenAt)) == nil || takenAt.contains(where: \.isWhitespace) { return "takenAt is not an ISO 8601 time" }
        if !Self.isHex(keyId, count: 16) { return "keyId is not 16 hex digits" }
        if let previous, !Self.isHex(previous, count: 64) { return "previous is not 64 hex digits" }
        if Set(heads.map(\.chain)).count != heads.count { return "a chain appears twice" }
        return heads.lazy.compactMap(\.defect).first
    }

    /// The latest head of every chain: the last line that names it wins.
    public static func fold(_ lines: [AuditCheckpoint]) -> [String: AuditChainHead] {
        var latest: [String: AuditChainHead] = [:]
        for line in lines { for head in line.heads { latest[head.chain] = head } }
        return latest
    }

    static func timestamp(_ date: Date) -> String { iso8601.format(date) }

    private static let iso8601 = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: TimeZone(identifier: "UTC")!)

    static func isDigits(_ text: String, count: Int) -> Bool {
        text.utf8.count == count && text.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    static func isHex(_ text: String, count: Int) -> Bool {
        text.utf8.count == count && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }
}

/// Why the checkpoint file cannot be read or written.
public enum AuditCheckpointError: Error, Equatable, CustomStringConvertible {
    /// A line that does not parse, is not signed by a known key, or does not link to the line before.
    case badLine(path: String, line: Int, reason: String)
    /// The file or its directory could not be used.
    case unusable(path: String, reason: String)

    /// The message for the operator, naming the file and the line.
    public var description: String {
        switch self {
        case .badLine(let path, let line, let reason): "checkpoint file \(path), line \(line): \(reason)"
        case .unusable(let path, let reason): "checkpoint file \(path): \(reason)"
        }
    }
}
