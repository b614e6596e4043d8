import Foundation
import Hummingbird
import Logging
import PostgresNIO
import VRSDomain
import VRSStore

/// `GET /v1/audit-events`: a municipality's admin reads its own chain, operators the central one.
/// The database decides which chain: the one bound to the caller's transaction.
struct AuditController: Sendable {
    let database: Database

    func addRoutes(to router: Router<AppRequestContext>) {
        router.group("v1/audit-events").add(middleware: RequireRole(roles: [.admin, .operator])).get { request, context in
            let limit = try request.pageLimit()
            let beforeText = try request.singleQueryValue("before")
            let before = beforeText.flatMap { Int64($0) }
            if beforeText != nil && before == nil {
                throw AppError.invalid([.init(field: "before", code: "type", message: "must be an event sequence number")])
            }
            var filter = AuditFilter(actionPrefix: try request.singleQueryValue("action"), actorID: try request.singleQueryValue("actorId"),
                                     outcome: try request.singleQueryValue("outcome"))
            if let outcome = filter.outcome, !["success", "failure", "denied"].contains(outcome) {
                throw AppError.invalid([.init(field: "outcome", code: "not_one_of", message: ValidationRule.notOneOf(["success", "failure", "denied"]).message)])
            }
            for (field, value) in [("action", filter.actionPrefix), ("actorId", filter.actorID)] {
                guard let value else { continue }
                if value.unicodeScalars.count > 64 {
                    throw AppError.invalid([.init(field: field, code: "too_long", message: ValidationRule.tooLong(max: 64).message)])
                }
                // PostgreSQL text cannot hold NUL; no action or user ID has control characters.
                if value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                    throw AppError.invalid([.init(field: field, code: "malformed", message: "must not contain control characters")])
                }
            }
            if filter.actionPrefix == "" { filter.actionPrefix = nil }
            if filter.actorID == "" { filter.actorID = nil }
            let events = try await database.transaction(for: context) { connection in
                try await AuditLog(logger: context.logger).list(limit: limit, before: before, filter: filter, on: connection)
            }
            struct Page: Encodable { let events: [AuditRecord]; let nextBefore: Int64? }
            return try JSONEncoder.response(Page(events: events, nextBefore: events.count == limit ? events.last?.seq : nil))
        }
    }
}
