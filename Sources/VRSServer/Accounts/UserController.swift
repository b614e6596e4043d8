import Foundation
import Hummingbird
import Logging
import PostgresNIO
import VRSDomain
import VRSStore

/// Municipal user accounts. A municipality's admin creates, locks, unlocks and resets its own
/// staff (row-level security holds it to them). Operators create a municipality's first admin
/// alone; a further admin or a reset becomes an account request that another operator approves;
/// they lock and unlock municipal user IDs. Every operator action lands in the municipality's chain too.
struct UserController: Sendable {
    let database: Database
    let hasher: PasswordHasher

    func addRoutes(to router: Router<AppRequestContext>) {
        router.group("v1/municipalities").add(middleware: RequireRole(roles: [.operator]))
            .post(":code/users") { request, context in
                let code = try MunicipalityCode(context.parameters.require("code"), field: "code")
                return try await createByOperator(request, context, in: code)
            }
        let managers = router.group("v1/users").add(middleware: RequireRole(roles: [.admin, .operator]))
        managers.post { request, context in
            let user = try context.user
            guard user.role == .admin, let municipality = user.municipality else {
                throw AppError.forbidden("operators create users with POST /v1/municipalities/{code}/users")
            }
            return try await createByAdmin(request, context, in: municipality)
        }
        managers.get { request, context in try await list(request, context) }
        managers.post(":userId/lock") { _, context in try await setLocked(true, context) }
        managers.post(":userId/unlock") { _, context in try await setLocked(false, context) }
        managers.post(":userId/password-reset") { _, context in try await resetPassword(context) }
    }

    /// `GET /v1/users`: an admin's own municipality; an operator's `?municipalityCode=` (its admins
    /// and staff) or, without it, every municipality's admins. Names and states only, no secrets.
    private func list(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let user = try context.user
        let code = try request.singleQueryValue("municipalityCode").map { try MunicipalityCode($0, field: "municipalityCode") }
        if user.role == .admin, code != nil, code != user.municipality {
            throw AppError.forbidden("an admin lists its own municipality's accounts only")
        }
        let municipality = user.role == .admin ? user.municipality : code
        struct Listed: Encodable {
            let userId: String; let role: AccountRole; let municipalityCode: String?; let displayName: String
            let locked: Bool; let lockedByOperator: Bool; let mustChangePassword: Bool; let createdAt: Date
        }
        struct List: Encodable { let users: [Listed] }
        let accounts = try await database.transaction(for: context) { connection in
            try await AccountRepository(logger: context.logger).list(municipality: municipality, on: connection)
        }
        return try JSONEncoder.response(List(users: accounts.map {
            Listed(userId: $0.account.userID, role: $0.account.role, municipalityCode: $0.account.municipality?.rawValue,
                   displayName: $0.account.displayName, locked: $0.account.locked, lockedByOperator: $0.account.lockedByOperator,
                   mustChangePassword: $0.mustChangePassword, createdAt: $0.createdAt)
        }))
    }

    private func createByAdmin(_ request: Request, _ context: AppRequestContext, in municipality: MunicipalityCode) async throws -> Response {
        let (userID, role, displayName) = try await request.decodeJSON(as: NewUserRequest.self, context: context).validated()
        guard role == .staff else {
            throw AppError.forbidden("an admin creates staff; a further admin is asked of the operators, and a second operator approves it")
        }
        let (password, hash) = await hasher.oneTimePassword()
        try await database.transaction(for: context) { connection in
            do {
                try await AccountRepository(logger: context.logger).create(
                    NewAccount(userID: userID, role: role, municipality: municipality, displayName: displayName, passwordHash: hash),
                    on: connection)
            } catch StoreError.duplicate {
                throw Self.taken
            }
            try await AuditLog(logger: context.logger).append(
                context.event("user.create", target: ("user", userID), details: ["role": role.rawValue]), on: connection)
        }
        return try JSONEncoder.response(
            IssuedPasswordView(userId: userID, role: role, municipalityCode: municipality.rawValue, initialPassword: password), status: .created)
    }

    /// The first admin is created at once; a further one waits for a second operator (202).
    private func createByOperator(_ request: Request, _ context: AppRequestContext, in municipality: MunicipalityCode) async throws -> Response {
        let (userID, role, displayName) = try await request.decodeJSON(as: NewUserRequest.self, context: context).validated()
        guard role == .admin else {
            throw AppError.forbidden("operators create a municipality's admins; its staff are created by its admin (POST /v1/users)")
        }
        let (password, hash) = await hasher.oneTimePassword()
        let trace = try context.doorTrace()
        do {
            try await database.transaction(for: context) { connection in
                try await AccountRequestRepository(logger: context.logger).createFirstAdmin(
                    userID, displayName: displayName, passwordHash: hash, in: municipality, trace: trace, on: connection)
            }
        } catch StoreError.duplicate {
            throw Self.taken
        } catch StoreError.refused(.municipalityHasAdmin) {
            let id = try await AccountRequestController.file(
                .createAdmin, userID: userID, displayName: displayName, in: municipality, database: database, context: context)
            return try JSONEncoder.response(
                AccountRequestView.pending(id, kind: .createAdmin, userID: userID, municipality: municipality), status: .accepted)
        }
        return try JSONEncoder.response(
            IssuedPasswordView(userId: userID, role: .admin, municipalityCode: municipality.rawValue, initialPassword: password), status: .created)
    }

    private func setLocked(_ locked: Bool, _ context: AppRequestContext) async throws -> Response {
        let userID = try context.parameters.require("userId")
        if userID == (try context.user).userID { throw AppError.conflict("you cannot lock, unlock or reset your own account") }
        if try context.user.role == .operator {
            let trace = try context.doorTrace()
            try await database.transaction(for: context) { connection in
                _ = try await AccountRequestRepository(logger: context.logger).setLocked(userID, locked, trace: trace, on: connection)
            }
        } else {
            try await database.transaction(for: context) { connection in
                let accounts = AccountRepository(logger: context.logger)
                try await requireStaff(userID, accounts: accounts, on: connection)
                guard try await accounts.setLocked(userID, locked, on: connection) else { throw Self.lockedByOperator }
                try await AuditLog(logger: context.logger).append(context.event(locked ? "user.lock" : "user.unlock", target: ("user", userID)), on: connection)
            }
        }
        struct LockView: Encodable { let userId: String; let locked: Bool }
        return try JSONEncoder.response(LockView(userId: userID, locked: locked))
    }

    /// An admin resets its staff at once; an operator's reset waits for a second operator (202).
    private func resetPassword(_ context: AppRequestContext) async throws -> Response {
        let userID = try context.parameters.require("userId")
        if userID == (try context.user).userID { throw AppError.conflict("you cannot lock, unlock or reset your own account") }
        if try context.user.role == .operator {
            let id = try await AccountRequestController.file(
                .resetPassword, userID: userID, displayName: nil, in: nil, database: database, context: context)
            let municipality = try await database.transaction(for: context) { connection in
                try await AccountRepository(logger: context.logger).managed(userID, on: connection)?.municipality
            }
            return try JSONEncoder.response(
                AccountRequestView.pending(id, kind: .resetPassword, userID: userID, municipality: municipality), status: .accepted)
        }
        let (password, hash) = await hasher.oneTimePassword()
        let account = try await database.transaction(for: context) { connection in
            let accounts = AccountRepository(logger: context.logger)
            let account = try await requireStaff(userID, accounts: accounts, on: connection)
            guard try await accounts.resetPassword(userID, hash: hash, on: connection) else { throw Self.lockedByOperator }
            try await AuditLog(logger: context.logger).append(context.event("user.password.reset", target: ("user", userID)), on: connection)
            return account
        }
        return try JSONEncoder.response(IssuedPasswordView(
            userId: account.userID, role: account.role, municipalityCode: account.municipality?.rawValue, initialPassword: password))
    }

    /// The staff account an admin manages: 404 for what it cannot see, 403 for another admin.
    @discardableResult
    private func requireStaff(_ userID: String, accounts: AccountRepository, on connection: PostgresConnection) async throws -> ManagedAccount {
        guard let account = try await accounts.managed(userID, on: connection) else {
            throw AppError.notFound("no municipal user \(userID) that you manage")
        }
        guard account.role == .staff else {
            throw AppError.forbidden("admins manage their staff; another admin is locked by an operator or reset through an account request")
        }
        if account.lockedByOperator { throw Self.lockedByOperator }
        return account
    }

    /// Row-level security keeps an operator's lock out of the admin's reach; the answer says why.
    static let lockedByOperator = AppError.forbidden("an operator locked this account: only an operator can lift the lock")

    /// The same answer whether the ID is taken in this municipality, another one or by an operator.
    static let taken = AppError.conflict("this user ID is not available; choose another")
}
