import Foundation
import Hummingbird
import Logging
import Metrics
import PostgresNIO
import VRSCrypto
import VRSDomain
import VRSStore

/// Log-in: password (bcrypt), TOTP where required, failure counting per account and per client
/// address, session creation, all audited. Every failure gets the same answer.
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
        // An ID that no account can have is refused before anything is looked up, and at most its
        // first 64 characters reach the central chain: unauthenticated callers cannot grow it freely.
        guard AccountID.isWellFormed(userID) else {
            try await database.transaction(as: .authentication) { connection in
                try await recordAddressFailure(context, on: connection)
                try await AuditLog(logger: context.logger).append(
                    event(String(userID.prefix(64)), role: nil, "session.create", .failure, ["reason": "malformed_user_id"], context), on: connection)
            }
            Self.failures.increment()
            throw AppError.unauthorized()
        }
        // Read, then verify the password outside any transaction (bcrypt is slow), then decide.
        let (candidate, throttled) = try await database.transaction(as: .authentication) { connection in
            (try await accounts.signInCandidate(userID, on: connection),
             try await accounts.addressBlocked(
                context.clientAddress, maxFailures: security.maxFailedLoginsPerAddress, window: security.lockDuration, on: connection))
        }
        let passwordMatches = throttled ? false : await hasher.verify(password, hash: candidate?.passwordHash)
        let now = Date()
        let outcome: Result<SessionView, AppError> = try await database.transaction(as: .authentication) { connection in
            let audit = AuditLog(logger: context.logger)
            func record(_ action: String, _ outcome: AuditEvent.Outcome, _ details: [String: String] = [:]) async throws {
                try await audit.append(event(userID, role: candidate?.role, action, outcome, details, context), on: connection)
            }
            guard let account = candidate else {
                try await recordAddressFailure(context, on: connection)
                try await record("session.create", .failure, ["reason": throttled ? "address_throttled" : "unknown_user"])
                return .failure(.unauthorized())
            }
            // The events belong in the municipality's own chain.
            if let municipality = account.municipality { try await connection.bind(municipality, logger: context.logger) }
            if throttled {
                try await record("session.create", .denied, ["reason": "address_throttled"])
                return .failure(.unauthorized())
            }
            if account.isLocked(at: now) {
                try await record("session.create", .denied, ["reason": "locked"])
                return .failure(.unauthorized())
            }
            var reason: String? = passwordMatches ? nil : "password"
            var step: Int64?
            if reason == nil, account.role == .operator || account.sealedTOTPSecret != nil {
                let seed = try account.sealedTOTPSecret.map { try master.open($0, context: "account.totp/\(account.userID)") }
                step = seed.flatMap { TOTPCheck.acceptedStep(code: otp ?? "", seed: Array($0), now: now, lastStep: account.totpLastStep) }
                if step == nil { reason = "otp" }
            }
            if let reason {
                Self.failures.increment()
                // A failure lock ends no live session: five wrong passwords typed by someone else
                // must not throw the account's owner out.
                let lockedNow = try await accounts.recordFailure(
                    userID, clientAddress: context.clientAddress, maxFailures: security.maxFailedLogins,
                    lockFor: security.lockDuration, on: connection)
                try await record("session.create", .failure, ["reason": reason])
                if lockedNow {
                    Self.locks.increment()
                    try await record("user.lock", .success, ["reason": "failed_logins", "minutes": "\(security.lockDuration.components.seconds / 60)"])
                }
                return .failure(.unauthorized())
            }
            let token = Secrets.token(prefix: TokenPrefix.session)
            let expiresAt: Date
            do {
                expiresAt = try await SessionRepository(logger: context.logger).open(
                    tokenHash: Secrets.tokenHash(token), for: account, totpStep: step, lifetime: security.absoluteTimeout,
                    clientAddress: context.clientAddress, on: connection)
            } catch StoreError.refused(.signInRefused) {
                // Locked, reset or the same TOTP step used between our read and now.
                return .failure(.unauthorized())
            }
            try await record("session.create", .success)
            Self.successes.increment()
            return .success(SessionView(
                token: token, expiresAt: expiresAt,
                user: UserView(userId: account.userID, role: account.role, municipalityCode: account.municipality?.rawValue,
                               mustChangePassword: account.mustChangePassword)))
        }
        return try outcome.get()
    }

    /// A failure that names no account counts against the client address only.
    private func recordAddressFailure(_ context: AppRequestContext, on connection: PostgresConnection) async throws {
        _ = try await AccountRepository(logger: context.logger).recordFailure(
            nil, clientAddress: context.clientAddress, maxFailures: security.maxFailedLogins, lockFor: security.lockDuration, on: connection)
    }

    private func event(_ userID: String, role: AccountRole?, _ action: String, _ outcome: AuditEvent.Outcome,
                       _ details: [String: String], _ context: AppRequestContext) -> AuditEvent {
        AuditEvent(actorID: userID, actorRole: role?.rawValue ?? "unknown", action: action, targetType: "user",
                   targetID: userID, outcome: outcome, requestID: context.requestID, clientAddress: context.clientAddress, details: details)
    }
}

/// The rule every user ID follows (the database checks the same pattern on `vrs.account`).
enum AccountID {
    static let pattern = #"^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$"#

    /// Whether `userID` could name an account.
    static func isWellFormed(_ userID: String) -> Bool {
        userID.utf8.count <= 64 && userID.range(of: pattern, options: .regularExpression) != nil
    }
}
