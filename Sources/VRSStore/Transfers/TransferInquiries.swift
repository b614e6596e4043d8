import Foundation
import Logging
import NIOCore
import PostgresNIO
import VRSCrypto
import VRSDomain

/// One dose another municipality provided: what an inquiry answers, and nothing else about the person.
public struct ProvidedDose: Sendable, Codable, Equatable {
    public var dose: Int
    public var vaccinatedOn: String
    /// The coupon it was given on, at the municipality that gave it.
    public var couponNumber: String?
    /// The municipality that gave it (its origin, through earlier moves).
    public var municipalityCode: String
    public var product: String
    public var lotNumber: String
    public var siteName: String?
    public var doctorName: String?
}

/// What an inquiry brought back.
public struct TransferAnswer: Sendable, Equatable {
    /// The provision record's id on both sides; copied doses carry it too.
    public var inquiryID: UUID
    /// Whether the previous municipality holds the number.
    public var found: Bool
    public var records: [ProvidedDose]
    /// How many of the records were new to the caller's ledger and copied into it.
    public var copied: Int
    /// Whether this inquiry tripped the not-found guard: the user's next inquiries are refused.
    public var locked: Bool
}

/// The transfer door (migration 0013), in the caller's transaction: the number goes no further
/// than this struct, which hands the database only its blind indexes under the previous
/// municipality's index keys.
public struct TransferInquiries: Sendable {
    let keyRing: KeyRing
    let actor: ActorLabels
    let logger: Logger

    /// Inquiries by `actor`.
    public init(keyRing: KeyRing, actor: ActorLabels, logger: Logger) {
        self.keyRing = keyRing
        self.actor = actor
        self.logger = logger
    }

    /// Asks `provider` for the doses of `number`; with `person`, copies them onto that person of the
    /// caller's ledger. `line` answers a batch line instead of a single inquiry.
    /// `indexers`: the provider's, when the caller has them already (a batch chunk asks one provider).
    public func ask(_ number: IndividualNumber, of provider: MunicipalityCode, purpose: String?, person: UUID?,
                    line: (batch: UUID, number: Int)? = nil, indexers: [BlindIndexer]? = nil,
                    on connection: PostgresConnection) async throws -> TransferAnswer {
        var keys = indexers ?? []
        if indexers == nil { keys = try await keyRing.inquiryIndexers(for: provider, purpose: purpose, on: connection, logger: logger) }
        let indexes = keys.map { ByteBuffer(bytes: $0.index(number)) }
        guard !indexes.isEmpty else { throw StoreError.missingKey(provider, version: 0) }
        do {
            let rows = try await connection.query(
                """
                SELECT inquiry_id, outcome, records::text, copied, locked
                  FROM vrs.inquire_transfer(\(provider), \(indexes)::bytea[], \(purpose), \(person), \(actor.actorID),
                       \(actor.requestID), \(line?.batch), \(line?.number)::int)
                """, logger: logger)
            for try await (id, outcome, records, copied, locked) in rows.decode((UUID, String, String, Int, Bool).self) {
                return TransferAnswer(inquiryID: id, found: outcome == "found",
                                      records: try JSONDecoder().decode([ProvidedDose].self, from: Data(records.utf8)),
                                      copied: copied, locked: locked)
            }
        } catch {
            throw translated(error)
        }
        throw StoreError.transferRefused(.lineAnswered, message: "no answer", hint: nil, detail: nil)
    }
}
