import Logging
import NIOCore
import PostgresNIO

extension AuditLog {
    /// A chain's verdict: intact, or the first broken event, or how it fails its checkpoint.
    public struct ChainVerdict: Sendable {
        /// The chain key.
        public let chain: String
        /// How many events the database holds for it.
        public let events: Int
        /// The event (or checkpointed seq) where it breaks; nil when intact.
        public let brokenSeq: Int64?
        /// What is wrong, e.g. "hash mismatch" or "shorter than checkpoint (seq 9)".
        public let problem: String?
        /// Whether the checkpoint found the problem (the chain is consistent in itself).
        public let againstCheckpoint: Bool
    }

    /// Walks every chain (or one) recomputing hashes, over an administrative connection; with
    /// `checkpoint` (the folded heads of the checkpoint file), also requires each checkpointed chain
    /// to be present, at least as long, and to hold the checkpointed hash at the checkpointed seq.
    /// Chains that are only in the checkpoint (their partition and head gone) are verified too.
    public static func verify(
        chain only: String?, admin: PostgresClient, logger: Logger, checkpoint: [String: AuditChainHead]? = nil
    ) async throws -> [ChainVerdict] {
        var chains: [String] = []
        if let only { chains = [only] } else {
            for try await chain in try await admin.query("SELECT c::text FROM vrs.audit_chains() AS c ORDER BY 1", logger: logger).decode(String.self) {
                chains.append(chain)
            }
            chains = Array(Set(chains).union(checkpoint.map { Array($0.keys) } ?? [])).sorted()
        }
        var verdicts: [ChainVerdict] = []
        for chain in chains {
            let key = AuditChainKey(chain)
            var events = 0
            for try await n in try await admin.query(
                "SELECT count(*)::int FROM vrs.audit_event WHERE municipality_code = \(key)", logger: logger).decode(Int.self) { events = n }
            var broken: (Int64, String)?
            for try await (seq, problem) in try await admin.query(
                "SELECT seq, problem FROM vrs.verify_audit_chain(\(key))", logger: logger).decode((Int64, String).self) {
                broken = (seq, problem)
            }
            if let broken {
                verdicts.append(ChainVerdict(chain: chain, events: events, brokenSeq: broken.0, problem: broken.1, againstCheckpoint: false))
            } else if let anchored = checkpoint?[chain], let problem = try await compare(key, events: events, with: anchored, admin: admin, logger: logger) {
                verdicts.append(ChainVerdict(chain: chain, events: events, brokenSeq: anchored.seq, problem: problem, againstCheckpoint: true))
            } else {
                verdicts.append(ChainVerdict(chain: chain, events: events, brokenSeq: nil, problem: nil, againstCheckpoint: false))
            }
        }
        return verdicts
    }

    /// How a chain that is consistent in itself (seq 1…events, linked) fails its checkpointed head, if it does.
    private static func compare(
        _ key: AuditChainKey, events: Int, with anchored: AuditChainHead, admin: PostgresClient, logger: Logger
    ) async throws -> String? {
        var hash: String?
        if anchored.seq > 0 && Int64(events) >= anchored.seq {
            for try await h in try await admin.query(
                "SELECT encode(hash, 'hex') FROM vrs.audit_event WHERE municipality_code = \(key) AND seq = \(anchored.seq)",
                logger: logger).decode(String.self) { hash = h }
        }
        return anchored.divergence(length: Int64(events), hashAtSeq: hash)
    }
}

/// A chain key bound as `char(6)`, like `MunicipalityCode`, so that statements on the audit
/// partitions prune to one; unlike it, it also takes the central chain "000000".
struct AuditChainKey: PostgresEncodable, PostgresNonThrowingEncodable {
    let rawValue: String
    init(_ rawValue: String) { self.rawValue = rawValue }

    static var psqlType: PostgresDataType { .bpchar }
    static var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        byteBuffer.writeString(rawValue)
    }
}
