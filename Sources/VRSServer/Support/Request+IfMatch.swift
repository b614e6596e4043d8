import Foundation
import HTTPTypes
import Hummingbird

/// Versions as entity tags: a person's or a dose's version in double quotes (`"3"`), strong.
enum EntityTag {
    static func of(_ version: Int) -> String { "\"\(version)\"" }
}

extension Request {
    /// The version a correction read, from `If-Match`: exactly one ETag as this server sends them
    /// (`"3"`). 428 when it is missing or `*` (a correction names what it corrects), 400 for
    /// anything else; a version that is no longer the record's gets 412 from the door.
    func ifMatchVersion() throws -> Int {
        let values = headers[values: .ifMatch].map { $0.trimmingCharacters(in: .whitespaces) }
        guard !values.isEmpty else {
            throw AppError.preconditionRequired("a correction needs If-Match with the ETag of the version it corrects (read it with GET first)")
        }
        if values == ["*"] {
            throw AppError.preconditionRequired("If-Match: * names no version: send the ETag of the version you read")
        }
        guard values.count == 1, let tag = values.first, tag.count >= 3, tag.count <= 11, tag.hasPrefix("\""), tag.hasSuffix("\""),
              let version = Int(tag.dropFirst().dropLast()), version > 0, !tag.dropFirst().hasPrefix("0"),
              tag.dropFirst().dropLast().allSatisfy(\.isASCII)
        else {
            throw AppError.badRequest("If-Match must carry the one ETag this server sent for the record, e.g. \"3\"", field: "If-Match")
        }
        return version
    }
}

extension Response {
    /// The response with `ETag` set to the version's tag.
    func tagged(_ version: Int) -> Response {
        var response = self
        response.headers[.eTag] = EntityTag.of(version)
        return response
    }
}
