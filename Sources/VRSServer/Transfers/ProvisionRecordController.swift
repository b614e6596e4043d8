import Foundation
import Hummingbird
import Logging
import PostgresNIO
import VRSDomain
import VRSStore

/// `GET /v1/provision-records`: for municipal staff, who asked us (inbound) and whom we asked
/// (outbound); for operators, counts per day and pair of municipalities, nothing else.
struct ProvisionRecordController: Sendable {
    let database: Database

    struct Page: Encodable { let records: [ProvisionRecordView]; let nextAfter: String? }
    struct Counts: Encodable { let counts: [Count] }
    struct Count: Encodable {
        let day: String, requesterCode: String, providerCode: String, inquiries: Int, found: Int, records: Int
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        let group = router.group("v1/provision-records").add(middleware: RequireRole(roles: [.staff, .admin, .operator]))
        group.get { request, context in
            let user = try context.user
            guard let municipality = user.municipality else { return try await counts(request, context: context) }
            let direction = try Self.direction(request)
            let from = try request.instant("from"), to = try request.instant("to")
            let after = try request.singleQueryValue("after").map { text in
                guard let id = UUID(uuidString: text) else {
                    throw AppError.invalid([.init(field: "after", code: "malformed", message: "the nextAfter of the previous page (an inquiry id)")])
                }
                return id
            }
            let limit = try request.pageLimit()
            let records = try await database.transaction(for: context) { connection in
                let records = try await ProvisionRecords(logger: context.logger).list(
                    direction, in: municipality, from: from, to: to, after: after, limit: limit + 1, on: connection)
                try await AuditLog(logger: context.logger).append(
                    context.event("provision.list", target: nil, details: ["direction": direction.rawValue]), on: connection)
                return records
            }
            let page = records.prefix(limit).map { ProvisionRecordView($0, direction: direction) }
            return try JSONEncoder.response(Page(records: page, nextAfter: records.count > limit ? page.last?.inquiryId : nil))
        }
    }

    private func counts(_ request: Request, context: AppRequestContext) async throws -> Response {
        func day(_ name: String) throws -> CalendarDate? {
            guard let text = try request.singleQueryValue(name) else { return nil }
            do { return try CalendarDate(String(text.prefix(10))) } catch {
                throw AppError.invalid([.init(field: name, code: "malformed", message: "a date such as 2026-12-01")])
            }
        }
        // A ValidationError names the field; the problem middleware answers it with 422.
        let municipality = try request.singleQueryValue("municipalityCode").map { try MunicipalityCode($0, field: "municipalityCode") }
        let from = try day("from"), to = try day("to")
        let limit = try request.pageLimit()
        let counts = try await database.transaction(for: context) { connection in
            try await ProvisionRecords(logger: context.logger).daily(from: from, to: to, municipality: municipality, limit: limit, on: connection)
        }
        return try JSONEncoder.response(Counts(counts: counts.map {
            Count(day: $0.day, requesterCode: $0.requesterCode, providerCode: $0.providerCode, inquiries: $0.inquiries, found: $0.found,
                  records: $0.records)
        }))
    }

    static func direction(_ request: Request) throws -> ProvisionRecords.Direction {
        guard let text = try request.singleQueryValue("direction") else {
            throw AppError.invalid([.init(field: "direction", code: "required", message: "name inbound (who asked us) or outbound (whom we asked)")])
        }
        guard let direction = ProvisionRecords.Direction(rawValue: text) else {
            throw AppError.invalid([.init(field: "direction", code: "not_one_of", message: ValidationRule.notOneOf(["inbound", "outbound"]).message)])
        }
        return direction
    }
}
