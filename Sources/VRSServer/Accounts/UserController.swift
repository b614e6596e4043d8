import Foundation
import Hummingbird
import Logging
import PostgresNIO
import VRSDomain
import VRSStore

/// Municipal user accounts: created by operators (any municipality) or a municipality's admin (its
/// own); locked, unlocked and reset by either. Row-level security limits an admin to its own users.
struct UserController: Sendable {
    let database: Database
    let hasher: PasswordHasher

    func addRoutes(to router: Router<AppRequestContext>) {
        router.group("v1/municipalities").add(middleware: RequireRole(roles: [.operator]))
            .post(":code/users") { request, context in
                let code = try MunicipalityCode(context.parameters.require("code"), field: "code")
                return try await create(request, context, in: code)
            }
        let managers = router.group("v1/users").add(middleware: RequireRole(roles: [.admin, .operator]))
        managers.post { request, context in
            let user = try context.user
            guard user.role == .admin, let municipality = user.municipality else {
                throw AppError.forbidden("operators create users with POST /v1/municipalities/{code}/users")
            }
            return try await create(request, context, in: municipality)
        }
        managers.post(":userId/lock") { _, context in try await setLocked(true, context) }
        managers.post(":userId/unlock") { _, context in try await setLocked(false, context) }
        managers.post(":userId/password-reset") { _, context in try await resetPassword(context) }
    }

    private func create(_ request: Request, _ context: AppRequestContext, in municipality: MunicipalityCode) async throws -> Response {
        let (userID, role, displayName) = try await request.decodeJSON(as: NewUserRequest.self, context: context).validated()
        let password = Secrets.initialPassword()
        let hash = await hasher.hash(password)
        try await database.transaction(for: context) { connection in
            guard try await MunicipalityRepository.exists(municipality, on: connection, logger: context.logger) else {
                throw AppError.notFound("municipality \(municipality) is not provisioned")
            }
            do {
                try await AccountRepository(logger: context.logger).create(
                    NewAccount(userID: userID, role: role, municipality: municipality, displayName: displayName, passwordHash: hash),
                    on: connection)
            } catch StoreError.duplicate {
                throw AppError.conflict("the user ID \(userID) is taken")
            }
            try await AuditLog(logger: context.logger).append(
                context.event("user.create", target: ("user", userID), details: ["role": role.rawValue, "municipality": municipality.rawValue]),
                on: connection)
        }
        return try JSONEncoder.response(
            IssuedPasswordView(userId: userID, role: role, municipalityCode: municipality.rawValue, initialPassword: password), status: .created)
    }

    /// The municipal account named in the path, as the caller may see it (404 otherwise).
    private func target(_ context: AppRequestContext, on connection: PostgresConnection) async throws -> Account {
        let userID = try context.parameters.require("userId")
        guard let account = try await AccountRepository(logger: context.logger).find(userID, on: connection), account.role != .operator else {
            throw AppError.notFound("no municipal user \(userID) that you manage")
        }
        if account.userID == (try context.user).userID { throw AppError.conflict("you cannot lock, unlock or reset your own account") }
        return account
    }

    private func setLocked(_ locked: Bool, _ context: AppRequestContext) async throws -> Response {
        let userID = try await database.transaction(for: context) { connection in
            let account = try await target(context, on: connection)
            _ = try await AccountRepository(logger: context.logger).setLocked(account.userID, locked, on: connection)
            if locked { try await SessionRepository(logger: context.logger).revokeAll(of: account.userID, on: connection) }
            try await AuditLog(logger: context.logger).append(context.event(locked ? "user.lock" : "user.unlock", target: ("user", account.userID)), on: connection)
            return account.userID
        }
        struct LockView: Encodable { let userId: String; let locked: Bool }
        return try JSONEncoder.response(LockView(userId: userID, locked: locked))
    }

    private func resetPassword(_ context: AppRequestContext) async throws -> Response {
        let password = Secrets.initialPassword()
        let hash = await hasher.hash(password)
        let account = try await database.transaction(for: context) { connection in
            let account = try await target(context, on: connection)
            _ = try await AccountRepository(logger: context.logger).setPassword(account.userID, hash: hash, mustChange: true, on: connection)
            try await SessionRepository(logger: context.logger).revokeAll(of: account.userID, on: connection)
            try await AuditLog(logger: context.logger).append(context.event("user.password.reset", target: ("user", account.userID)), on: connection)
            return account
        }
        return try JSONEncoder.response(IssuedPasswordView(
            userId: account.userID, role: account.role, municipalityCode: account.municipality?.rawValue, initialPassword: password))
    }
}
