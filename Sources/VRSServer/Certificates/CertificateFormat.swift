import Foundation
import Logging
import PostgresNIO
import VRSStore

/// A certificate about to be signed: its id, whose, and its issue time (the card's `nbf`).
struct CertificateDraft: Sendable {
    let id: UUID
    let person: PersonRecord
    let issuedAt: Date
}

/// What a format made of a draft: the key that signed it, its revocation id, how many doses it
/// states, and the format's own part of the answer (the JWS, or the seal, and the QR code).
struct SignedCertificate<Answer: Encodable & Sendable>: Sendable {
    let kid: String
    let revocationID: String
    let doseCount: Int
    let answer: Answer
}

/// The answer to an issue: what every format says (id, person, format, key, time, doses), then
/// the format's own members, in one JSON object.
struct IssuedCertificateView<Signed: Encodable & Sendable>: Encodable, Sendable {
    let certificateId: String
    let personId: String
    let format: String
    let kid: String
    let issuedAt: Date
    let doseCount: Int
    let signed: Signed

    private enum CodingKeys: String, CodingKey { case certificateId, personId, format, kid, issuedAt, doseCount }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(certificateId, forKey: .certificateId)
        try container.encode(personId, forKey: .personId)
        try container.encode(format, forKey: .format)
        try container.encode(kid, forKey: .kid)
        try container.encode(issuedAt, forKey: .issuedAt)
        try container.encode(doseCount, forKey: .doseCount)
        try signed.encode(to: encoder)   // the same object: the format's members beside these
    }
}

/// One certificate format (SMART Health Card, ICAO VDS-NC): which doses it states and how it signs
/// them. Everything around that (the person, the record, the audit, the answer) is shared, in
/// `CertificateController.issue`.
protocol CertificateFormat: Sendable {
    associatedtype Answer: Encodable & Sendable
    /// The format's name, as in the API and the certificate record.
    var name: String { get }
    /// Signs the draft with the format's active key, from the person's recorded doses.
    func sign(_ draft: CertificateDraft, on connection: PostgresConnection, logger: Logger) async throws -> SignedCertificate<Answer>
}

/// The refusals every format shares.
enum CertificateRefusal {
    /// A person with no recorded dose has nothing to certify (422).
    static func requireDoses<Dose>(_ doses: [Dose]) throws -> [Dose] {
        guard !doses.isEmpty else {
            throw AppError.invalid([.init(field: "personId", code: "no_doses", message: "has no recorded dose to certify")])
        }
        return doses
    }

    /// The host has not created the issuer keys yet (503).
    static let notSetUp = AppError.unavailable("certificates are not set up here: the host creates the issuer keys with `vrs keys init-issuer`")

    /// The certificate would not fit one QR code (422).
    static func tooManyDoses(_ count: Int, limit: String) -> AppError {
        AppError.invalid([.init(field: "personId", code: "too_many_doses", message: "has more doses than \(limit) holds (\(count))")])
    }

    /// A QR code as the answers carry it.
    static func dataURL(_ png: [UInt8]) -> String { "data:image/png;base64," + Data(png).base64EncodedString() }
}
