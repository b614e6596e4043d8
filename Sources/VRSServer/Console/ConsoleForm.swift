import VRSCrypto
import VRSStore
import Foundation
import Hummingbird
import MultipartKit
import NIOCore

/// The fields of a posted console form, read only after its anti-forgery token checked out: a
/// handler has no way to a form's fields that skips the check.
struct ConsoleForm: Sendable {
    /// Text fields by name (the last value wins).
    let fields: [String: String]
    /// Uploaded files by field name.
    let files: [String: UploadedFile]

    /// One uploaded file of a multipart form.
    struct UploadedFile: Sendable {
        let filename: String
        let contentType: String
        let data: ByteBuffer
    }

    subscript(_ name: String) -> String { fields[name]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "" }
    /// A field, or nil when left empty.
    func optional(_ name: String) -> String? { let value = self[name]; return value.isEmpty ? nil : value }

    /// Reads `application/x-www-form-urlencoded` or `multipart/form-data` (up to `limit` bytes) and
    /// checks `_csrf` against `binding`; a missing or wrong token is refused before anything else.
    static func read(_ request: Request, limit: Int, tokens: ConsoleTokens, binding: Data) async throws -> ConsoleForm {
        var request = request
        let body = try await request.collectBody(upTo: limit)
        let contentType = request.headers[.contentType] ?? ""
        let form: ConsoleForm
        if contentType.lowercased().hasPrefix("multipart/form-data") {
            guard let boundary = Self.boundary(contentType) else { throw ConsoleRefusal.malformedForm }
            form = try multipart(body, boundary: boundary)
        } else if contentType.lowercased().hasPrefix("application/x-www-form-urlencoded") {
            form = ConsoleForm(fields: urlEncoded(String(buffer: body)), files: [:])
        } else {
            throw ConsoleRefusal.malformedForm
        }
        guard let presented = form.fields["_csrf"], tokens.key.verify(presented, for: binding) else { throw ConsoleRefusal.forgedForm }
        return form
    }

    static func urlEncoded(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String { part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }

    private static func boundary(_ contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0].lowercased() == "boundary" { return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        }
        return nil
    }

    /// Parts with a filename are files; the others text fields (UTF-8, as the page declares).
    private static func multipart(_ body: ByteBuffer, boundary: String) throws -> ConsoleForm {
        final class Parts {
            var fields: [String: String] = [:]
            var files: [String: UploadedFile] = [:]
            var headers: [String: String] = [:]
            var data = ByteBuffer()
        }
        let parts = Parts()
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in parts.headers[name.lowercased()] = value }
        parser.onBody = { chunk in parts.data.writeBuffer(&chunk) }
        parser.onPartComplete = {
            let disposition = parts.headers["content-disposition"] ?? ""
            if let name = Self.parameter("name", in: disposition) {
                if let filename = Self.parameter("filename", in: disposition) {
                    parts.files[name] = UploadedFile(filename: filename, contentType: parts.headers["content-type"] ?? "application/octet-stream", data: parts.data)
                } else {
                    parts.fields[name] = String(buffer: parts.data)
                }
            }
            parts.headers = [:]
            parts.data = ByteBuffer()
        }
        do { try parser.execute(body) } catch { throw ConsoleRefusal.malformedForm }
        return ConsoleForm(fields: parts.fields, files: parts.files)
    }

    private static func parameter(_ name: String, in disposition: String) -> String? {
        for piece in disposition.split(separator: ";") {
            let pair = piece.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0].lowercased() == name { return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        }
        return nil
    }
}

/// Why the console refused a request before the API saw it.
enum ConsoleRefusal: Error {
    /// No or a wrong anti-forgery token (403).
    case forgedForm
    /// Not a form the console sends (400).
    case malformedForm
}
