import Foundation
import Hummingbird
import Logging
import PostgresNIO
import VRSDomain
import VRSStore

/// An RFC 9457 problem document (`application/problem+json`).
public struct Problem: Codable, Sendable, Equatable {
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String?
    /// The request id, to find the request in the server's log.
    public var instance: String?
    /// Each invalid field (or line of a file) with what was wrong.
    public var errors: [FieldError]?

    /// One invalid field: its name (a JSON path or `line N`), a machine-readable code and a message.
    public struct FieldError: Codable, Sendable, Equatable {
        public var field: String
        public var code: String
        public var message: String
        /// For a line of a file: its number (the header is line 1).
        public var line: Int?
        /// For a line of a file: the column's header name as the file spells it.
        public var column: String?

        /// Names what was wrong where.
        public init(field: String, code: String, message: String, line: Int? = nil, column: String? = nil) {
            self.field = field
            self.code = code
            self.message = message
            self.line = line
            self.column = column
        }
    }

    /// A problem of the given kind.
    public init(type: String, title: String, status: Int, detail: String? = nil, instance: String? = nil, errors: [FieldError]? = nil) {
        self.type = type
        self.title = title
        self.status = status
        self.detail = detail
        self.instance = instance
        self.errors = errors
    }

    /// The HTTP response carrying this problem.
    func response() -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(self)) ?? Data(#"{"title":"Error","status":500}"#.utf8)
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if status == 401 { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

extension JSONEncoder {
    /// Encodes `value` as an `application/json` response.
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}

/// Thrown by checks that name one field, for a caller to gather into a 422.
extension Problem.FieldError: Error {}
