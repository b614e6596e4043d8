import Foundation
import Logging
import PostgresNIO
import VRSCrypto
import VRSDomain

/// Master-key and data-key rotation: the only path that writes key rows, as `vrs_owner` over the
/// administrative pool (no caller role may write keys, so a flaw in a request path cannot break a
/// municipality's encryption). Re-encrypting people runs as the municipality, batch by batch.
public struct KeyRotation: Sendable {
    let database: Database
    let admin: PostgresClient
    let keyRing: KeyRing
    let logger: Logger

    /// Rotation writing keys over `admin` and people over `database`, refreshing `keyRing` as keys change.
    public init(database: Database, admin: PostgresClient, keyRing: KeyRing, logger: Logger) {
        self.database = database
        self.admin = admin
        self.keyRing = keyRing
        self.logger = logger
    }

    /// Re-wraps every municipality key and re-seals every certificate issuer key under `next` in
    /// one owner transaction; returns how many keys moved. Person rows are untouched. Keys already
    /// under `next` are skipped, so an interrupted run can be repeated.
    public func rewrapAll(from current: MasterKey, to next: MasterKey) async throws -> Int {
        try await admin.ownerTransaction(logger: logger) { connection in
            let rows = try await connection.query(
                "SELECT municipality_code::text, purpose, version, wrapped, master_key_id FROM vrs.municipality_key FOR UPDATE",
                logger: logger)
            var codes: [String] = [], purposes: [String] = [], versions: [Int] = [], wrapped: [ByteBuffer] = []
            for try await (code, purpose, version, bytes, masterID) in rows.decode((String, String, Int, Data, String).self) {
                if masterID == next.id { continue }
                guard masterID == current.id else { throw KeyMaterialError.unknownMasterKey(id: masterID) }
                let municipality = try MunicipalityCode(code)
                let rewrapped = try KeyWrapper(master: current).rewrap(
                    bytes, municipality: municipality, purpose: KeyPurpose(rawValue: purpose)!, version: version, to: next)
                codes.append(code); purposes.append(purpose); versions.append(version); wrapped.append(ByteBuffer(bytes: rewrapped))
            }
            try await connection.query(
                """
                UPDATE vrs.municipality_key k SET wrapped = t.wrapped, master_key_id = \(next.id)
                FROM unnest(\(codes)::text[], \(purposes)::text[], \(versions)::int[], \(wrapped)::bytea[]) AS t(code, purpose, version, wrapped)
                WHERE k.municipality_code = t.code AND k.purpose = t.purpose AND k.version = t.version
                """,
                logger: logger)
            // The certificate issuer's keys (0014), retired ones too: they may be needed again to prove a signature.
            let issuer = try await connection.query(
                "SELECT kid, sealed_key, master_key_id FROM vrs.issuer_key FOR UPDATE", logger: logger)
            var resealed: [(kid: String, sealed: Data)] = []
            for try await (kid, sealed, masterID) in issuer.decode((String, Data, String).self) {
                if masterID == next.id { continue }
                guard masterID == current.id else { throw KeyMaterialError.unknownMasterKey(id: masterID) }
                resealed.append((kid, try IssuerSigningKey(sealed: sealed, kid: kid, master: current).sealed(under: next)))
            }
            for key in resealed {
                try await connection.query(
                    "UPDATE vrs.issuer_key SET sealed_key = \(key.sealed), master_key_id = \(next.id) WHERE kid = \(key.kid)",
                    logger: logger)
            }
            return codes.count + resealed.count
        }
    }

    /// Progress of a data-key rotation.
    public struct DataRotationProgress: Sendable, Equatable {
        public var version: Int
        public var reencrypted: Int
        public var remaining: Int

        /// Progress figures.
        public init(version: Int, reencrypted: Int, remaining: Int) {
            self.version = version
            self.reencrypted = reencrypted
            self.remaining = remaining
        }
    }

    /// Moves a municipality to a new data and index key version and re-encrypts its people in batches,
    /// each batch its own transaction. If rows under older versions remain (an interrupted run), it
    /// resumes with the current version instead of starting another. Lookups work throughout: they
    /// try the blind index of every version.
    public func rotateData(of municipality: MunicipalityCode, master: MasterKey, batchSize: Int = 1000, maxBatches: Int? = nil) async throws -> DataRotationProgress {
        let scope = CallerScope.municipal(municipality)
        let (active, behind) = try await database.transaction(as: scope) { connection in
            let active = try await keyRing.activeVersion(of: municipality, on: connection, logger: logger)
            return (active, try await remaining(below: active, in: municipality, on: connection))
        }
        var version = active
        if behind == 0 {
            version = active + 1
            let wrapped = try MunicipalityKeys.generate(for: municipality, version: version).wrapped(by: master)
            try await admin.ownerTransaction(logger: logger) { connection in
                try await connection.query(
                    """
                    INSERT INTO vrs.municipality_key (municipality_code, purpose, version, wrapped, master_key_id)
                    VALUES (\(municipality), 'data', \(version), \(wrapped.data), \(master.id)),
                           (\(municipality), 'index', \(version), \(wrapped.index), \(master.id))
                    """,
                    logger: logger)
                // A concurrent rotation that got there first makes the key insert above fail (same
                // primary key), so this update always moves exactly one version forward.
                try await connection.query(
                    "UPDATE vrs.municipality SET key_version = \(version) WHERE code = \(municipality) AND key_version = \(active)",
                    logger: logger)
            }
        }
        await keyRing.forget(municipality)
        var progress = DataRotationProgress(version: version, reencrypted: 0, remaining: 0)
        var batches = 0
        while maxBatches.map({ batches < $0 }) ?? true {
            let done = try await database.transaction(as: scope) { connection in
                try await reencryptBatch(municipality, to: version, limit: batchSize, on: connection)
            }
            if done == 0 { break }
            progress.reencrypted += done
            batches += 1
        }
        progress.remaining = try await database.transaction(as: scope) { connection in
            try await remaining(below: version, in: municipality, on: connection)
        }
        return progress
    }

    private func remaining(below version: Int, in municipality: MunicipalityCode, on connection: PostgresConnection) async throws -> Int {
        let rows = try await connection.query(
            "SELECT count(*)::int FROM vrs.person WHERE municipality_code = \(municipality) AND key_version < \(version)",
            logger: logger)
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }

    private func reencryptBatch(_ municipality: MunicipalityCode, to version: Int, limit: Int, on connection: PostgresConnection) async throws -> Int {
        let target = try await keyRing.cipher(for: municipality, version: version, on: connection, logger: logger)
        let rows = try await connection.query(
            """
            SELECT person_id, key_version, individual_number_cipher FROM vrs.person
            WHERE municipality_code = \(municipality) AND key_version < \(version)
            LIMIT \(limit) FOR UPDATE SKIP LOCKED
            """,
            logger: logger)
        // Read the batch completely before asking the key ring, which may query the same connection.
        var batch: [(UUID, Int, Data)] = []
        for try await row in rows.decode((UUID, Int, Data).self) { batch.append(row) }
        var ids: [UUID] = [], sealed: [ByteBuffer] = [], indexes: [ByteBuffer] = []
        for (id, old, bytes) in batch {
            let number = try await keyRing.cipher(for: municipality, version: old, on: connection, logger: logger).open(bytes)
            ids.append(id)
            sealed.append(ByteBuffer(bytes: target.seal(number)))
            indexes.append(ByteBuffer(bytes: target.blindIndex(number)))
        }
        guard !ids.isEmpty else { return 0 }
        try await connection.query(
            """
            UPDATE vrs.person p SET individual_number_cipher = t.sealed, individual_number_index = t.idx,
                   key_version = \(version), updated_at = now()
            FROM unnest(\(ids)::uuid[], \(sealed)::bytea[], \(indexes)::bytea[]) AS t(id, sealed, idx)
            WHERE p.municipality_code = \(municipality) AND p.person_id = t.id
            """,
            logger: logger)
        return ids.count
    }
}
