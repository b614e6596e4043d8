import Foundation
import Hummingbird
import Logging
import PostgresNIO
import VRSDomain
import VRSStore

/// Corrections of registrations (amend, merge) and the history of a person, their coupons and doses.
struct PersonCorrectionController: Sendable {
    let database: Database
    let keyRing: KeyRing

    func addRoutes(to router: Router<AppRequestContext>) {
        let staff = router.group("v1/persons").add(middleware: RequireRole(roles: [.staff, .admin]))
        staff.patch(":personId") { request, context in
            let (municipality, id) = try target(context)
            let version = try request.ifMatchVersion()
            let (reason, amendment) = try await request.decodeJSON(as: PersonAmendmentBody.self, context: context).checked(today: .today())
            let view = try await database.transaction(for: context) { connection in
                _ = try await PersonCorrections(actor: actor(context), logger: context.logger).amend(
                    id, version: version, reason: reason, amendment, in: municipality, on: connection)
                try await AuditLog(logger: context.logger).append(
                    context.event("person.amend", target: ("person", id.uuidString.lowercased()), details: ["fields": amendment.fields.joined(separator: ",")]),
                    on: connection)
                return try await readPerson(id, in: municipality, keyRing: keyRing, on: connection, logger: context.logger)
            }
            guard let view else { throw AppError.notFound("no person \(id.uuidString.lowercased()) in your municipality") }
            return try JSONEncoder.response(view).tagged(view.version)
        }
        staff.post(":personId/merge") { request, context in
            let (municipality, id) = try target(context)
            let version = try request.ifMatchVersion()
            let body = try await request.decodeJSON(as: PersonMergeBody.self, context: context)
            let reason = try CorrectionReason.check(body.reason)
            let view = try await database.transaction(for: context) { connection in
                _ = try await PersonCorrections(actor: actor(context), logger: context.logger).merge(
                    id, version: version, into: body.intoPersonId, reason: reason, on: connection)
                return try await readPerson(body.intoPersonId, in: municipality, keyRing: keyRing, on: connection, logger: context.logger)
            }
            guard let view else { throw AppError.notFound("no person \(body.intoPersonId.uuidString.lowercased()) in your municipality") }
            return try JSONEncoder.response(view).tagged(view.version)
        }
        staff.get(":personId/history") { request, context in
            let (municipality, id) = try target(context)
            let limit = try request.pageLimit()
            let after = try Self.cursor(request)
            let changes = try await database.transaction(for: context) { connection in
                guard try await PersonRepository(keyRing: keyRing, logger: context.logger).find(id: id, in: municipality, on: connection) != nil else {
                    return [RecordChange]?.none
                }
                let changes = try await RecordHistory(logger: context.logger).changes(
                    of: id, in: municipality, after: after, limit: limit + 1, on: connection)
                try await AuditLog(logger: context.logger).append(
                    context.event("person.history", target: ("person", id.uuidString.lowercased())), on: connection)
                return changes
            }
            guard let changes else { throw AppError.notFound("no person \(id.uuidString.lowercased()) in your municipality") }
            let page = changes.prefix(limit)
            return try JSONEncoder.response(HistoryView(
                changes: page.map(ChangeView.init), next: changes.count > limit ? page.last.map { String($0.changeID) } : nil))
        }
    }

    /// `?after=`: the last change id of the previous page (0 or absent: from the start).
    static func cursor(_ request: Request) throws -> Int64 {
        guard let text = try request.singleQueryValue("after") else { return 0 }
        guard let after = Int64(text), after >= 0 else {
            throw AppError.invalid([.init(field: "after", code: "invalid", message: "must be the changeId of the last change of the previous page")])
        }
        return after
    }

    private func actor(_ context: AppRequestContext) throws -> ActorLabels {
        let user = try context.user
        return ActorLabels(actorID: user.userID, actorRole: user.role.rawValue, requestID: context.requestID)
    }

    private func target(_ context: AppRequestContext) throws -> (MunicipalityCode, UUID) {
        guard let municipality = try context.user.municipality else { throw AppError.forbidden("only municipal staff correct registrations") }
        guard let id = UUID(uuidString: try context.parameters.require("personId")) else {
            throw AppError.notFound("no such person: person ids are UUIDs")
        }
        return (municipality, id)
    }
}
