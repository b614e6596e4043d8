import Foundation
import Hummingbird
import Logging
import Metrics
import PostgresNIO
import VRSDomain
import VRSStore

/// Transfer inquiries (転入者の接種記録照会): a single inquiry, batches, and an admin's clearing
/// of the not-found lock. The number goes to `TransferInquiries` and nowhere else: not into a
/// log line, an audit event or an answer.
struct TransferController: Sendable {
    let database: Database
    let keyRing: KeyRing
    let maxImportSize: Int
    let retention: Duration

    static let inquiries = "vrs_transfer_inquiries_total"
    static let locks = Counter(label: "vrs_transfer_inquiry_locks_total")

    struct Body: Decodable {
        let previousMunicipalityCode: String
        let personalNumber: String
        let personId: String?
        let purpose: String?
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        let staff = router.group("v1/transfer-inquiries").add(middleware: RequireRole(roles: [.staff, .admin]))
        staff.post { request, context in try await inquire(request, context: context) }
        staff.get("purposes") { _, context in
            struct Purpose: Encodable { let code: String; let name: String; let basis: String; let isDefault: Bool }
            struct Purposes: Encodable { let purposes: [Purpose] }
            let purposes = try await database.transaction(for: context) { connection in
                var purposes: [Purpose] = []
                let rows = try await connection.query(
                    "SELECT code, name, basis, is_default FROM vrs.inquiry_purpose ORDER BY NOT is_default, code", logger: context.logger)
                for try await (code, name, basis, isDefault) in rows.decode((String, String, String, Bool).self) {
                    purposes.append(Purpose(code: code, name: name, basis: basis, isDefault: isDefault))
                }
                return purposes
            }
            return try JSONEncoder.response(Purposes(purposes: purposes))
        }
        let batches = TransferBatchRoutes(database: database, keyRing: keyRing, maxImportSize: maxImportSize, retention: retention)
        staff.post("batches") { request, context in try await batches.submit(request, context: context) }
        staff.get("batches/:batchId") { request, context in try await batches.show(request, context: context) }

        let admin = router.group("v1/users").add(middleware: RequireRole(roles: [.admin]))
        admin.post(":userId/inquiry-unlock") { _, context in try await unlock(context) }
    }

    private func inquire(_ request: Request, context: AppRequestContext) async throws -> Response {
        let user = try context.user
        guard let municipality = user.municipality else { throw AppError.forbidden("only municipal staff ask other municipalities") }
        let (provider, number, person, purpose) = try Self.checked(try await request.decodeJSON(as: Body.self, context: context))
        if provider == municipality {
            throw AppError.invalid([.init(field: "previousMunicipalityCode", code: "own_municipality",
                                          message: "municipality \(provider) is your own: look the person up in your ledger instead")])
        }
        let actor = ActorLabels(actorID: user.userID, actorRole: user.role.rawValue, requestID: context.requestID)
        let answer = try await database.transaction(for: context) { connection in
            try await TransferInquiries(keyRing: keyRing, actor: actor, logger: context.logger)
                .ask(number, of: provider, purpose: purpose, person: person, on: connection)
        }
        Counter(label: Self.inquiries, dimensions: [("outcome", answer.found ? "found" : "not_found")]).increment()
        if answer.locked {
            Self.locks.increment()
            context.logger.warning("transfer inquiries locked by the not-found guard", metadata: ["user": "\(user.userID)"])
        }
        return try JSONEncoder.response(TransferInquiryView(answer, provider: provider.rawValue, person: person))
    }

    /// The body's fields, each problem named by its JSON field (the number's by its rule only).
    static func checked(_ body: Body) throws -> (MunicipalityCode, IndividualNumber, UUID?, String?) {
        var errors: [Problem.FieldError] = []
        var provider: MunicipalityCode?
        var number: IndividualNumber?
        var person: UUID?
        do { provider = try MunicipalityCode(body.previousMunicipalityCode, field: "previousMunicipalityCode") } catch {
            errors.append(.init(field: error.field, code: error.rule.code, message: error.message))
        }
        do { number = try IndividualNumber(body.personalNumber, field: "personalNumber") } catch {
            errors.append(.init(field: error.field, code: error.rule.code, message: error.message))
        }
        if let text = body.personId {
            person = UUID(uuidString: text)
            if person == nil { errors.append(.init(field: "personId", code: "malformed", message: "not a person id (a UUID)")) }
        }
        var purpose: String?
        do { purpose = try Self.purpose(body.purpose) } catch { errors.append(error) }
        guard errors.isEmpty, let provider, let number else { throw AppError.invalid(errors) }
        return (provider, number, person, purpose)
    }

    /// A purpose as given (body field or query parameter): trimmed, nil when absent. Whether the
    /// code exists and is allowed between the two municipalities is the door's to say (VRS53).
    static func purpose(_ text: String?) throws(Problem.FieldError) -> String? {
        guard let text = text?.trimmingCharacters(in: .whitespaces) else { return nil }
        guard !text.isEmpty, text.count <= 40 else {
            throw .init(field: "purpose", code: "malformed", message: "name a purpose code of GET /v1/transfer-inquiries/purposes, or leave it out")
        }
        return text
    }

    private func unlock(_ context: AppRequestContext) async throws -> Response {
        let user = try context.user
        guard user.municipality != nil else { throw AppError.forbidden("only a municipality's admin clears its users' locks") }
        let account = try context.parameters.require("userId")
        let cleared = try await database.transaction(for: context) { connection in
            let rows = try await connection.query(
                "SELECT vrs.clear_inquiry_lock(\(account), \(user.userID), \(context.requestID))", logger: context.logger)
            for try await cleared in rows.decode(Bool.self) { return cleared }
            return false
        }
        guard cleared else { throw AppError.notFound("user \(account) of your municipality has no inquiry lock") }
        return Response(status: .noContent)
    }
}
