import Foundation
import Hummingbird
import Logging
import PostgresNIO
import VRSDomain
import VRSStore

/// `POST /v1/sessions`, `GET|DELETE /v1/sessions/current`, `PUT /v1/users/me/password`.
struct SessionController: Sendable {
    let database: Database
    let login: LoginService
    let hasher: PasswordHasher
    let security: SecurityConfiguration

    struct LoginRequest: Decodable { let userId: String; let password: String; let otp: String? }
    struct PasswordChange: Decodable { let currentPassword: String; let newPassword: String }
    struct Current: Encodable { let user: UserView; let expiresAt: Date }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("v1/sessions") { request, context in
            let body = try await request.decodeJSON(as: LoginRequest.self, context: context)
            let session = try await login.login(userID: body.userId, password: body.password, otp: body.otp, context: context)
            return try JSONEncoder.response(session, status: .created)
        }
        let signedIn = router.group("v1").add(middleware: RequireRole(roles: Set(AccountRole.allCases), allowsInitialPassword: true))
        signedIn.get("sessions/current") { _, context in
            let user = try context.user
            return try JSONEncoder.response(Current(
                user: UserView(userId: user.userID, role: user.role, municipalityCode: user.municipality?.rawValue, mustChangePassword: user.mustChangePassword),
                expiresAt: user.expiresAt))
        }
        signedIn.delete("sessions/current") { _, context in
            let user = try context.user
            try await database.transaction(as: .authentication) { connection in
                if let municipality = user.municipality { try await connection.bind(municipality, logger: context.logger) }
                try await SessionRepository(logger: context.logger).revoke(tokenHash: user.tokenHash, on: connection)
                try await AuditLog(logger: context.logger).append(context.event("session.delete", target: ("user", user.userID)), on: connection)
            }
            return Response(status: .noContent)
        }
        signedIn.put("users/me/password") { request, context in
            try await changePassword(try await request.decodeJSON(as: PasswordChange.self, context: context), context: context)
            return Response(status: .noContent)
        }
    }

    /// A wrong current password counts as a failed sign-in (a stolen session must not become a
    /// password-guessing oracle); while the account is failure-locked, no guess is checked at all.
    private func changePassword(_ body: PasswordChange, context: AppRequestContext) async throws {
        let user = try context.user
        try validateNewPassword(body, userID: user.userID)
        let accounts = AccountRepository(logger: context.logger)
        let account = try await database.transaction(as: .authentication) { try await accounts.signInCandidate(user.userID, on: $0) }
        guard let account else { throw AppError.unauthorized() }
        if account.isFailureLocked(at: Date()) {
            throw AppError.locked("too many wrong passwords: try again after the lock of \(security.lockDuration.components.seconds / 60) minutes")
        }
        guard await hasher.verify(body.currentPassword, hash: account.passwordHash) else {
            try await database.transaction(as: .authentication) { connection in
                if let municipality = user.municipality { try await connection.bind(municipality, logger: context.logger) }
                let lockedNow = try await accounts.recordFailure(
                    user.userID, clientAddress: context.clientAddress, maxFailures: security.maxFailedLogins,
                    lockFor: security.lockDuration, on: connection)
                let audit = AuditLog(logger: context.logger)
                try await audit.append(
                    context.event("user.password.change", target: ("user", user.userID), outcome: .failure, details: ["reason": "current_password"]),
                    on: connection)
                if lockedNow {
                    try await audit.append(context.event("user.lock", target: ("user", user.userID), details: ["reason": "failed_logins"]), on: connection)
                }
            }
            throw AppError.invalid([.init(field: "currentPassword", code: "mismatch", message: "is not the current password")])
        }
        let hash = await hasher.hash(body.newPassword)
        try await database.transaction(as: .authentication) { connection in
            if let municipality = user.municipality { try await connection.bind(municipality, logger: context.logger) }
            do {
                // Every session, this one included, ends: the new password starts a new one.
                try await accounts.changePassword(session: user.tokenHash, verifiedHash: account.passwordHash, newHash: hash, on: connection)
            } catch StoreError.refused {
                throw AppError.conflict("the password was reset or the session ended meanwhile; sign in again")
            }
            try await AuditLog(logger: context.logger).append(context.event("user.password.change", target: ("user", user.userID)), on: connection)
        }
    }

    private func validateNewPassword(_ body: PasswordChange, userID: String) throws {
        var errors: [Problem.FieldError] = []
        if body.newPassword.count < security.minimumPasswordLength {
            errors.append(.init(field: "newPassword", code: "length", message: "must be at least \(security.minimumPasswordLength) characters"))
        }
        if body.newPassword == body.currentPassword {
            errors.append(.init(field: "newPassword", code: "unchanged", message: "must differ from the current password"))
        }
        if body.newPassword.lowercased().contains(userID.lowercased()) {
            errors.append(.init(field: "newPassword", code: "contains_user_id", message: "must not contain the user ID"))
        }
        if !errors.isEmpty { throw AppError.invalid(errors) }
    }
}
