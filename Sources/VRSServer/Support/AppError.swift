import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PostgresNIO
import VRSDomain
import VRSStore

/// Errors with an HTTP meaning. One mapping (`ProblemMiddleware`) turns them into problem documents.
public enum AppError: Error, Sendable {
    /// No valid credentials: the same answer whatever was wrong.
    case unauthorized(String = "The credentials are not valid.")
    case forbidden(String)
    case passwordChangeRequired
    case notFound(String)
    case conflict(String)
    case badRequest(String, field: String? = nil)
    case invalid([Problem.FieldError])
    case unsupportedMediaType(String)
    /// The account is locked for a while after repeated wrong passwords.
    case locked(String)
    /// Too many requests of this kind; `retryAfter` seconds go into `Retry-After` (RFC 6585 §4).
    case tooManyRequests(String, retryAfter: Int)
    /// The resource existed and was deleted for good (an expired transfer batch).
    case gone(String)
    /// The path exists, the method does not; `allowed` goes into the `Allow` header.
    case methodNotAllowed(allowed: [String])
    /// If-Match names a version that is no longer the record's (RFC 9110 §13.1.1).
    case preconditionFailed(String)
    /// A correction came without If-Match (RFC 6585 §3).
    case preconditionRequired(String)
    /// The service is not set up for this yet (the host has a step to take); not the client's fault.
    case unavailable(String)

    var problem: Problem {
        switch self {
        case .unauthorized(let detail):
            Problem(type: "urn:vrs:problem:unauthorized", title: "Not authenticated", status: 401, detail: detail)
        case .forbidden(let detail):
            Problem(type: "urn:vrs:problem:forbidden", title: "Not allowed", status: 403, detail: detail)
        case .passwordChangeRequired:
            Problem(
                type: "urn:vrs:problem:password-change-required", title: "Password change required", status: 403,
                detail: "This account has an initial or reset password: change it with PUT /v1/users/me/password before any other call.")
        case .notFound(let detail):
            Problem(type: "urn:vrs:problem:not-found", title: "Not found", status: 404, detail: detail)
        case .conflict(let detail):
            Problem(type: "urn:vrs:problem:conflict", title: "Conflict", status: 409, detail: detail)
        case .badRequest(let detail, let field):
            Problem(
                type: "urn:vrs:problem:bad-request", title: "Malformed request", status: 400, detail: detail,
                errors: field.map { [.init(field: $0, code: "malformed", message: detail)] })
        case .invalid(let errors):
            Problem(
                type: "urn:vrs:problem:validation", title: "Invalid request", status: 422,
                detail: errors.map { "\($0.field): \($0.message)" }.joined(separator: "; "), errors: errors)
        case .unsupportedMediaType(let detail):
            Problem(type: "urn:vrs:problem:unsupported-media-type", title: "Unsupported media type", status: 415, detail: detail)
        case .locked(let detail):
            Problem(type: "urn:vrs:problem:locked", title: "Locked", status: 423, detail: detail)
        case .tooManyRequests(let detail, _):
            Problem(type: "urn:vrs:problem:too-many-requests", title: "Too many requests", status: 429, detail: detail)
        case .gone(let detail):
            Problem(type: "urn:vrs:problem:gone", title: "Gone", status: 410, detail: detail)
        case .preconditionFailed(let detail):
            Problem(type: "urn:vrs:problem:precondition-failed", title: "Precondition failed", status: 412, detail: detail)
        case .preconditionRequired(let detail):
            Problem(type: "urn:vrs:problem:precondition-required", title: "Precondition required", status: 428, detail: detail)
        case .unavailable(let detail):
            Problem(type: "urn:vrs:problem:unavailable", title: "Not available", status: 503, detail: detail)
        case .methodNotAllowed(let allowed):
            Problem(
                type: "urn:vrs:problem:method-not-allowed", title: "Method not allowed", status: 405,
                detail: "this path answers \(allowed.joined(separator: ", ")) only")
        }
    }
}
