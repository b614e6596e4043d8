import Foundation
import Hummingbird
import Logging
import PostgresNIO
import VRSDomain
import VRSStore

/// One dose of the caller's municipality, and its corrections: void, move (or hand over to the
/// municipality it belongs to) and amend. Each correction names the version it read (If-Match),
/// needs a reason, and answers the dose as it is now with its new ETag.
struct DoseCorrectionController: Sendable {
    let database: Database

    func addRoutes(to router: Router<AppRequestContext>) {
        let staff = router.group("v1/vaccinations").add(middleware: RequireRole(roles: [.staff, .admin]))
        staff.get(":vaccinationId") { _, context in
            let (municipality, id) = try target(context)
            let record = try await database.transaction(for: context) { connection in
                let record = try await VaccinationRepository(logger: context.logger).find(id: id, in: municipality, on: connection)
                try await AuditLog(logger: context.logger).append(
                    context.event("vaccination.read", target: ("vaccination", id.uuidString.lowercased()), outcome: record == nil ? .failure : .success),
                    on: connection)
                return record
            }
            guard let record else { throw AppError.notFound("no dose \(id.uuidString.lowercased()) in your municipality") }
            return try answer(record)
        }
        staff.post(":vaccinationId/void") { request, context in
            let (municipality, id) = try target(context)
            let version = try request.ifMatchVersion()
            let reason = try CorrectionReason.check(try await request.decodeJSON(as: ReasonBody.self, context: context).reason)
            return try await correct(id, in: municipality, context: context) { corrections, connection in
                _ = try await corrections.void(id, version: version, reason: reason, on: connection)
            }
        }
        staff.patch(":vaccinationId") { request, context in
            let (municipality, id) = try target(context)
            let version = try request.ifMatchVersion()
            let (reason, amendment) = try await request.decodeJSON(as: DoseAmendmentBody.self, context: context).checked(today: .today())
            return try await correct(id, in: municipality, context: context) { corrections, connection in
                _ = try await corrections.amend(id, version: version, reason: reason, amendment, on: connection)
            }
        }
        staff.post(":vaccinationId/move") { request, context in
            let (municipality, id) = try target(context)
            let version = try request.ifMatchVersion()
            let body = try await request.decodeJSON(as: DoseMoveBody.self, context: context)
            let reason = try CorrectionReason.check(body.reason)
            let destination = body.municipalityCode.flatMap { $0 == municipality ? nil : $0 }
            if destination != nil, body.personId != nil {
                throw AppError.invalid([.init(field: "personId", code: "not_allowed",
                                              message: "a dose handed over to another municipality goes onto a coupon there (couponNumber), not a person")])
            }
            if destination == nil, body.couponNumber == nil, body.personId == nil {
                throw AppError.invalid([.init(field: "body", code: "required", message: "name couponNumber, personId or municipalityCode")])
            }
            return try await correct(id, in: municipality, context: context) { corrections, connection in
                if let destination {
                    _ = try await corrections.handOver(id, version: version, reason: reason, to: destination, coupon: body.couponNumber, on: connection)
                } else {
                    _ = try await corrections.move(id, version: version, reason: reason, coupon: body.couponNumber, person: body.personId, on: connection)
                }
            }
        }
    }

    /// Runs a correction in the caller's transaction and answers the dose as it is afterwards.
    private func correct(_ id: UUID, in municipality: MunicipalityCode, context: AppRequestContext,
                         _ body: @escaping @Sendable (DoseCorrections, PostgresConnection) async throws -> Void) async throws -> Response {
        let user = try context.user
        let actor = ActorLabels(actorID: user.userID, actorRole: user.role.rawValue, requestID: context.requestID)
        let record = try await database.transaction(for: context) { connection in
            try await body(DoseCorrections(actor: actor, logger: context.logger), connection)
            return try await VaccinationRepository(logger: context.logger).find(id: id, in: municipality, on: connection)
        }
        guard let record else { throw AppError.notFound("no dose \(id.uuidString.lowercased()) in your municipality") }
        return try answer(record)
    }

    private func answer(_ record: VaccinationRecord) throws -> Response {
        try JSONEncoder.response(VaccinationView(record)).tagged(record.version)
    }

    private func target(_ context: AppRequestContext) throws -> (MunicipalityCode, UUID) {
        guard let municipality = try context.user.municipality else { throw AppError.forbidden("only municipal staff correct doses") }
        guard let id = UUID(uuidString: try context.parameters.require("vaccinationId")) else {
            throw AppError.notFound("no such dose: dose ids are UUIDs")
        }
        return (municipality, id)
    }
}
