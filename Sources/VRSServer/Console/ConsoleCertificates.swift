import Foundation
import Hummingbird
import VRSStore

/// 接種証明書 on the console: a SMART Health Card issued from the person page (its QR code shown
/// once, to print or to scan into an app) and, for admins, a certificate revoked.
struct ConsoleCertificates: Sendable {
    let console: Console

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("persons/:id/certificates") { request, context in
            try await console.page(request, context, roles: ConsolePersons.municipal) { visitor in
                let id = try context.parameters.require("id")
                _ = try await console.form(request, visitor)
                struct Body: Encodable { let format = "shc" }
                let answer = try await console.api.call(.post, "/v1/persons/\(id)/certificates", body: .encode(Body()), token: visitor.token, context: context)
                guard answer.isSuccess else {
                    let message = Console.fieldErrors(answer.problem).values.first ?? Console.summary(answer.problem)
                    return console.render("message", ["title": "接種証明書", "message": message, "back": "/console/persons/\(id)"],
                                          visitor: visitor, status: answer.status)
                }
                var data = answer.json.dictionary
                data["title"] = "接種証明書を発行しました"
                data["section"] = "/console/persons"
                data["issuedAtLabel"] = ConsoleFormat.time(answer.json["issuedAt"].string)
                return console.render("certificate-issued", data, visitor: visitor, status: .created)
            }
        }
        group.post("certificates/:certificateId/revoke") { request, context in
            try await console.page(request, context, roles: [.admin]) { visitor in
                let form = try await console.form(request, visitor)
                guard let id = UUID(uuidString: try context.parameters.require("certificateId")),
                      let person = UUID(uuidString: form["personId"]) else { throw HTTPError(.notFound) }
                let answer = try await console.api.call(.post, "/v1/certificates/\(id.uuidString.lowercased())/revoke", token: visitor.token, context: context)
                guard answer.isSuccess else {
                    return console.render("message", ["title": "接種証明書", "message": Console.summary(answer.problem)], visitor: visitor, status: answer.status)
                }
                return Console.redirect("/console/persons/\(person.uuidString.lowercased())?notice=revoked")
            }
        }
    }

    /// The person's certificates as the person page lists them (newest first).
    func rows(of personID: String, visitor: Visitor, context: AppRequestContext) async throws -> [[String: Any]] {
        let answer = try await console.api.call(.get, "/v1/persons/\(personID)/certificates", token: visitor.token, context: context)
        return answer.json["certificates"].elements.map { certificate -> [String: Any] in
            var row = certificate.dictionary
            row["issuedAtLabel"] = ConsoleFormat.time(certificate["issuedAt"].string)
            row["revokedLabel"] = certificate["revokedAt"].string.map { "失効（\(ConsoleFormat.time($0))）" } ?? "有効"
            row["revocable"] = visitor.role == .admin && certificate["revokedAt"].string == nil
            return row
        }
    }
}
