import Foundation
import Hummingbird
import Logging
import PostgresNIO
import VRSDomain
import VRSStore

/// Turns every error into a problem document, and logs the unexpected ones at error level.
///
/// Logs name the error's type and SQLSTATE only: database messages can quote values, and values
/// can be personal data.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let maxUploadSize: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.maxUploadSize = maxUploadSize
        do {
            return try await next(request, context)
        } catch {
            var problem = Self.problem(for: error, context: context)
            problem.instance = context.requestID
            var response = problem.response()
            if case AppError.methodNotAllowed(let allowed) = error { response.headers[.allow] = allowed.joined(separator: ", ") }
            // A stale correction learns the version to read again (RFC 9110 allows the tag on a 412).
            if case StoreError.staleVersion(let current?, _) = error { response.headers[.eTag] = EntityTag.of(current) }
            if case AppError.tooManyRequests(_, let seconds) = error { response.headers[.retryAfter] = String(seconds) }
            if case StoreError.transferRefused(.rateLimited, _, _, let detail) = error { response.headers[.retryAfter] = detail ?? "60" }
            return response
        }
    }

    static func problem(for error: any Error, context: Context) -> Problem {
        switch error {
        case let error as AppError:
            return error.problem
        case let error as VRSDomain.ValidationError:
            return AppError.invalid([.init(field: error.field, code: error.rule.code, message: error.message)]).problem
        case let error as HTTPError:
            return httpProblem(status: error.status, detail: error.body)
        case let error as any HTTPResponseError:
            // Hummingbird's own refusals, e.g. a body past the size limit (NIOTooManyBytesError).
            return httpProblem(status: error.status, detail: nil)
        case StoreError.duplicate(let constraint):
            return AppError.conflict("already exists (\(constraint))").problem
        case StoreError.unknownMunicipality(let code), StoreError.municipalityNotProvisioned(let code):
            return AppError.notFound("municipality \(code) is not provisioned").problem
        case StoreError.refused(let refusal):
            return refusal.problem
        case StoreError.keyReused:
            return AppError.conflict("this Idempotency-Key was used with a different file; use a new key for a new file").problem
        case StoreError.doseRefused(let refusal, let message, let hint):
            return refusal.problem(message: message, hint: hint)
        case StoreError.correctionRefused(let refusal, let message, let hint):
            return refusal.problem(message: message, hint: hint)
        case StoreError.staleVersion(_, let message):
            return AppError.preconditionFailed(message).problem
        case StoreError.transferRefused(let refusal, let message, let hint, let detail):
            return refusal.problem(message: message, hint: hint, detail: detail)
        case let error as PSQLError where ["22021", "22P05"].contains(error.serverInfo?[.sqlState] ?? ""):
            // A NUL character (U+0000) in a JSON string or a query value: valid JSON, but no text
            // column can hold it. Said without the value, which may be personal data.
            return AppError.invalid([.init(field: "body", code: "nul_character",
                                           message: "a text value holds a NUL character (U+0000), which no field accepts")]).problem
        default:
            var metadata: Logger.Metadata = ["error.type": "\(type(of: error))"]
            if let psql = error as? PSQLError {
                metadata["sqlstate"] = "\(psql.serverInfo?[.sqlState] ?? "-")"
                metadata["psql.code"] = "\(psql.code)"
            }
            context.logger.error("unexpected error", metadata: metadata)
            return Problem(
                type: "urn:vrs:problem:internal", title: "Internal error", status: 500,
                detail: "The server could not complete the request; quote the instance id to the operator.")
        }
    }

    private static func httpProblem(status: HTTPResponse.Status, detail: String?) -> Problem {
        switch status {
        case .notFound:
            return AppError.notFound(detail ?? "There is no such route.").problem
        case .contentTooLarge:
            return Problem(
                type: "urn:vrs:problem:too-large", title: "Request body too large", status: 413,
                detail: detail ?? "the request body is larger than this server accepts")
        default:
            return Problem(type: "urn:vrs:problem:http-\(status.code)", title: status.reasonPhrase, status: status.code, detail: detail)
        }
    }
}

extension ValidationRule {
    /// A short machine-readable name of the rule.
    var code: String {
        switch self {
        case .empty: "empty"
        case .length: "length"
        case .nonDigit: "non_digit"
        case .separator: "separator"
        case .checkDigit: "check_digit"
        case .outOfRange: "out_of_range"
        case .notAllowed: "not_allowed"
        case .unknownMunicipality: "unknown_municipality"
        case .notATenant: "not_a_tenant"
        case .tooLong: "too_long"
        case .notOneOf: "not_one_of"
        case .nameParts: "name_parts"
        case .otherMunicipality: "other_municipality"
        case .future: "future_date"
        case .tooEarly: "too_early"
        case .duplicate: "duplicate_in_file"
        case .encoding: "encoding"
        case .conflict: "conflict"
        case .malformed: "malformed"
        }
    }
}

extension AccountRefusal {
    /// What a refused account door means to the caller.
    var problem: Problem {
        switch self {
        case .signInRefused, .noLiveSession: AppError.unauthorized().problem
        case .municipalityHasAdmin:
            AppError.conflict("the municipality has an admin already: a further admin needs a second operator (POST /v1/account-requests)").problem
        case .noSuchAccount: AppError.notFound("no such municipal user or account request").problem
        case .requestClosed: AppError.conflict("the account request was approved already or has expired").problem
        case .fourEyes: AppError.forbidden("four-eyes: another operator must approve the request you filed").problem
        case .outsideScope: AppError.forbidden("the statistics asked for are outside your scope").problem
        case .noSuchPrefecture:
            AppError.invalid([.init(field: "prefecture", code: "unknown_prefecture", message: "no prefecture has this code (01–47)")]).problem
        }
    }
}

extension DoseRefusal {
    /// What a refused dose means to the caller; the door's message names the field and rule only.
    func problem(message: String, hint: String?) -> Problem {
        let text = hint.map { "\(message) (\($0))" } ?? message
        switch self {
        case .deviceNotValid: return AppError.unauthorized("the device token is not valid or was revoked").problem
        case .unknownProduct: return AppError.invalid([.init(field: "product", code: "unknown_product", message: text)]).problem
        case .dateOutOfRange: return AppError.invalid([.init(field: "vaccinatedOn", code: "date_out_of_range", message: text)]).problem
        case .malformedCode, .municipalityNotProvisioned, .otherMunicipality:
            return AppError.invalid([.init(field: "couponCode", code: rawValue == "VRS36" ? "other_municipality" : rawValue == "VRS32" ? "not_provisioned" : "malformed", message: text)]).problem
        case .textTooLong:
            let field = message.contains("site") ? "siteName" : message.contains("doctor") ? "doctorName"
                : message.contains("client record") ? "clientRecordId" : "lotNumber"
            return AppError.invalid([.init(field: field, code: "too_long", message: text)]).problem
        }
    }
}

extension CorrectionRefusal {
    /// What a refused correction means to the caller; a VRS44 door names its field in the hint.
    func problem(message: String, hint: String?) -> Problem {
        switch self {
        case .stale: return AppError.preconditionFailed(message + (hint.map { ". \($0)" } ?? "")).problem
        case .notFound: return AppError.notFound(message).problem
        case .notCorrectable, .targetHoldsDose: return AppError.conflict(message + (hint.map { ". \($0)" } ?? "")).problem
        case .reason:
            let field = message.contains("reason") ? "reason" : "body"
            return AppError.invalid([.init(field: field, code: field == "reason" ? "reason" : "nothing_to_amend", message: message)]).problem
        case .target: return AppError.invalid([.init(field: hint ?? "body", code: "unknown_target", message: message)]).problem
        case .samePlace: return AppError.invalid([.init(field: "body", code: "same_place", message: message)]).problem
        }
    }
}

extension TransferRefusal {
    /// What a refused inquiry means to the caller; the door names the field in the hint and, for a
    /// batch, the line in the detail.
    func problem(message: String, hint: String?, detail: String?) -> Problem {
        let line = detail.flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
        func invalid(_ field: String, _ code: String) -> Problem {
            if let line {
                return AppError.invalid([.init(field: "line \(line): \(field)", code: code, message: message, line: line, column: field)]).problem
            }
            return AppError.invalid([.init(field: field, code: code, message: message)]).problem
        }
        switch self {
        case .route: return invalid(hint ?? "previousMunicipalityCode", "unavailable")
        case .purpose: return invalid(hint ?? "purpose", "not_allowed")
        case .person: return invalid(hint ?? "personId", "unknown_person")
        case .batch: return invalid("file", "batch")
        case .rateLimited: return AppError.tooManyRequests(message, retryAfter: detail.flatMap { Int($0) } ?? 60).problem
        case .locked: return AppError.locked(message).problem
        case .lease, .lineAnswered: return AppError.conflict(message).problem
        }
    }
}
