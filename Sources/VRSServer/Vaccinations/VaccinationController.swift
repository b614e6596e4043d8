import Foundation
import Hummingbird
import Logging
import PostgresNIO
import VRSDomain
import VRSStore

/// Doses recorded by municipal staff for their own municipality, and the pending list.
struct VaccinationController: Sendable {
    let database: Database
    let maxImportSize: Int

    struct PendingList: Encodable { let pending: [VaccinationView] }

    func addRoutes(to router: Router<AppRequestContext>) {
        let staff = router.group("v1/vaccinations").add(middleware: RequireRole(roles: [.staff, .admin]))
        staff.post { request, context in
            let user = try context.user
            guard let municipality = user.municipality else { throw AppError.forbidden("only municipal staff record doses") }
            let body = try await request.decodeJSON(as: DoseBody.self, context: context)
            let (report, code) = try body.report(requireClientRecordID: false, today: CalendarDate.today())
            guard code.municipality == municipality else {
                throw AppError.invalid([.init(field: "couponCode", code: "other_municipality",
                    message: "the coupon was issued by \(code.municipality.rawValue), not your municipality; the site's tablet records it there")])
            }
            let outcome = try await database.transaction(for: context) { connection in
                try await VaccinationRepository(logger: context.logger).recordByStaff(
                    report, source: "staff", actor: user.userID, requestID: context.requestID, on: connection)
            }
            return try JSONEncoder.response(DoseAnswer(outcome), status: .created)
        }
        staff.post("import") { request, context in
            try await VaccinationImportRoute(database: database, maxImportSize: maxImportSize).handle(request, context: context)
        }
        staff.get("pending") { request, context in
            guard let municipality = try context.user.municipality else { throw AppError.forbidden("only municipal staff read pending records") }
            let limit = try request.pageLimit()
            let records = try await database.transaction(for: context) { connection in
                try await VaccinationRepository(logger: context.logger).pending(in: municipality, limit: limit, on: connection)
            }
            return try JSONEncoder.response(PendingList(pending: records.map(VaccinationView.init)))
        }
    }
}
