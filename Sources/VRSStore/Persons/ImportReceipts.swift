import Foundation
import Logging
import PostgresNIO
import VRSDomain

/// The stored answers of keyed imports (migration 0010), so that a retry gets the first answer.
public struct ImportReceipts: Sendable {
    /// Which import a receipt belongs to.
    public enum Kind: String, Sendable { case persons, vaccinations }

    let logger: Logger

    /// Receipts logging to `logger`.
    public init(logger: Logger) { self.logger = logger }

    /// The stored answer for `key`, nil if none; `StoreError.keyReused` when the key came with another file.
    public func find<Counts: Decodable>(_ key: some CustomStringConvertible, kind: Kind, sha256: Data, in municipality: MunicipalityCode,
                                        on connection: PostgresConnection) async throws -> Counts? {
        let rows = try await connection.query(
            """
            SELECT file_sha256, counts::text FROM vrs.import_receipt
             WHERE municipality_code = \(municipality) AND kind = \(kind.rawValue) AND idempotency_key = \(key.description)
            """, logger: logger)
        for try await (digest, counts) in rows.decode((Data, String).self) {
            guard digest == sha256 else { throw StoreError.keyReused }
            return try JSONDecoder().decode(Counts.self, from: Data(counts.utf8))
        }
        return nil
    }

    /// Whether a receipt for `key` exists (whatever its file).
    public func exists(_ key: some CustomStringConvertible, kind: Kind, in municipality: MunicipalityCode, on connection: PostgresConnection) async throws -> Bool {
        let rows = try await connection.query(
            """
            SELECT 1 FROM vrs.import_receipt
             WHERE municipality_code = \(municipality) AND kind = \(kind.rawValue) AND idempotency_key = \(key.description)
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    /// Keeps the answer of an import under `key`, in the import's own transaction.
    public func store(_ counts: some Encodable, key: some CustomStringConvertible, kind: Kind, sha256: Data, actor: String,
                      in municipality: MunicipalityCode, on connection: PostgresConnection) async throws {
        let json = String(decoding: try JSONEncoder().encode(counts), as: UTF8.self)
        try await connection.perform(
            """
            INSERT INTO vrs.import_receipt (municipality_code, kind, idempotency_key, file_sha256, counts, actor_id)
            VALUES (\(municipality), \(kind.rawValue), \(key.description), \(sha256), \(json)::jsonb, \(actor))
            """, logger: logger)
    }
}
