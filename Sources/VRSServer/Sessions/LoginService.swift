import Foundation
import Hummingbird
import Logging
import Metrics
import PostgresNIO
import VRSCrypto
import VRSDomain
import VRSStore

/// Log-in: password (bcrypt), TOTP where required, failure counting and locks, session creation,
/// all audited. Every failure gets the same answer.
struct LoginService: Sendable {
    let database: Database
    let master: MasterKey
    let hasher: PasswordHasher
    let security: SecurityConfiguration

    static let failures = Counter(label: "vrs_auth_login_failures_total")
    static let locks = Counter(label: "vrs_auth_account_locks_total")
    static let successes = Counter(label: "vrs_auth_logins_total")

    func login(userID: String, password: String, otp: String?, context: AppRequestContext) async throws -> SessionView {
        let accounts = AccountRepository(logger: context.logger)
        // Read, verify the password outside any transaction (bcrypt is slow), then decide under a row lock.
        let candidate = try await database.transaction(as: .authentication) { try await accounts.find(userID, on: $0) }
        let passwordMatches = await hasher.verify(password, hash: candidate?.passwordHash)
        let now = Date()
        let outcome: Result<SessionView, AppError> = try await database.transaction(as: .authentication) { connection in
            let audit = AuditLog(logger: context.logger)
            func event(_ action: String, _ outcome: AuditEvent.Outcome, _ details: [String: String] = [:]) -> AuditEvent {
                AuditEvent(actorID: userID, actorRole: candidate?.role.rawValue ?? "unknown", action: action, targetType: "user",
                           targetID: userID, outcome: outcome, requestID: context.requestID, clientAddress: context.clientAddress, details: details)
            }
            guard let account = try await accounts.find(userID, forUpdate: true, on: connection) else {
                try await audit.append(event("session.create", .failure, ["reason": "unknown_user"]), on: connection)
                return .failure(.unauthorized())
            }
            if let municipality = account.municipality {
                // The event belongs in the municipality's own chain.
                try await connection.bind(municipality, logger: context.logger)
            }
            if account.isLocked(at: now) {
                try await audit.append(event("session.create", .denied, ["reason": "locked"]), on: connection)
                return .failure(.unauthorized())
            }
            var reason: String? = (passwordMatches && account.passwordHash == candidate?.passwordHash) ? nil : "password"
            var step: Int64?
            if reason == nil, account.role == .operator || account.sealedTOTPSecret != nil {
                let seed = try account.sealedTOTPSecret.map { try master.open($0, context: "account.totp/\(account.userID)") }
                step = seed.flatMap { TOTPCheck.acceptedStep(code: otp ?? "", seed: Array($0), now: now, lastStep: account.totpLastStep) }
                if step == nil { reason = "otp" }
            }
            if let reason {
                Self.failures.increment()
                let lockedNow = try await accounts.recordFailure(userID, maxFailures: security.maxFailedLogins, lockFor: security.lockDuration, on: connection)
                try await audit.append(event("session.create", .failure, ["reason": reason]), on: connection)
                if lockedNow {
                    Self.locks.increment()
                    try await SessionRepository(logger: context.logger).revokeAll(of: userID, on: connection)
                    try await audit.append(event("user.lock", .success, ["reason": "failed_logins", "minutes": "\(security.lockDuration.components.seconds / 60)"]), on: connection)
                }
                return .failure(.unauthorized())
            }
            try await accounts.recordSuccess(userID, totpStep: step, on: connection)
            let token = Secrets.token(prefix: TokenPrefix.session)
            let expiresAt = now.addingTimeInterval(TimeInterval(security.absoluteTimeout.components.seconds))
            try await SessionRepository(logger: context.logger).create(
                tokenHash: Secrets.tokenHash(token), for: account, expiresAt: expiresAt, clientAddress: context.clientAddress, on: connection)
            try await audit.append(event("session.create", .success), on: connection)
            Self.successes.increment()
            return .success(SessionView(
                token: token, expiresAt: expiresAt,
                user: UserView(userId: account.userID, role: account.role, municipalityCode: account.municipality?.rawValue,
                               mustChangePassword: account.mustChangePassword)))
        }
        return try outcome.get()
    }
}
