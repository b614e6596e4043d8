import Foundation
import Hummingbird
import Logging
import PostgresNIO
import VRSDomain
import VRSStore

/// `POST /v1/persons`: one target with a coupon, through the same checks and statements as a
/// one-line file, so that a person registered by hand and by file are the same person.
struct PersonRegistrationRoute: Sendable {
    let database: Database
    let keyRing: KeyRing

    struct Body: Decodable {
        let addressNumber: String
        let personalNumber: String
        let familyName: String
        let givenName: String
        let familyNameKana: String
        let givenNameKana: String
        let birthDate: CalendarDate
        let sex: Sex
        let movedInOn: CalendarDate?
        let coupon: Coupon
        struct Coupon: Decodable { let couponNumber: CouponNumber; let kind: CouponKind; let previousCouponNumber: CouponNumber? }
    }

    func handle(_ request: Request, context: AppRequestContext) async throws -> Response {
        let user = try context.user
        guard let municipality = user.municipality else { throw AppError.forbidden("only municipal staff register targets") }
        let registration = try Self.registration(try await request.decodeJSON(as: Body.self, context: context))
        let importer = PersonImport(keyRing: keyRing, logger: context.logger)
        let view: PersonView = try await database.transaction(for: context) { connection in
            try await importer.lock(municipality, on: connection)
            let repository = PersonRepository(keyRing: keyRing, logger: context.logger)
            if let existing = try await repository.find(addressNumber: registration.person.addressNumber, in: municipality, on: connection) {
                throw AppError.conflict("address number registered already as person \(existing.id.uuidString.lowercased())")
            }
            let keyVersion = try await importer.stage(municipality, on: connection) { staging in
                try await staging.append(registration, line: 1)
            }
            if let conflict = try await importer.conflicts(municipality, limit: 1, on: connection).first {
                throw AppError.conflict("\(Self.field(conflict.column)): \(conflict.rule.message)")
            }
            _ = try await importer.apply(municipality, keyVersion: keyVersion, on: connection)
            guard let person = try await repository.find(addressNumber: registration.person.addressNumber, in: municipality, on: connection),
                  let view = try await readPerson(person.id, in: municipality, keyRing: keyRing, on: connection, logger: context.logger)
            else { throw AppError.notFound("the person just registered cannot be read back") }
            try await AuditLog(logger: context.logger).append(
                context.event("person.register", target: ("person", view.personId)), on: connection)
            return view
        }
        return try JSONEncoder.response(view, status: .created).tagged(view.version)
    }

    /// The body's fields under the file's rules, each problem named by its JSON field.
    static func registration(_ body: Body) throws -> PersonRegistration {
        var errors: [Problem.FieldError] = []
        func text(_ value: String, _ field: String, max: Int) -> String {
            let trimmed = value.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { errors.append(.init(field: field, code: "empty", message: ValidationRule.empty.message)) }
            if trimmed.unicodeScalars.count > max { errors.append(.init(field: field, code: "too_long", message: ValidationRule.tooLong(max: max).message)) }
            return trimmed
        }
        let address = text(body.addressNumber, "addressNumber", max: RegistrationLimits.addressNumber)
        let names = [(body.familyName, "familyName"), (body.givenName, "givenName"), (body.familyNameKana, "familyNameKana"), (body.givenNameKana, "givenNameKana")]
            .map { text($0.0, $0.1, max: RegistrationLimits.namePart) }
        var number: IndividualNumber?
        do { number = try IndividualNumber(body.personalNumber, field: "personalNumber") } catch {
            errors.append(.init(field: "personalNumber", code: error.rule.code, message: error.message))
        }
        let today = CalendarDate.today()
        if body.birthDate > today { errors.append(.init(field: "birthDate", code: "future_date", message: ValidationRule.future.message)) }
        if let movedIn = body.movedInOn, movedIn > today { errors.append(.init(field: "movedInOn", code: "future_date", message: ValidationRule.future.message)) }
        if body.coupon.previousCouponNumber == body.coupon.couponNumber {
            errors.append(.init(field: "coupon.previousCouponNumber", code: "conflict", message: "the previous coupon number is the coupon number itself"))
        }
        guard errors.isEmpty, let number else { throw AppError.invalid(errors) }
        let person = NewPerson(
            addressNumber: address, individualNumber: number, familyName: names[0], givenName: names[1],
            familyNameKana: names[2], givenNameKana: names[3], birthDate: body.birthDate, sex: body.sex, movedInOn: body.movedInOn)
        return PersonRegistration(person: person, couponNumber: body.coupon.couponNumber, couponKind: body.coupon.kind,
                                  previousCouponNumber: body.coupon.previousCouponNumber)
    }

    static func field(_ column: PersonImportColumn) -> String {
        switch column {
        case .individualNumber: "personalNumber"
        case .couponNumber: "coupon.couponNumber"
        case .previousCouponNumber: "coupon.previousCouponNumber"
        default: column.rawValue
        }
    }
}
