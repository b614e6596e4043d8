import Foundation
import Hummingbird
import Logging
import PostgresNIO
import VRSDomain
import VRSStore

extension Request {
    /// Decodes a JSON body, answering 415 for another content type, 413 past the size limit and
    /// 400/422 naming the field for malformed JSON.
    func decodeJSON<T: Decodable>(as type: T.Type, context: AppRequestContext) async throws -> T {
        let contentType = headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/json") else {
            throw AppError.unsupportedMediaType("send the body as application/json (got \(contentType.isEmpty ? "none" : contentType))")
        }
        let body = try await self.body.collect(upTo: context.maxUploadSize)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(T.self, from: Data(body.readableBytesView))
        } catch let error as DecodingError {
            throw error.appError
        }
    }
}

extension DecodingError {
    /// The field at fault and what was wrong, without echoing the value (it may be personal data).
    var appError: AppError {
        func path(_ context: Context, _ key: (any CodingKey)? = nil) -> String {
            let keys = context.codingPath + (key.map { [$0] } ?? [])
            return keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch self {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return .badRequest("the body is not valid JSON")
        case .dataCorrupted(let context):
            if let validation = context.underlyingError as? VRSDomain.ValidationError {
                return .invalid([.init(field: path(context), code: validation.rule.code, message: validation.message)])
            }
            // The decoder's own description can quote the value (a number that does not fit, say),
            // and the value may be personal data: say only that it is not valid.
            return .invalid([.init(field: path(context), code: "invalid", message: "is not a valid value")])
        case .keyNotFound(let key, let context):
            return .invalid([.init(field: path(context, key), code: "required", message: "is required")])
        case .typeMismatch(let type, let context):
            return .invalid([.init(field: path(context), code: "type", message: "must be \(Self.jsonName(type))")])
        case .valueNotFound(let type, let context):
            return .invalid([.init(field: path(context), code: "required", message: "must be \(Self.jsonName(type)), not null")])
        @unknown default:
            return .badRequest("the body could not be read")
        }
    }

    private static func jsonName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Bool.Type: "true or false"
        default: "a \(type)"
        }
    }
}
