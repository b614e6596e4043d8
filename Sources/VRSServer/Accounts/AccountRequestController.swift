import Foundation
import Hummingbird
import Logging
import PostgresNIO
import VRSDomain
import VRSStore

/// Four-eyes account requests: `POST /v1/account-requests` (an operator asks for a further admin
/// or a reset), `GET /v1/account-requests` (what waits), `POST /v1/account-requests/{id}/approve`
/// (another operator carries it out and is shown the one-time password, once).
struct AccountRequestController: Sendable {
    let database: Database
    let hasher: PasswordHasher

    struct NewRequest: Decodable {
        let kind: String
        let userId: String
        let municipalityCode: String?
        let displayName: String?
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        let operators = router.group("v1/account-requests").add(middleware: RequireRole(roles: [.operator]))
        operators.post { request, context in
            let body = try await request.decodeJSON(as: NewRequest.self, context: context)
            let (kind, municipality, displayName) = try validated(body)
            let id = try await Self.file(kind, userID: body.userId, displayName: displayName, in: municipality, database: database, context: context)
            return try JSONEncoder.response(AccountRequestView.pending(id, kind: kind, userID: body.userId, municipality: municipality), status: .created)
        }
        operators.get { _, context in
            let pending = try await database.transaction(for: context) { connection in
                try await AccountRequestRepository(logger: context.logger).pending(on: connection)
            }
            struct List: Encodable { let requests: [AccountRequestView] }
            return try JSONEncoder.response(List(requests: pending.map(AccountRequestView.init)))
        }
        operators.post(":requestId/approve") { _, context in
            guard let id = UUID(uuidString: try context.parameters.require("requestId")) else {
                throw AppError.notFound("no such account request")
            }
            let (password, hash) = await hasher.oneTimePassword()
            let trace = try context.doorTrace()
            let approved = try await database.transaction(for: context) { connection in
                do {
                    return try await AccountRequestRepository(logger: context.logger).approve(id, passwordHash: hash, trace: trace, on: connection)
                } catch StoreError.duplicate {
                    throw UserController.taken
                }
            }
            return try JSONEncoder.response(IssuedPasswordView(
                userId: approved.userID, role: approved.role, municipalityCode: approved.municipality.rawValue, initialPassword: password))
        }
    }

    /// Files a request in the caller's (an operator's) transaction; one waiting request per user ID.
    static func file(_ kind: AccountRequest.Kind, userID: String, displayName: String?, in municipality: MunicipalityCode?,
                     database: Database, context: AppRequestContext) async throws -> UUID {
        let trace = try context.doorTrace()
        return try await database.transaction(for: context) { connection in
            do {
                return try await AccountRequestRepository(logger: context.logger).request(
                    kind, userID: userID, displayName: displayName, in: municipality, trace: trace, on: connection)
            } catch StoreError.duplicate(let constraint) where constraint == "account_request_pending_key" {
                throw AppError.conflict("a request for \(userID) is already waiting for approval")
            } catch StoreError.duplicate {
                throw UserController.taken
            }
        }
    }

    private func validated(_ body: NewRequest) throws -> (AccountRequest.Kind, MunicipalityCode?, String?) {
        // A malformed code is a 422 naming municipalityCode on its own.
        let municipality = try body.municipalityCode.map { try MunicipalityCode($0, field: "municipalityCode") }
        var errors: [Problem.FieldError] = []
        let kind = AccountRequest.Kind(rawValue: body.kind)
        if kind == nil { errors.append(.init(field: "kind", code: "not_allowed", message: "must be \"create_admin\" or \"reset_password\"")) }
        if !AccountID.isWellFormed(body.userId) {
            errors.append(.init(field: "userId", code: "format", message: "3–64 letters, digits or . _ @ -, starting with a letter or digit"))
        }
        if municipality == nil && kind == .createAdmin {
            errors.append(.init(field: "municipalityCode", code: "required", message: "a new admin needs the municipality"))
        }
        let name = body.displayName?.trimmingCharacters(in: .whitespacesAndNewlines)
        if kind == .createAdmin, name == nil || name!.isEmpty || name!.unicodeScalars.count > 100 {
            errors.append(.init(field: "displayName", code: "length", message: "must be 1–100 characters"))
        }
        guard errors.isEmpty, let kind else { throw AppError.invalid(errors) }
        return (kind, municipality, kind == .createAdmin ? name : nil)
    }
}

/// An account request as operators see it (never a password).
struct AccountRequestView: Encodable, Sendable {
    let id: String
    let kind: String
    let status: String
    let userId: String
    let municipalityCode: String?
    let requestedBy: String?
    let requestedAt: Date?
    let expiresAt: Date?

    init(_ request: AccountRequest) {
        id = request.id.uuidString.lowercased()
        kind = request.kind.rawValue
        status = request.status
        userId = request.userID
        municipalityCode = request.municipality.rawValue
        requestedBy = request.requestedBy
        requestedAt = request.requestedAt
        expiresAt = request.expiresAt
    }

    private init(id: UUID, kind: AccountRequest.Kind, userID: String, municipality: MunicipalityCode?) {
        self.id = id.uuidString.lowercased()
        self.kind = kind.rawValue
        status = "pending"
        userId = userID
        municipalityCode = municipality?.rawValue
        requestedBy = nil
        requestedAt = nil
        expiresAt = nil
    }

    /// A request just filed: it waits for another operator.
    static func pending(_ id: UUID, kind: AccountRequest.Kind, userID: String, municipality: MunicipalityCode?) -> AccountRequestView {
        AccountRequestView(id: id, kind: kind, userID: userID, municipality: municipality)
    }
}

extension AppRequestContext {
    /// The signed-in operator's session and this call's ids, for the doors that identify the
    /// operator by the session itself.
    func doorTrace() throws -> AccountRequestRepository.Trace {
        AccountRequestRepository.Trace(session: try user.tokenHash, requestID: requestID, clientAddress: clientAddress)
    }
}
