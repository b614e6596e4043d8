import Foundation
import Hummingbird
import Logging
import PostgresNIO
import VRSCrypto
import VRSDomain
import VRSStore

/// Vaccination certificates (接種証明書) of the caller's own residents: SMART Health Cards and, for
/// travel, ICAO VDS-NC seals issued by staff (the app and the kiosk are clients of the same call),
/// listed, and revoked by admins.
struct CertificateController: Sendable {
    let database: Database
    let keyRing: KeyRing
    let master: MasterKey
    /// The cards' `iss`: where verifiers find `/.well-known/jwks.json`.
    let issuer: String

    struct IssueBody: Decodable {
        let format: String
        let passport: Passport?
        struct Passport: Decodable { let number: String; let surname: String; let givenName: String; let nationality: String }
    }

    /// A VDS-NC seal as issued: the seal itself, its QR text (the seal's JSON) and the QR code.
    struct Sealed: Encodable {
        let certificateId: String
        let personId: String
        let format = "vds-nc"
        let kid: String
        let issuedAt: Date
        let doseCount: Int
        let seal: CanonicalJSON
        let qrText: String
        let qrCode: String
        let qrVersion: Int
    }

    /// The card as issued: the JWS, its `shc:/` text and a QR code of it.
    struct Issued: Encodable {
        let certificateId: String
        let personId: String
        let format = "shc"
        let kid: String
        let issuedAt: Date
        let doseCount: Int
        let jws: String
        let qrText: String
        /// `data:image/png;base64,…`: byte segment `shc:/`, numeric segment, ECC L, version ≤ 22.
        let qrCode: String
        let qrVersion: Int
    }

    struct Listed: Encodable {
        let certificateId: String
        let format: String
        let kid: String
        let doseCount: Int
        let issuedAt: Date
        let issuedBy: String
        let revokedAt: Date?
        let revokedBy: String?
    }

    struct Revoked: Encodable { let certificateId: String; let kid: String; let revokedAt: Date }

    func addRoutes(to router: Router<AppRequestContext>) {
        let staff = router.group("v1/persons").add(middleware: RequireRole(roles: [.staff, .admin]))
        staff.post(":personId/certificates") { request, context in try await issue(request, context: context) }
        staff.get(":personId/certificates") { _, context in
            let (municipality, id) = try Self.person(context)
            let listed = try await database.transaction(for: context) { connection in
                guard try await PersonRepository(keyRing: keyRing, logger: context.logger).find(id: id, in: municipality, on: connection) != nil else {
                    return [Listed]?.none
                }
                return try await CertificateRepository(logger: context.logger).list(of: id, in: municipality, on: connection).map {
                    Listed(certificateId: $0.id.uuidString.lowercased(), format: $0.format, kid: $0.kid, doseCount: $0.doseCount,
                           issuedAt: $0.issuedAt, issuedBy: $0.issuedBy, revokedAt: $0.revokedAt, revokedBy: $0.revokedBy)
                }
            }
            guard let listed else { throw AppError.notFound("no person \(id.uuidString.lowercased()) in your municipality") }
            struct Body: Encodable { let certificates: [Listed] }
            return try JSONEncoder.response(Body(certificates: listed))
        }
        let admin = router.group("v1/certificates").add(middleware: RequireRole(roles: [.admin]))
        admin.post(":certificateId/revoke") { _, context in
            guard let id = UUID(uuidString: try context.parameters.require("certificateId")) else {
                throw AppError.notFound("no such certificate: certificate ids are UUIDs")
            }
            let revoked = try await database.transaction(for: context) { connection in
                let revoked = try await CertificateRepository(logger: context.logger).revoke(id, on: connection)
                try await AuditLog(logger: context.logger).append(
                    context.event("certificate.revoke", target: ("certificate", id.uuidString.lowercased()), outcome: revoked == nil ? .failure : .success,
                                  details: revoked.map { ["kid": $0.kid, "newly": String($0.newly)] } ?? [:]),
                    on: connection)
                return revoked
            }
            guard let revoked else { throw AppError.notFound("no certificate \(id.uuidString.lowercased()) in your municipality") }
            return try JSONEncoder.response(Revoked(certificateId: id.uuidString.lowercased(), kid: revoked.kid, revokedAt: revoked.revokedAt))
        }
    }

    private func issue(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (municipality, id) = try Self.person(context)
        let body = try await request.decodeJSON(as: IssueBody.self, context: context)
        switch body.format {
        case "shc": break
        case "vds-nc": return try await seal(body, person: id, in: municipality, context: context)
        default: throw AppError.invalid([.init(field: "format", code: "not_one_of", message: "must be shc (SMART Health Card) or vds-nc (ICAO VDS-NC)")])
        }
        let actor = try context.user.userID
        let issuedAt = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let issued = try await database.transaction(for: context) { connection -> Issued? in
            guard let person = try await PersonRepository(keyRing: keyRing, logger: context.logger).find(id: id, in: municipality, on: connection) else {
                return nil
            }
            let certificates = CertificateRepository(logger: context.logger)
            let doses = try await certificates.certifiedDoses(of: id, in: municipality, on: connection)
            guard !doses.isEmpty else {
                throw AppError.invalid([.init(field: "personId", code: "no_doses", message: "has no recorded dose to certify")])
            }
            let key: IssuerSigningKey
            do { key = try await IssuerKeyRepository(database: database).signingKey(on: connection, master: master) } catch IssuerKeyError.noActiveKey {
                throw AppError.unavailable("certificates are not set up here: the host creates the issuer key with `vrs keys init-issuer`")
            }
            let certificateID = UUID()
            let revocationID = Base64URL.encode(Data((0..<16).map { _ in UInt8.random(in: 0...255) }))
            let payload = try ImmunizationBundle.credentialPayload(
                issuer: issuer, issuedAt: issuedAt,
                holder: CertificateHolder(familyName: person.familyName, givenName: person.givenName, birthDate: person.birthDate.description),
                doses: doses, revocationID: revocationID)
            let card = try SmartHealthCard.issue(payload: payload, key: key)
            let qr: QRCode
            do {
                qr = try QRCode(segments: [.bytes(Array("shc:/".utf8)), .numeric(String(card.numeric.dropFirst(5)))], errorCorrection: .low, maxVersion: 22)
            } catch {
                throw AppError.invalid([.init(field: "personId", code: "too_many_doses",
                                              message: "has more doses than one QR code of version 22 holds (\(doses.count))")])
            }
            try await certificates.record(id: certificateID, personID: id, kid: key.kid, revocationID: revocationID, doseCount: doses.count,
                                          issuedAt: issuedAt, actor: actor, in: municipality, on: connection)
            try await AuditLog(logger: context.logger).append(
                context.event("certificate.issue", target: ("person", id.uuidString.lowercased()),
                              details: ["certificateId": certificateID.uuidString.lowercased(), "format": "shc", "kid": key.kid, "doses": String(doses.count)]),
                on: connection)
            return Issued(certificateId: certificateID.uuidString.lowercased(), personId: id.uuidString.lowercased(), kid: key.kid,
                          issuedAt: issuedAt, doseCount: doses.count, jws: card.jws, qrText: card.numeric,
                          qrCode: "data:image/png;base64," + Data(qr.png(moduleSize: 4)).base64EncodedString(), qrVersion: qr.version)
        }
        guard let issued else { throw AppError.notFound("no person \(id.uuidString.lowercased()) in your municipality") }
        return try JSONEncoder.response(issued, status: .created)
    }

    /// An ICAO VDS-NC proof of vaccination for travel, tied to the passport the holder names.
    private func seal(_ body: IssueBody, person id: UUID, in municipality: MunicipalityCode, context: AppRequestContext) async throws -> Response {
        guard let passport = body.passport else {
            throw AppError.invalid([.init(field: "passport", code: "required", message: "is required for vds-nc (number, surname, givenName, nationality)")])
        }
        let document: TravelDocument
        do {
            document = try TravelDocument(number: passport.number, surname: passport.surname, givenName: passport.givenName, nationality: passport.nationality)
        } catch {
            throw AppError.invalid([.init(field: error.field, code: error.code, message: error.message)])
        }
        let actor = try context.user.userID
        let issuedAt = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let sealed = try await database.transaction(for: context) { connection -> Sealed? in
            guard let person = try await PersonRepository(keyRing: keyRing, logger: context.logger).find(id: id, in: municipality, on: connection) else {
                return nil
            }
            let certificates = CertificateRepository(logger: context.logger)
            let doses = try await certificates.sealDoses(of: id, in: municipality, on: connection)
            guard !doses.isEmpty else {
                throw AppError.invalid([.init(field: "personId", code: "no_doses", message: "has no recorded dose to certify")])
            }
            let signer: SealSigner
            do { signer = try await IssuerKeyRepository(database: database).sealSigner(on: connection, master: master) } catch IssuerKeyError.noActiveKey {
                throw AppError.unavailable("certificates are not set up here: the host creates the issuer keys with `vrs keys init-issuer`")
            }
            let certificateID = UUID()
            let uvci = Self.uvci()
            let data = VaccinationSeal.data(
                uvci: uvci, holder: CertificateHolder(familyName: person.familyName, givenName: person.givenName, birthDate: person.birthDate.description),
                sex: person.sex.rawValue, passport: document, doses: doses)
            let seal = try signer.seal(data)
            let text = seal.serialized
            let qr: QRCode
            do { qr = try QRCode(segments: [.bytes(Array(text.utf8))], errorCorrection: .medium) } catch {
                throw AppError.invalid([.init(field: "personId", code: "too_many_doses", message: "has more doses than one QR code holds (\(doses.count))")])
            }
            try await certificates.record(id: certificateID, personID: id, format: "vds-nc", kid: signer.kid, revocationID: uvci, doseCount: doses.count,
                                          issuedAt: issuedAt, actor: actor, in: municipality, on: connection)
            try await AuditLog(logger: context.logger).append(
                context.event("certificate.issue", target: ("person", id.uuidString.lowercased()),
                              details: ["certificateId": certificateID.uuidString.lowercased(), "format": "vds-nc", "kid": signer.kid, "doses": String(doses.count)]),
                on: connection)
            return Sealed(certificateId: certificateID.uuidString.lowercased(), personId: id.uuidString.lowercased(), kid: signer.kid,
                          issuedAt: issuedAt, doseCount: doses.count, seal: seal, qrText: text,
                          qrCode: "data:image/png;base64," + Data(qr.png(moduleSize: 3)).base64EncodedString(), qrVersion: qr.version)
        }
        guard let sealed else { throw AppError.notFound("no person \(id.uuidString.lowercased()) in your municipality") }
        return try JSONEncoder.response(sealed, status: .created)
    }

    /// A unique vaccination certificate identifier: "JP" and ten characters of Crockford's base32
    /// (no I, L, O or U, so that it can be read aloud and typed), 50 random bits.
    static func uvci() -> String {
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        return "JP" + String((0..<10).map { _ in alphabet[Int.random(in: 0..<32)] })
    }

    private static func person(_ context: AppRequestContext) throws -> (MunicipalityCode, UUID) {
        guard let municipality = try context.user.municipality else { throw AppError.forbidden("only municipal staff issue certificates") }
        guard let id = UUID(uuidString: try context.parameters.require("personId")) else {
            throw AppError.notFound("no such person: person ids are UUIDs")
        }
        return (municipality, id)
    }
}
