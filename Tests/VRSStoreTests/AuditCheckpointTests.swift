import Foundation
import Logging
import PostgresNIO
import Testing
import VRSCrypto
import VRSDomain
import VRSStore
import VRSTestSupport

/// The audit chains anchored outside the database: what a superuser can do to the chains without
/// breaking them internally, `vrs audit verify` reports against the signed checkpoint file.
@Suite("Audit checkpoints outside the database")
struct AuditCheckpointTests {
    @Test func aRowRewrittenWithRecomputedHashesFailsTheCheckpointAndIsNotReanchored() async throws {
        try await withCheckpointedStore { store, file, signer in
            try await superuser(store, """
                DO $$
                DECLARE e record; v_prev bytea;
                BEGIN
                    SET LOCAL session_replication_role = replica;
                    UPDATE vrs.audit_event_p131016 SET outcome = 'success', actor_id = 'someone-else' WHERE seq = 2;
                    FOR e IN SELECT * FROM vrs.audit_event_p131016 ORDER BY seq LOOP
                        IF e.seq > 1 THEN e.prev_hash := v_prev; END IF;
                        v_prev := vrs.audit_event_digest_v2(e.prev_hash, e.municipality_code, e.seq, e.event_id, e.occurred_at,
                            e.actor_id, e.actor_role, e.action, e.target_type, e.target_id, e.outcome, e.request_id,
                            e.client_address, e.details);
                        UPDATE vrs.audit_event_p131016 SET prev_hash = e.prev_hash, hash = v_prev WHERE seq = e.seq;
                    END LOOP;
                    UPDATE vrs.audit_chain SET last_hash = v_prev WHERE municipality_code = '131016';
                END $$
                """)
            let inItself = try await AuditLog.verify(chain: nil, admin: store.admin, logger: store.logger)
            #expect(inItself.allSatisfy { $0.brokenSeq == nil }, "the rewrite is consistent: the chain alone cannot tell")
            #expect(try await broken(store, file, signer) == ["131016": "differs from checkpoint at seq 5"])

            // The next checkpoint (the server's timer) must not launder the rewrite.
            try await appendEvents(store, .municipal(Town.a), count: 1)
            let again = try await AuditLog.checkpoint(database: store.database, file: file, signer: signer, logger: store.logger)
            #expect(again.diverged == ["131016": "differs from checkpoint at seq 5"])
            #expect(again.written == nil, "A is not re-anchored and nothing else moved")
            #expect(try await broken(store, file, signer) == ["131016": "differs from checkpoint at seq 5"])
        }
    }

    @Test func aPartitionDroppedAndRecreatedIsMissing() async throws {
        try await withCheckpointedStore { store, file, signer in
            try await superuser(store, "ALTER TABLE vrs.audit_event DETACH PARTITION vrs.audit_event_p011002")
            try await superuser(store, "DROP TABLE vrs.audit_event_p011002")
            try await superuser(store, "CREATE TABLE vrs.audit_event_p011002 PARTITION OF vrs.audit_event FOR VALUES IN ('011002')")
            try await superuser(store, """
                CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON vrs.audit_event_p011002
                    FOR EACH STATEMENT EXECUTE FUNCTION vrs.audit_event_refuse_change()
                """)
            try await superuser(store, "DELETE FROM vrs.audit_chain WHERE municipality_code = '011002'")
            let inItself = try await AuditLog.verify(chain: nil, admin: store.admin, logger: store.logger)
            #expect(inItself.first { $0.chain == "011002" }.map { $0.brokenSeq == nil && $0.events == 0 } == true, "an empty, valid chain")
            #expect(try await broken(store, file, signer) == ["011002": "missing (checkpoint seq 3)"])

            // A new event makes it a fresh chain of one: shorter than the checkpoint.
            try await appendEvents(store, .municipal(Town.b), count: 1)
            #expect(try await broken(store, file, signer) == ["011002": "shorter than checkpoint (seq 3)"])

            // With the partition gone for good (audit_chains() no longer lists B), B is still missing.
            try await superuser(store, "DROP TABLE vrs.audit_event_p011002")
            try await superuser(store, "DELETE FROM vrs.audit_chain WHERE municipality_code = '011002'")
            #expect(try await broken(store, file, signer) == ["011002": "missing (checkpoint seq 3)"])
            let single = try await AuditLog.verify(chain: "011002", admin: store.admin, logger: store.logger,
                                                   checkpoint: AuditCheckpoint.fold(try file.read(keys: [signer.verificationKey])))
            #expect(single.map(\.problem) == ["missing (checkpoint seq 3)"])
        }
    }

    @Test func aChainTruncatedToAnEarlierHeadIsShorter() async throws {
        try await withCheckpointedStore { store, file, signer in
            try await superuser(store, """
                DO $$ BEGIN
                    SET LOCAL session_replication_role = replica;
                    DELETE FROM vrs.audit_event_p131016 WHERE seq > 3;
                    UPDATE vrs.audit_chain c SET last_seq = 3, last_hash = e.hash FROM vrs.audit_event_p131016 e
                     WHERE c.municipality_code = '131016' AND e.seq = 3;
                END $$
                """)
            let inItself = try await AuditLog.verify(chain: nil, admin: store.admin, logger: store.logger)
            #expect(inItself.allSatisfy { $0.brokenSeq == nil })
            #expect(try await broken(store, file, signer) == ["131016": "shorter than checkpoint (seq 5)"])
            let again = try await AuditLog.checkpoint(database: store.database, file: file, signer: signer, logger: store.logger)
            #expect(again.diverged == ["131016": "shorter than checkpoint (seq 5)"])
        }
    }

    @Test func intactChainsVerifyAndLinesCarryOnlyTheHeadsThatMoved() async throws {
        try await withCheckpointedStore { store, file, signer in
            #expect(try await broken(store, file, signer) == [:])
            try await appendEvents(store, .municipal(Town.b), count: 2)
            let second = try await AuditLog.checkpoint(database: store.database, file: file, signer: signer, logger: store.logger)
            #expect(second.written?.heads.map { "\($0.chain):\($0.seq)" } == ["011002:5"])
            #expect(second.lines == 2 && second.diverged.isEmpty)
            let third = try await AuditLog.checkpoint(database: store.database, file: file, signer: signer, logger: store.logger)
            #expect(third.written == nil && third.lines == 2, "nothing moved, nothing written")
            let lines = try file.read(keys: [signer.verificationKey])
            #expect(AuditCheckpoint.fold(lines).mapValues(\.seq) == ["000000": 1, "011002": 5, "131016": 5])
            #expect(try await broken(store, file, signer) == [:])
            let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
            #expect(mode == 0o600)

            // Writers in parallel (the server's timer and the CLI) still produce one linked file.
            try await appendEvents(store, .municipal(Town.a), count: 1)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask { _ = try await AuditLog.checkpoint(database: store.database, file: file, signer: signer, logger: store.logger) }
                }
                try await group.waitForAll()
            }
            #expect(try file.read(keys: [signer.verificationKey]).count == 3)
        }
    }

    @Test func anEditedCheckpointLineFailsItsSignatureAndARemovedLineItsLink() async throws {
        try await withCheckpointedStore { store, file, signer in
            try await appendEvents(store, .municipal(Town.a), count: 1)
            _ = try await AuditLog.checkpoint(database: store.database, file: file, signer: signer, logger: store.logger)
            let original = try String(contentsOfFile: file.path, encoding: .utf8)
            let lines = original.split(separator: "\n").map(String.init)
            #expect(lines.count == 2 && lines[0].contains("\"seq\":5") && lines[0].contains("\"previous\":null"))

            try (lines[0].replacingOccurrences(of: "\"seq\":5", with: "\"seq\":4") + "\n" + lines[1] + "\n")
                .write(toFile: file.path, atomically: false, encoding: .utf8)
            #expect(throws: AuditCheckpointError.badLine(path: file.path, line: 1, reason: "bad signature")) {
                try file.read(keys: [signer.verificationKey])
            }
            try (lines[1] + "\n").write(toFile: file.path, atomically: false, encoding: .utf8)
            #expect(throws: AuditCheckpointError.badLine(path: file.path, line: 1, reason: "the first line must have previous null")) {
                try file.read(keys: [signer.verificationKey])
            }
            try (original + lines[1] + "\n").write(toFile: file.path, atomically: false, encoding: .utf8)
            #expect(throws: AuditCheckpointError.badLine(path: file.path, line: 3, reason: "does not link to line 2")) {
                try file.read(keys: [signer.verificationKey])
            }
            try original.write(toFile: file.path, atomically: false, encoding: .utf8)
            let other = AuditCheckpointSigner(master: MasterKey.generate())
            #expect(throws: AuditCheckpointError.self) { try file.read(keys: [other.verificationKey]) }
            await #expect(throws: AuditCheckpointError.self) {
                _ = try await AuditLog.checkpoint(database: store.database, file: file, signer: other, logger: store.logger)
            }
            #expect(try file.read(keys: [signer.verificationKey]).count == 2, "a writer with another key appended nothing")
        }
    }
}

/// A fresh store with A and B provisioned, five events in A's chain, three in B's, one in the
/// operators' chain, and a first checkpoint of them in a new file.
private func withCheckpointedStore(
    _ body: @Sendable (TestStore, AuditCheckpointFile, AuditCheckpointSigner) async throws -> Void
) async throws {
    let directory = "/tmp/vrs-checkpoint-test-" + UUID().uuidString.prefix(8)
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try await withTestStore { store in
        try await store.provision(Town.a, Town.b)
        try await appendEvents(store, .municipal(Town.a), count: 5)
        try await appendEvents(store, .municipal(Town.b), count: 3)
        try await appendEvents(store, .operator, count: 1)
        let signer = AuditCheckpointSigner(master: store.master)
        let file = AuditCheckpointFile(path: directory + "/audit-checkpoints.jsonl")
        let first = try await AuditLog.checkpoint(database: store.database, file: file, signer: signer, logger: store.logger)
        #expect(first.written?.heads.map { "\($0.chain):\($0.seq)" } == ["000000:1", "011002:3", "131016:5"])
        try await body(store, file, signer)
    }
}

/// The chains `vrs audit verify` would name, with their problem.
private func broken(_ store: TestStore, _ file: AuditCheckpointFile, _ signer: AuditCheckpointSigner) async throws -> [String: String] {
    let anchored = AuditCheckpoint.fold(try file.read(keys: [signer.verificationKey]))
    let verdicts = try await AuditLog.verify(chain: nil, admin: store.admin, logger: store.logger, checkpoint: anchored)
    return Dictionary(uniqueKeysWithValues: verdicts.compactMap { v in v.brokenSeq.map { _ in (v.chain, v.problem ?? "") } })
}

private func appendEvents(_ store: TestStore, _ scope: CallerScope, count: Int) async throws {
    for i in 0..<count {
        try await store.database.transaction(as: scope) { connection in
            try await AuditLog(logger: store.logger).append(
                AuditEvent(actorID: "staff-\(i)", actorRole: "staff", action: "person.read", targetType: "person",
                           targetID: "p-\(i)", outcome: i == 1 ? .denied : .success),
                on: connection)
        }
    }
}

/// One statement as the superuser (an attacker with full rights on the database).
private func superuser(_ store: TestStore, _ sql: String) async throws {
    try await store.admin.query(PostgresQuery(unsafeSQL: sql), logger: store.logger)
}
