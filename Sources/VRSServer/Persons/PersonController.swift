import Foundation
import Hummingbird
import Logging
import PostgresNIO
import VRSDomain
import VRSStore

/// Targets, coupons and flags of the caller's own municipality (staff and admins).
struct PersonController: Sendable {
    let database: Database
    let keyRing: KeyRing
    let maxImportSize: Int

    struct NewCouponBody: Decodable { let couponNumber: CouponNumber; let kind: CouponKind; let dose: Int? }
    struct StatusBody: Decodable { let status: PersonStatus; let effectiveDate: CalendarDate?; let destinationCode: MunicipalityCode? }
    struct SearchResult: Encodable { let persons: [PersonView] }

    func addRoutes(to router: Router<AppRequestContext>) {
        let staff = router.group("v1/persons").add(middleware: RequireRole(roles: [.staff, .admin]))
        staff.post("import") { request, context in
            try await PersonImportRoute(database: database, keyRing: keyRing, maxImportSize: maxImportSize).handle(request, context: context)
        }
        staff.post { request, context in
            try await PersonRegistrationRoute(database: database, keyRing: keyRing).handle(request, context: context)
        }
        staff.get { request, context in try await search(request, context: context) }
        staff.get(":personId") { _, context in
            let (municipality, id) = try target(context)
            let view = try await database.transaction(for: context) { connection in
                let view = try await readPerson(id, in: municipality, keyRing: keyRing, on: connection, logger: context.logger)
                try await AuditLog(logger: context.logger).append(
                    context.event("person.read", target: ("person", id.uuidString.lowercased()), outcome: view == nil ? .failure : .success), on: connection)
                return view
            }
            guard let view else { throw AppError.notFound("no person \(id.uuidString.lowercased()) in your municipality") }
            return try JSONEncoder.response(view).tagged(view.version)
        }
        staff.post(":personId/coupons") { request, context in
            let (municipality, id) = try target(context)
            let body = try await request.decodeJSON(as: NewCouponBody.self, context: context)
            if let dose = body.dose, !(1...9).contains(dose) {
                throw AppError.invalid([.init(field: "dose", code: "out_of_range", message: "must be between 1 and 9")])
            }
            let view = try await database.transaction(for: context) { connection in
                guard try await PersonRepository(keyRing: keyRing, logger: context.logger).find(id: id, in: municipality, on: connection) != nil else {
                    return PersonView?.none
                }
                try await CouponRepository(logger: context.logger).issue(
                    NewCoupon(personID: id, number: body.couponNumber, kind: body.kind, dose: body.dose), in: municipality, on: connection)
                try await AuditLog(logger: context.logger).append(
                    context.event("coupon.issue", target: ("person", id.uuidString.lowercased()), details: ["couponNumber": body.couponNumber.rawValue]), on: connection)
                return try await readPerson(id, in: municipality, keyRing: keyRing, on: connection, logger: context.logger)
            }
            guard let view else { throw AppError.notFound("no person \(id.uuidString.lowercased()) in your municipality") }
            return try JSONEncoder.response(view, status: .created).tagged(view.version)
        }
        staff.post(":personId/status") { request, context in
            let (municipality, id) = try target(context)
            let body = try await request.decodeJSON(as: StatusBody.self, context: context)
            try Self.check(body)
            let view = try await database.transaction(for: context) { connection in
                let found = try await PersonRepository(keyRing: keyRing, logger: context.logger).setStatus(
                    body.status, effectiveOn: body.status == .active ? nil : body.effectiveDate,
                    destination: body.status == .movedOut ? body.destinationCode : nil, of: id, in: municipality, on: connection)
                guard found else { return PersonView?.none }
                try await AuditLog(logger: context.logger).append(
                    context.event("person.status", target: ("person", id.uuidString.lowercased()), details: ["status": body.status.rawValue]), on: connection)
                return try await readPerson(id, in: municipality, keyRing: keyRing, on: connection, logger: context.logger)
            }
            guard let view else { throw AppError.notFound("no person \(id.uuidString.lowercased()) in your municipality") }
            return try JSONEncoder.response(view).tagged(view.version)
        }
    }

    static func check(_ body: StatusBody) throws {
        if body.status != .active, body.effectiveDate == nil {
            throw AppError.invalid([.init(field: "effectiveDate", code: "required", message: "is required for \(body.status.rawValue)")])
        }
        if let date = body.effectiveDate, date > CalendarDate.today() {
            throw AppError.invalid([.init(field: "effectiveDate", code: "future_date", message: ValidationRule.future.message)])
        }
        if body.destinationCode != nil, body.status != .movedOut {
            throw AppError.invalid([.init(field: "destinationCode", code: "not_allowed", message: "only a move-out has a destination")])
        }
    }

    /// `?addressNumber=` | `?personalNumber=` | `?couponNumber=`, exactly one; audited with the kind of key only.
    private func search(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let municipality = try context.user.municipality else { throw AppError.forbidden("only municipal staff search people") }
        let keys = ["addressNumber", "personalNumber", "couponNumber"]
        let given = keys.filter { !request.uri.queryParameters.getAll($0).isEmpty }
        guard given.count == 1, let kind = given.first, let text = try request.singleQueryValue(kind) else {
            throw AppError.invalid([.init(field: given.first ?? "addressNumber", code: "required",
                                          message: "give exactly one of addressNumber, personalNumber or couponNumber")])
        }
        let repository = PersonRepository(keyRing: keyRing, logger: context.logger)
        let view = try await database.transaction(for: context) { connection in
            let person: PersonRecord?
            switch kind {
            case "personalNumber": person = try await repository.find(individualNumber: IndividualNumber(text, field: kind), in: municipality, on: connection)
            case "couponNumber": person = try await repository.find(couponNumber: CouponNumber(text, field: kind), in: municipality, on: connection)
            default:
                guard (1...RegistrationLimits.addressNumber).contains(text.unicodeScalars.count) else {
                    throw AppError.invalid([.init(field: kind, code: "length", message: "must be 1–\(RegistrationLimits.addressNumber) characters")])
                }
                person = try await repository.find(addressNumber: text, in: municipality, on: connection)
            }
            try await AuditLog(logger: context.logger).append(
                context.event("person.search", target: person.map { ("person", $0.id.uuidString.lowercased()) },
                              outcome: person == nil ? .failure : .success, details: ["key": kind, "found": person == nil ? "false" : "true"]),
                on: connection)
            guard let person else { return PersonView?.none }
            return try await readPerson(person.id, in: municipality, keyRing: keyRing, on: connection, logger: context.logger)
        }
        return try JSONEncoder.response(SearchResult(persons: view.map { [$0] } ?? []))
    }

    private func target(_ context: AppRequestContext) throws -> (MunicipalityCode, UUID) {
        guard let municipality = try context.user.municipality else { throw AppError.forbidden("only municipal staff read people") }
        guard let id = UUID(uuidString: try context.parameters.require("personId")) else {
            throw AppError.notFound("no such person: person ids are UUIDs")
        }
        return (municipality, id)
    }
}

/// A person with coupons and doses, read in the caller's transaction; the number is opened only to be masked.
func readPerson(_ id: UUID, in municipality: MunicipalityCode, keyRing: KeyRing, on connection: PostgresConnection, logger: Logger) async throws -> PersonView? {
    let repository = PersonRepository(keyRing: keyRing, logger: logger)
    guard let person = try await repository.find(id: id, in: municipality, on: connection) else { return nil }
    let masked = try await repository.revealIndividualNumber(of: person, on: connection).masked
    let coupons = try await CouponRepository(logger: logger).list(of: id, in: municipality, on: connection)
    let doses = try await VaccinationRepository(logger: logger).list(of: id, in: municipality, on: connection)
    return PersonView(person, maskedNumber: masked, coupons: coupons, vaccinations: doses)
}
