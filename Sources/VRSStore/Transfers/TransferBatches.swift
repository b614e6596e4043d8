import Foundation
import Logging
import NIOCore
import PostgresNIO
import VRSCrypto
import VRSDomain

/// One line of a batch upload, checked.
public struct TransferBatchLine: Sendable {
    public var line: Int
    public var provider: MunicipalityCode
    public var number: IndividualNumber
    public var person: UUID?

    /// A line of the file (`line` is its line number in the file: the header is line 1).
    public init(line: Int, provider: MunicipalityCode, number: IndividualNumber, person: UUID?) {
        self.line = line
        self.provider = provider
        self.number = number
        self.person = person
    }
}

/// A batch as its municipality sees it: progress, and per line the answer once there is one.
public struct TransferBatchStatus: Sendable, Equatable {
    public var id: UUID
    public var status: String
    public var purpose: String
    public var lines: Int
    public var answered: Int
    public var found: Int
    public var createdAt: Date
    public var finishedAt: Date?
    public var expiresAt: Date
}

/// One answered (or waiting) line of a batch.
public struct TransferBatchResult: Sendable, Equatable {
    public var line: Int
    public var provider: String
    public var personID: UUID?
    /// nil while the line waits.
    public var found: Bool?
    public var inquiryID: UUID?
    public var records: [ProvidedDose]
    public var copied: Int
}

/// Batches of inquiries (migration 0013): the upload, read in the caller's scope; the worker's
/// side is `TransferBatchWork`.
public struct TransferBatches: Sendable {
    let logger: Logger

    /// Batches logging to `logger`.
    public init(logger: Logger) { self.logger = logger }

    /// Stores a checked upload, the numbers sealed with the caller's active cipher; returns the batch id.
    public func submit(_ lines: [TransferBatchLine], purpose: String?, retention: Duration, cipher: IndividualNumberCipher,
                       actor: ActorLabels, on connection: PostgresConnection) async throws -> UUID {
        let providers = lines.map(\.provider.rawValue)
        let persons = lines.map { $0.person?.uuidString ?? "" }
        let ciphers = lines.map { ByteBuffer(bytes: cipher.seal($0.number)) }
        do {
            let rows = try await connection.query(
                """
                SELECT vrs.create_transfer_batch(\(purpose), \(lines.map(\.line))::int[], \(providers)::char(6)[],
                       ARRAY(SELECT nullif(p, '')::uuid FROM unnest(\(persons)::text[]) WITH ORDINALITY AS u(p, o) ORDER BY o),
                       \(ciphers)::bytea[], \(cipher.keyVersion)::int, \(Int(retention.components.seconds))::int,
                       \(actor.actorID), \(actor.requestID))
                """, logger: logger)
            for try await id in rows.decode(UUID.self) { return id }
        } catch {
            throw translated(error)
        }
        throw StoreError.transferRefused(.batch, message: "no answer", hint: nil, detail: nil)
    }

    /// A batch of the caller's municipality, if it has one by that id.
    public func status(_ id: UUID, in municipality: MunicipalityCode, on connection: PostgresConnection) async throws -> TransferBatchStatus? {
        let rows = try await connection.query(
            """
            SELECT batch_id, status, purpose_code, line_count, answered_count, found_count, created_at, finished_at, expires_at
              FROM vrs.transfer_batch WHERE municipality_code = \(municipality) AND batch_id = \(id)
            """, logger: logger)
        for try await (id, status, purpose, lines, answered, found, created, finished, expires)
            in rows.decode((UUID, String, String, Int, Int, Int, Date, Date?, Date).self) {
            return TransferBatchStatus(id: id, status: status, purpose: purpose, lines: lines, answered: answered, found: found,
                                       createdAt: created, finishedAt: finished, expiresAt: expires)
        }
        return nil
    }

    /// The lines of a batch in order, `after` a line number (paging), at most `limit`.
    public func results(_ id: UUID, in municipality: MunicipalityCode, after: Int = 0, limit: Int,
                        on connection: PostgresConnection) async throws -> [TransferBatchResult] {
        let rows = try await connection.query(
            """
            SELECT line_number, provider_code::text, person_id, outcome, inquiry_id, coalesce(records, '[]')::text, coalesce(copied_count, 0)
              FROM vrs.transfer_batch_line
             WHERE municipality_code = \(municipality) AND batch_id = \(id) AND line_number > \(after)
             ORDER BY line_number LIMIT \(limit)
            """, logger: logger)
        var results: [TransferBatchResult] = []
        let decoder = JSONDecoder()
        for try await (line, provider, person, outcome, inquiry, records, copied)
            in rows.decode((Int, String, UUID?, String?, UUID?, String, Int).self) {
            results.append(TransferBatchResult(line: line, provider: provider, personID: person, found: outcome.map { $0 == "found" },
                                               inquiryID: inquiry, records: try decoder.decode([ProvidedDose].self, from: Data(records.utf8)),
                                               copied: copied))
        }
        return results
    }
}
