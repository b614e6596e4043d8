import Foundation
import VRSStore

/// The answer to a single inquiry: what the previous municipality provided, and what was copied.
struct TransferInquiryView: Encodable {
    let inquiryId: String
    let previousMunicipalityCode: String
    let status: String
    let records: [ProvidedDose]
    let copied: Int
    let personId: String?
    /// The not-found guard locked the caller's further inquiries with this one.
    let inquiriesLocked: Bool

    init(_ answer: TransferAnswer, provider: String, person: UUID?) {
        inquiryId = answer.inquiryID.uuidString.lowercased()
        previousMunicipalityCode = provider
        status = answer.found ? "found" : "not_found"
        records = answer.records
        copied = answer.copied
        personId = person?.uuidString.lowercased()
        inquiriesLocked = answer.locked
    }
}

/// A batch's progress, and its lines once it is done.
struct TransferBatchView: Encodable {
    let batchId: String
    let status: String
    let purpose: String
    let lines: Int
    let answered: Int
    let found: Int
    let createdAt: Date
    let finishedAt: Date?
    let expiresAt: Date
    let results: [Line]?
    /// The last line of this page when more follow (`?after=`).
    let nextAfter: Int?

    struct Line: Encodable {
        let line: Int
        let previousMunicipalityCode: String
        let personId: String?
        let status: String
        let inquiryId: String?
        let records: [ProvidedDose]
        let copied: Int
    }

    init(_ batch: TransferBatchStatus, results: [TransferBatchResult]?, nextAfter: Int?) {
        batchId = batch.id.uuidString.lowercased()
        status = batch.status
        purpose = batch.purpose
        lines = batch.lines
        answered = batch.answered
        found = batch.found
        createdAt = batch.createdAt
        finishedAt = batch.finishedAt
        expiresAt = batch.expiresAt
        self.results = results?.map {
            Line(line: $0.line, previousMunicipalityCode: $0.provider, personId: $0.personID?.uuidString.lowercased(),
                 status: $0.found.map { $0 ? "found" : "not_found" } ?? "waiting", inquiryId: $0.inquiryID?.uuidString.lowercased(),
                 records: $0.records, copied: $0.copied)
        }
        self.nextAfter = nextAfter
    }
}

/// A provision record, as either side sees it.
struct ProvisionRecordView: Encodable {
    let inquiryId: String
    let requestedAt: Date
    let requesterCode: String
    let providerCode: String
    let userId: String?
    let purpose: String?
    let kind: String
    let status: String
    let records: Int
    let copied: Int
    let batchId: String?

    init(_ record: ProvisionRecord, direction: ProvisionRecords.Direction) {
        inquiryId = record.inquiryID.uuidString.lowercased()
        requestedAt = record.requestedAt
        requesterCode = record.requesterCode
        providerCode = record.providerCode
        userId = record.accountID
        purpose = record.purpose
        kind = record.kind
        status = record.found ? "found" : "not_found"
        records = record.records
        copied = direction == .outbound ? record.copied : 0
        batchId = record.batchID?.uuidString.lowercased()
    }
}
