import Foundation
import Hummingbird
import Logging
import PostgresNIO
import VRSDomain
import VRSStore

/// Reads `Authorization: Bearer …` and sets `context.caller`. The LG-WAN listener accepts session
/// tokens only; the public listener device tokens only. A presented token that is not valid is
/// answered 401 at once; requests without a token go on anonymous (routes decide).
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    enum Accepts { case sessions, devices }

    let accepts: Accepts
    let database: Database
    let cache: TokenCache
    /// POST paths whose database door authenticates the device token itself.
    static let doorAuthenticated: Set<String> = ["/v1/tablet/vaccinations"]
    let security: SecurityConfiguration

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else { return try await next(request, context) }
        guard header.count > 7, header.prefix(7).lowercased() == "bearer " else {
            throw AppError.unauthorized("use Authorization: Bearer <token>")
        }
        let token = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        var context = context
        switch accepts {
        case .sessions:
            guard token.hasPrefix(TokenPrefix.session) else { throw AppError.unauthorized("this listener accepts session tokens only") }
            let hash = Secrets.tokenHash(token)
            if let cached = cache.caller(for: hash) {
                context.caller = cached
            } else {
                let generation = cache.generation
                // One round trip in autocommit (no BEGIN/SET ROLE/COMMIT): the door reads the session
                // and the account as they are now.
                let session = try await SessionRepository(logger: context.logger).find(
                    tokenHash: hash, idleTimeout: security.idleTimeout, on: database.client)
                guard let session else { throw AppError.unauthorized("the session has expired or was ended; sign in again") }
                let caller = Caller.user(SignedInUser(
                    userID: session.userID, role: session.role, municipality: session.municipality,
                    mustChangePassword: session.mustChangePassword, expiresAt: session.expiresAt, tokenHash: hash))
                cache.remember(caller, for: hash, checkedSince: generation)
                context.caller = caller
            }
            context.logger[metadataKey: "vrs.actor"] = "\(context.caller!.actorRole):\(context.caller!.actorID)"
            // A change this process made (a sign-out, a lock, a password change, a revoked tablet…)
            // must hold for the very next request, before its revocation notice comes back.
            if request.method == .get || request.method == .head { return try await next(request, context) }
            do {
                let response = try await next(request, context)
                cache.removeAll()
                return response
            } catch {
                cache.removeAll()
                throw error
            }
        case .devices:
            guard token.hasPrefix(TokenPrefix.device) else { throw AppError.unauthorized("this listener accepts device tokens only") }
            let hash = Secrets.tokenHash(token)
            context.deviceTokenHash = hash
            // Routes whose door checks the token itself (one round trip for the whole request).
            if request.method == .post, Self.doorAuthenticated.contains(request.uri.path) {
                context.logger[metadataKey: "vrs.actor"] = "device:door"
                return try await next(request, context)
            }
            if let cached = cache.caller(for: hash) {
                context.caller = cached
            } else {
                let generation = cache.generation
                let device = try await DeviceRepository(logger: context.logger).find(tokenHash: hash, on: database.client)
                guard let device else { throw AppError.unauthorized("the device token is not valid or was revoked") }
                cache.remember(.device(device), for: hash, checkedSince: generation)
                context.caller = .device(device)
            }
        }
        context.logger[metadataKey: "vrs.actor"] = "\(context.caller!.actorRole):\(context.caller!.actorID)"
        return try await next(request, context)
    }
}

/// Token prefixes say what a token is, so a listener can refuse the wrong kind without a lookup.
enum TokenPrefix {
    static let session = "vrss_"
    static let device = "vrsd_"
}

/// Lets a route group through only for signed-in users of the given roles (401 for anonymous
/// callers and tablets, 403 for other roles), and only after an initial password was changed.
struct RequireRole: RouterMiddleware {
    typealias Context = AppRequestContext
    let roles: Set<AccountRole>
    /// Routes a user with an initial password may still call (change it, sign out, see who they are).
    var allowsInitialPassword = false

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard case .user(let user) = context.caller else { throw AppError.unauthorized("sign in first (POST /v1/sessions)") }
        if user.mustChangePassword && !allowsInitialPassword { throw AppError.passwordChangeRequired }
        guard roles.contains(user.role) else {
            throw AppError.forbidden("this needs the role \(roles.map(\.rawValue).sorted().joined(separator: " or ")); you are \(user.role.rawValue)")
        }
        return try await next(request, context)
    }
}

extension AppRequestContext {
    /// The signed-in user (routes behind `RequireRole` always have one).
    var user: SignedInUser {
        get throws {
            guard case .user(let user) = caller else { throw AppError.unauthorized() }
            return user
        }
    }
}
