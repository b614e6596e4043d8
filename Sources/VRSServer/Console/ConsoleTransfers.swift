import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import VRSDomain
import VRSStore

/// 接種記録照会: one inquiry, a batch from a file with its progress and result, provision records.
struct ConsoleTransfers: Sendable {
    let console: Console

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("transfers") { request, context in
            try await console.page(request, context, roles: ConsolePersons.municipal) { visitor in
                let personID = request.uri.queryParameters["personId"].map(String.init).flatMap { UUID(uuidString: $0) }?.uuidString.lowercased()
                return try await page(visitor, context: context, data: ["personId": personID ?? ""])
            }
        }
        // The Individual Number goes in the body of a POST, never in a URL.
        group.post("transfers") { request, context in
            try await console.page(request, context, roles: ConsolePersons.municipal) { visitor in
                let form = try await console.form(request, visitor)
                struct Body: Encodable { let previousMunicipalityCode: String; let personalNumber: String; let personId: String?; let purpose: String? }
                let answer = try await console.api.call(
                    .post, "/v1/transfer-inquiries",
                    body: .encode(Body(previousMunicipalityCode: form["previousMunicipalityCode"], personalNumber: form["personalNumber"],
                                       personId: form.optional("personId"), purpose: form.optional("purpose"))),
                    token: visitor.token, context: context)
                var data: [String: Any] = ["personId": form["personId"], "previousMunicipalityCode": form["previousMunicipalityCode"]]
                guard answer.isSuccess else {
                    data["errors"] = Console.fieldErrors(answer.problem)
                    data["summary"] = Console.summary(answer.problem)
                    return try await page(visitor, context: context, data: data, status: .unprocessableContent)
                }
                let result = answer.json
                var shown = result.dictionary
                shown["statusLabel"] = ConsoleLabels.inquiryStatus(result["status"].string ?? "")
                shown["providerName"] = Self.name(result["previousMunicipalityCode"].string)
                shown["records"] = result["records"].elements.map(\.dictionary)
                shown["hasRecords"] = !result["records"].elements.isEmpty
                data["result"] = shown
                return try await page(visitor, context: context, data: data)
            }
        }
        group.post("transfers/batches") { request, context in
            try await console.page(request, context, roles: ConsolePersons.municipal) { visitor in
                let form = try await console.form(request, visitor)
                guard let file = form.files["file"], file.data.readableBytes > 0 else {
                    return try await page(visitor, context: context, data: ["batchErrors": ["file": "照会ファイルを選んでください。"]], status: .unprocessableContent)
                }
                var query = URLComponents()
                query.queryItems = form.optional("purpose").map { [URLQueryItem(name: "purpose", value: $0)] }
                let charset = ["utf-8", "shift_jis"].contains(form["charset"]) ? "; charset=\(form["charset"])" : ""
                let answer = try await console.api.call(
                    .post, "/v1/transfer-inquiries/batches\(query.percentEncodedQuery.map { "?\($0)" } ?? "")",
                    body: .file(file.data, contentType: "text/csv\(charset)"), token: visitor.token, context: context)
                guard answer.isSuccess, let id = answer.json["batchId"].string else {
                    let lines = Console.lineErrors(answer.problem)
                    return try await page(visitor, context: context, data: ["batchLineErrors": lines, "hasBatchLineErrors": !lines.isEmpty,
                                                                            "summary": lines.isEmpty ? Console.summary(answer.problem) : "ファイルに誤りがあるため、照会を受け付けませんでした。"],
                                          status: .unprocessableContent)
                }
                return Console.redirect("/console/transfers/batches/\(id)")
            }
        }
        group.get("transfers/batches/:id") { request, context in
            try await console.page(request, context, roles: ConsolePersons.municipal) { visitor in
                let id = try Self.batchID(context)
                let answer = try await console.api.call(.get, "/v1/transfer-inquiries/batches/\(id)?limit=200", token: visitor.token, context: context)
                guard answer.isSuccess else {
                    return console.render("message", ["title": "一括照会", "message": Console.summary(answer.problem)], visitor: visitor, status: answer.status)
                }
                let batch = answer.json
                var data = batch.dictionary
                let lines = Int(batch["lines"].template as? Int ?? 0), answered = Int(batch["answered"].template as? Int ?? 0)
                let done = batch["status"].string == "done" || batch["status"].string == "failed"
                data["title"] = "一括照会の状況"
                data["section"] = "/console/transfers"
                data["statusLabel"] = ConsoleLabels.inquiryStatus(batch["status"].string ?? "")
                data["done"] = done
                data["percent"] = lines == 0 ? 100 : answered * 100 / lines
                data["createdAt"] = ConsoleFormat.time(batch["createdAt"].string)
                data["expiresAt"] = ConsoleFormat.time(batch["expiresAt"].string)
                data["results"] = batch["results"].elements.map { line -> [String: Any] in
                    var row = line.dictionary
                    row["statusLabel"] = ConsoleLabels.inquiryStatus(line["status"].string ?? "")
                    row["providerName"] = Self.name(line["previousMunicipalityCode"].string)
                    row["recordCount"] = line["records"].elements.count
                    return row
                }
                return console.render("batch", data, visitor: visitor)
            }
        }
        group.get("transfers/batches/:id/result.csv") { request, context in
            try await console.page(request, context, roles: ConsolePersons.municipal) { visitor in
                let charset = request.uri.queryParameters["charset"] == "shift_jis" ? "shift_jis" : "utf-8"
                return try await console.api.send(.get, "/v1/transfer-inquiries/batches/\(try Self.batchID(context))?charset=\(charset)",
                                                  token: visitor.token, headers: [.accept: "text/csv"], context: context)
            }
        }
        group.get("provision-records") { request, context in
            try await console.page(request, context, roles: ConsolePersons.municipal) { visitor in
                let direction = request.uri.queryParameters["direction"] == "outbound" ? "outbound" : "inbound"
                let answer = try await console.api.call(.get, "/v1/provision-records?direction=\(direction)&limit=100", token: visitor.token, context: context)
                let purposes = try await console.api.call(.get, "/v1/transfer-inquiries/purposes", token: visitor.token, context: context)
                let purposeNames = Dictionary(purposes.json["purposes"].elements.compactMap { purpose in
                    purpose["code"].string.map { ($0, purpose["name"].string ?? $0) }
                }, uniquingKeysWith: { first, _ in first })
                let records = answer.json["records"].elements.map { record -> [String: Any] in
                    var row = record.dictionary
                    row["purposeName"] = record["purpose"].string.map { purposeNames[$0] ?? $0 } ?? ""
                    row["kindLabel"] = ConsoleLabels.provisionKind(record["kind"].string ?? "")
                    row["requestedAt"] = ConsoleFormat.time(record["requestedAt"].string)
                    row["requesterName"] = Self.name(record["requesterCode"].string)
                    row["providerName"] = Self.name(record["providerCode"].string)
                    row["statusLabel"] = ConsoleLabels.inquiryStatus(record["status"].string ?? "")
                    return row
                }
                return console.render("provision-records", [
                    "title": "提供記録", "section": "/console/provision-records", "records": records, "none": records.isEmpty,
                    "inbound": direction == "inbound", "directionLabel": direction == "inbound" ? "他団体から照会を受けた記録" : "自団体が照会した記録",
                ], visitor: visitor)
            }
        }
    }

    private static func batchID(_ context: AppRequestContext) throws -> String {
        guard let id = UUID(uuidString: try context.parameters.require("id")) else { throw HTTPError(.notFound) }
        return id.uuidString.lowercased()
    }

    static func name(_ code: String?) -> String {
        code.flatMap { try? MunicipalityCode($0) }.flatMap { MunicipalityDirectory.official.entry(for: $0)?.name } ?? (code ?? "")
    }

    /// The inquiry forms, with the purposes the API offers.
    private func page(_ visitor: Visitor, context: AppRequestContext, data: [String: Any], status: HTTPResponse.Status = .ok) async throws -> Response {
        let purposes = try await console.api.call(.get, "/v1/transfer-inquiries/purposes", token: visitor.token, context: context)
        var all = data
        all["title"] = "接種記録照会"
        all["section"] = "/console/transfers"
        all["purposes"] = purposes.json["purposes"].elements.map { purpose -> [String: Any] in
            var row = purpose.dictionary
            row["selected"] = purpose["isDefault"] == .bool(true)
            return row
        }
        return console.render("transfers", all, visitor: visitor, status: status)
    }
}
