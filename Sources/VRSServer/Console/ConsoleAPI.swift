import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import VRSDomain
import VRSStore

/// The console's only way to the data: it calls the JSON API in the same process, through the same
/// router, middleware and controllers, with the signed-in user's own session token. Every rule,
/// check, audit event and database role is the API's; the console only turns forms into requests
/// and answers into pages.
struct ConsoleAPI: Sendable {
    let responder: RouterResponder<AppRequestContext>

    /// What the API answered, with its body read.
    struct Answer: Sendable {
        let status: HTTPResponse.Status
        let headers: HTTPFields
        let body: ByteBuffer

        var isSuccess: Bool { (200..<300).contains(status.code) }
        /// The body as a JSON value (`.null` when empty or not JSON).
        var json: JSONValue { (try? JSONDecoder().decode(JSONValue.self, from: Data(body.readableBytesView))) ?? .null }
        /// The problem document of a failed call.
        var problem: Problem? { isSuccess ? nil : try? JSONDecoder().decode(Problem.self, from: Data(body.readableBytesView)) }
    }

    /// A request body: JSON, a file, or nothing.
    enum Body: Sendable {
        case none
        case json(Data)
        case file(ByteBuffer, contentType: String)

        static func encode(_ value: some Encodable) throws -> Body { .json(try JSONEncoder().encode(value)) }
    }

    /// Calls `method path` as the holder of `token` and reads the whole answer.
    func call(_ method: HTTPRequest.Method, _ path: String, body: Body = .none, token: String?,
              headers extra: HTTPFields = [:], context: AppRequestContext) async throws -> Answer {
        let response = try await send(method, path, body: body, token: token, headers: extra, context: context)
        let collector = Collector()
        try await response.body.write(collector)
        return Answer(status: response.status, headers: response.headers, body: collector.buffer.value)
    }

    /// Calls the API and returns its response unread, to stream a download through.
    func send(_ method: HTTPRequest.Method, _ path: String, body: Body = .none, token: String?,
              headers extra: HTTPFields = [:], context: AppRequestContext) async throws -> Response {
        var fields = extra
        if let token { fields[.authorization] = "Bearer \(token)" }
        let requestBody: RequestBody
        switch body {
        case .none: requestBody = RequestBody(buffer: ByteBuffer())
        case .json(let data):
            fields[.contentType] = "application/json"
            requestBody = RequestBody(buffer: ByteBuffer(bytes: data))
        case .file(let buffer, let contentType):
            fields[.contentType] = contentType
            requestBody = RequestBody(buffer: buffer)
        }
        let request = Request(head: HTTPRequest(method: method, scheme: nil, authority: nil, path: path, headerFields: fields), body: requestBody)
        // The console's own context: same request id, logger and client address, no caller yet (the
        // API's authentication middleware sets it from the token, with idle expiry and revocation).
        var inner = context
        inner.caller = nil
        inner.coreContext.parameters = .init()
        return try await responder.respond(to: request, context: inner)
    }

    /// Gathers a response body in memory (API answers are small; downloads are streamed instead).
    private struct Collector: ResponseBodyWriter {
        final class Storage: @unchecked Sendable { var value = ByteBuffer() }
        let buffer = Storage()
        mutating func write(_ buffer: ByteBuffer) async throws {
            var copy = buffer
            self.buffer.value.writeBuffer(&copy)
        }
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}

extension JSONValue {
    /// The value as Mustache reads it: strings, numbers, booleans, arrays and dictionaries.
    var template: Any {
        switch self {
        case .null: return ""
        case .bool(let value): return value
        case .number(let value): return value == value.rounded() && abs(value) < 1e15 ? Int(value) : value
        case .string(let value): return value
        case .array(let values): return values.map(\.template)
        case .object(let members): return members.mapValues(\.template)
        }
    }

    /// A member of an object, `.null` otherwise.
    subscript(_ key: String) -> JSONValue {
        if case .object(let members) = self { return members[key] ?? .null }
        return .null
    }

    /// The string, or nil.
    var string: String? { if case .string(let value) = self { return value }; return nil }
    /// The elements of an array (none otherwise).
    var elements: [JSONValue] { if case .array(let values) = self { return values }; return [] }
    /// The members as a template dictionary (empty otherwise).
    var dictionary: [String: Any] { (template as? [String: Any]) ?? [:] }
}
