import Foundation
import Hummingbird

/// RFC 9457 problem documents (`application/problem+json`).
public struct Problem: Codable, Sendable, Equatable {
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String?
    public var errors: [FieldError]?

    /// One invalid field (or line of a file) with what was wrong.
    public struct FieldError: Codable, Sendable, Equatable {
        public var field: String
        public var code: String
        public var message: String
    }
}

enum ProblemResponse {
    static func make(_ problem: Problem) throws -> Response {
        let body = try JSONEncoder().encode(problem)
        return Response(
            status: .init(code: problem.status),
            headers: [.contentType: "application/problem+json"],
            body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func serviceUnavailable(detail: String) throws -> Response {
        try make(Problem(type: "urn:vrs:problem:not-ready", title: "Service not ready", status: 503, detail: detail))
    }
}

extension JSONEncoder {
    func encodeAsResponse(_ value: some Encodable, status: HTTPResponse.Status) throws -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: try encode(value))))
    }
}
