import Foundation
import Logging
import PostgresNIO
import VRSCrypto

/// What one checkpoint did.
public struct AuditCheckpointResult: Sendable {
    /// The line appended; nil when no chain had moved.
    public let written: AuditCheckpoint?
    /// Chains that no longer hold their checkpointed head (rewritten, truncated, or gone), with
    /// the reason; they are not re-anchored, so `vrs audit verify` keeps failing on them.
    public let diverged: [String: String]
    /// How many lines the file has now.
    public let lines: Int
}

extension AuditLog {
    /// Reads every chain head as the operator and appends a signed line with the heads that moved
    /// since the file's latest. A head is re-anchored only if its chain still holds the previous
    /// checkpointed head (same hash at that seq); otherwise it is reported as diverged. The first
    /// line is written even with no chain, to start the file.
    public static func checkpoint(
        database: Database, file: AuditCheckpointFile, signer: AuditCheckpointSigner, logger: Logger
    ) async throws -> AuditCheckpointResult {
        let (written, extra) = try await file.append(signer: signer) { lines in
            let latest = AuditCheckpoint.fold(lines)
            let (heads, held) = try await database.transaction(as: .operator) { connection in
                let heads = try await chainHeads(on: connection, logger: logger)
                let moved = heads.filter { head in latest[head.chain].map { $0 != head } ?? false }
                return (heads, try await hashes(at: moved.compactMap { latest[$0.chain] }, on: connection, logger: logger))
            }
            let current = Dictionary(uniqueKeysWithValues: heads.map { ($0.chain, $0) })
            var diverged: [String: String] = [:]
            for (chain, anchored) in latest {
                let head = current[chain]
                // An unmoved head was not looked up again: it holds its anchor by definition.
                let hash = head == anchored ? anchored.hash : held[chain]
                if let problem = anchored.divergence(length: head?.seq, hashAtSeq: hash) { diverged[chain] = problem }
            }
            let record = heads.filter { latest[$0.chain] != $0 && diverged[$0.chain] == nil }
            return (heads: record.isEmpty && !lines.isEmpty ? nil : record, extra: (diverged, lines.count))
        }
        for (chain, reason) in extra.0.sorted(by: { $0.key < $1.key }) {
            logger.error("audit chain diverged from its checkpoint; not re-anchored", metadata: ["chain": "\(chain)", "problem": "\(reason)"])
        }
        return AuditCheckpointResult(written: written, diverged: extra.0, lines: extra.1 + (written == nil ? 0 : 1))
    }

    /// Every chain's head, through the operator's `vrs.audit_chain_heads()`.
    static func chainHeads(on connection: PostgresConnection, logger: Logger) async throws -> [AuditChainHead] {
        var heads: [AuditChainHead] = []
        let rows = try await connection.query(
            "SELECT municipality_code::text, last_seq, encode(last_hash, 'hex') FROM vrs.audit_chain_heads()", logger: logger)
        for try await (chain, seq, hash) in rows.decode((String, Int64, String).self) {
            heads.append(AuditChainHead(chain: chain, seq: seq, hash: hash))
        }
        return heads
    }

    /// The hash each chain now holds at the seq of `anchors` (chains without that event are absent).
    private static func hashes(at anchors: [AuditChainHead], on connection: PostgresConnection, logger: Logger) async throws -> [String: String] {
        guard !anchors.isEmpty else { return [:] }
        var result: [String: String] = [:]
        let rows = try await connection.query(
            """
            SELECT municipality_code::text, encode(hash, 'hex')
            FROM vrs.audit_chain_hashes_at(\(anchors.map(\.chain))::char(6)[], \(anchors.map(\.seq))::bigint[])
            """,
            logger: logger)
        for try await (chain, hash) in rows.decode((String, String).self) { result[chain] = hash }
        return result
    }
}
