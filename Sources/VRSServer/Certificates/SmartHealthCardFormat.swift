import Foundation
import Logging
import PostgresNIO
import VRSCrypto
import VRSDomain
import VRSStore

/// SMART Health Cards (spec.smarthealth.cards): the FHIR bundle of the person's doses, signed as a
/// compact JWS with the issuer's ES256 key, its `shc:/` text and a QR code of it (byte segment
/// `shc:/`, numeric segment, error correction L, version ≤ 22, one chunk).
struct SmartHealthCardFormat: CertificateFormat {
    let database: Database
    let master: MasterKey
    /// The cards' `iss`: where verifiers find `/.well-known/jwks.json`.
    let issuer: String

    /// The card as issued: the JWS, its `shc:/` text and a QR code of it.
    struct Answer: Encodable, Sendable {
        let jws: String
        let qrText: String
        /// `data:image/png;base64,…`.
        let qrCode: String
        let qrVersion: Int
    }

    var name: String { "shc" }

    func sign(_ draft: CertificateDraft, on connection: PostgresConnection, logger: Logger) async throws -> SignedCertificate<Answer> {
        let person = draft.person
        let doses = try CertificateRefusal.requireDoses(
            try await CertificateRepository(logger: logger).certifiedDoses(of: person.id, in: person.municipality, on: connection))
        let key: IssuerSigningKey
        do { key = try await IssuerKeyRepository(database: database).signingKey(on: connection, master: master) } catch IssuerKeyError.noActiveKey {
            throw CertificateRefusal.notSetUp
        }
        let revocationID = Base64URL.encode(Data((0..<16).map { _ in UInt8.random(in: 0...255) }))
        let payload = try ImmunizationBundle.credentialPayload(
            issuer: issuer, issuedAt: draft.issuedAt,
            holder: CertificateHolder(familyName: person.familyName, givenName: person.givenName, birthDate: person.birthDate.description),
            doses: doses, revocationID: revocationID)
        let card = try SmartHealthCard.issue(payload: payload, key: key)
        let qr: QRCode
        do {
            qr = try QRCode(segments: [.bytes(Array("shc:/".utf8)), .numeric(String(card.numeric.dropFirst(5)))], errorCorrection: .low, maxVersion: 22)
        } catch {
            throw CertificateRefusal.tooManyDoses(doses.count, limit: "one QR code of version 22")
        }
        return SignedCertificate(kid: key.kid, revocationID: revocationID, doseCount: doses.count, answer: Answer(
            jws: card.jws, qrText: card.numeric,
            qrCode: CertificateRefusal.dataURL(qr.png(moduleSize: 4)), qrVersion: qr.version))
    }
}
