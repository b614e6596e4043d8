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
        case "shc":
            return try await issue(SmartHealthCardFormat(database: database, master: master, issuer: issuer), person: id, in: municipality, context: context)
        case "vds-nc":
            guard let passport = body.passport else {
                throw AppError.invalid([.init(field: "passport", code: "required", message: "is required for vds-nc (number, surname, givenName, nationality)")])
            }
            let document: TravelDocument
            do {
                document = try TravelDocument(number: passport.number, surname: passport.surname, givenName: passport.givenName, nationality: passport.nationality)
            } catch {
                throw AppError.invalid([.init(field: error.field, code: error.code, message: error.message)])
            }
            return try await issue(VaccinationSealFormat(database: database, master: master, passport: document), person: id, in: municipality, context: context)
        default:
            throw AppError.invalid([.init(field: "format", code: "not_one_of", message: "must be shc (SMART Health Card) or vds-nc (ICAO VDS-NC)")])
        }
    }

    /// Issues one certificate of `format` to a person of the caller's municipality: signed, recorded
    /// (never the certificate itself) and audited in one transaction.
    private func issue<Format: CertificateFormat>(_ format: Format, person id: UUID, in municipality: MunicipalityCode,
                                                  context: AppRequestContext) async throws -> Response {
        let actor = try context.user.userID
        let issuedAt = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let answer = try await database.transaction(for: context) { connection -> IssuedCertificateView<Format.Answer>? in
            guard let person = try await PersonRepository(keyRing: keyRing, logger: context.logger).find(id: id, in: municipality, on: connection) else {
                return nil
            }
            let draft = CertificateDraft(id: UUID(), person: person, issuedAt: issuedAt)
            let signed = try await format.sign(draft, on: connection, logger: context.logger)
            try await CertificateRepository(logger: context.logger).record(
                id: draft.id, personID: id, format: format.name, kid: signed.kid, revocationID: signed.revocationID, doseCount: signed.doseCount,
                issuedAt: issuedAt, actor: actor, in: municipality, on: connection)
            try await AuditLog(logger: context.logger).append(
                context.event("certificate.issue", target: ("person", id.uuidString.lowercased()),
                              details: ["certificateId": draft.id.uuidString.lowercased(), "format": format.name, "kid": signed.kid,
                                        "doses": String(signed.doseCount)]),
                on: connection)
            return IssuedCertificateView(certificateId: draft.id.uuidString.lowercased(), personId: id.uuidString.lowercased(),
                                         format: format.name, kid: signed.kid, issuedAt: issuedAt, doseCount: signed.doseCount,
                                         signed: signed.answer)
        }
        guard let answer else { throw AppError.notFound("no person \(id.uuidString.lowercased()) in your municipality") }
        return try JSONEncoder.response(answer, status: .created)
    }

    private static func person(_ context: AppRequestContext) throws -> (MunicipalityCode, UUID) {
        guard let municipality = try context.user.municipality else { throw AppError.forbidden("only municipal staff issue certificates") }
        guard let id = UUID(uuidString: try context.parameters.require("personId")) else {
            throw AppError.notFound("no such person: person ids are UUIDs")
        }
        return (municipality, id)
    }
}
