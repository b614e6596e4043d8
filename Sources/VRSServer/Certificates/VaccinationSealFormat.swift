import Foundation
import Logging
import PostgresNIO
import VRSCrypto
import VRSDomain
import VRSStore

/// ICAO VDS-NC proofs of vaccination for travel (Doc 9303 part 13, `icao.vacc`): the doses by
/// vaccine, tied to the passport the holder names, signed by the barcode signer whose
/// certificate travels in the seal; the QR code holds the seal's canonical JSON.
struct VaccinationSealFormat: CertificateFormat {
    let database: Database
    let master: MasterKey
    let passport: TravelDocument

    /// A VDS-NC seal as issued: the seal itself, its QR text (the seal's JSON) and the QR code.
    struct Answer: Encodable, Sendable {
        let seal: CanonicalJSON
        let qrText: String
        let qrCode: String
        let qrVersion: Int
    }

    var name: String { "vds-nc" }

    func sign(_ draft: CertificateDraft, on connection: PostgresConnection, logger: Logger) async throws -> SignedCertificate<Answer> {
        let person = draft.person
        let doses = try CertificateRefusal.requireDoses(
            try await CertificateRepository(logger: logger).sealDoses(of: person.id, in: person.municipality, on: connection))
        let signer: SealSigner
        do { signer = try await IssuerKeyRepository(database: database).sealSigner(on: connection, master: master) } catch IssuerKeyError.noActiveKey {
            throw CertificateRefusal.notSetUp
        }
        let uvci = Self.uvci()
        let data = VaccinationSeal.data(
            uvci: uvci, holder: CertificateHolder(familyName: person.familyName, givenName: person.givenName, birthDate: person.birthDate.description),
            sex: person.sex.rawValue, passport: passport, doses: doses)
        let seal = try signer.seal(data)
        let text = seal.serialized
        let qr: QRCode
        do { qr = try QRCode(segments: [.bytes(Array(text.utf8))], errorCorrection: .medium) } catch {
            throw CertificateRefusal.tooManyDoses(doses.count, limit: "one QR code")
        }
        return SignedCertificate(kid: signer.kid, revocationID: uvci, doseCount: doses.count, answer: Answer(
            seal: seal, qrText: text,
            qrCode: CertificateRefusal.dataURL(qr.png(moduleSize: 3)), qrVersion: qr.version))
    }

    /// A unique vaccination certificate identifier: "JP" and ten characters of Crockford's base32
    /// (no I, L, O or U, so that it can be read aloud and typed), 50 random bits.
    static func uvci() -> String {
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        return "JP" + String((0..<10).map { _ in alphabet[Int.random(in: 0..<32)] })
    }
}
