import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import VRSDomain
import VRSStore

/// Municipal staff: search, the person page with its status and reissue forms, the target import
/// and the pending list.
struct ConsolePersons: Sendable {
    let console: Console
    static let municipal: Set<AccountRole> = [.staff, .admin]
    /// The search keys as the API names them, with the labels staff know.
    static let keys = [("addressNumber", "宛名番号"), ("personalNumber", "個人番号"), ("couponNumber", "券番号")]

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("persons") { request, context in
            try await console.page(request, context, roles: Self.municipal) { visitor in searchPage(visitor) }
        }
        // POST, not GET: an Individual Number typed here never reaches a URL, the history or a log.
        group.post("persons/search") { request, context in
            try await console.page(request, context, roles: Self.municipal) { visitor in
                let form = try await console.form(request, visitor)
                let kind = Self.keys.map(\.0).contains(form["kind"]) ? form["kind"] : "addressNumber"
                let value = form["value"]
                var query = URLComponents()
                query.queryItems = [URLQueryItem(name: kind, value: value)]
                let answer = try await console.api.call(.get, "/v1/persons?\(query.percentEncodedQuery ?? "")", token: visitor.token, context: context)
                guard answer.isSuccess else {
                    let message = Console.fieldErrors(answer.problem)[kind] ?? Console.summary(answer.problem)
                    return searchPage(visitor, kind: kind, value: kind == "personalNumber" ? "" : value, error: message, status: .unprocessableContent)
                }
                guard let id = answer.json["persons"].elements.first?["personId"].string else {
                    return searchPage(visitor, kind: kind, value: kind == "personalNumber" ? "" : value, error: "該当する対象者はいません。", status: .ok)
                }
                return Console.redirect("/console/persons/\(id)")
            }
        }
        group.get("persons/:id") { request, context in
            try await console.page(request, context, roles: Self.municipal) { visitor in
                let notice: String? = switch request.uri.queryParameters["notice"].map(String.init) {
                case "status": "状態を登録しました。"
                case "coupon": "接種券を再発行しました。"
                case "revoked": "接種証明書を失効させました。"
                default: nil
                }
                return try await personPage(try context.parameters.require("id"), visitor, context: context, notice: notice)
            }
        }
        group.post("persons/:id/status") { request, context in
            try await console.page(request, context, roles: Self.municipal) { visitor in
                let id = try context.parameters.require("id")
                let form = try await console.form(request, visitor)
                struct Body: Encodable { let status: String; let effectiveDate: String?; let destinationCode: String? }
                let answer = try await console.api.call(
                    .post, "/v1/persons/\(id)/status",
                    body: .encode(Body(status: form["status"], effectiveDate: form.optional("effectiveDate"), destinationCode: form.optional("destinationCode"))),
                    token: visitor.token, context: context)
                guard answer.isSuccess else {
                    return try await personPage(id, visitor, context: context, statusErrors: Console.fieldErrors(answer.problem),
                                                summary: Console.summary(answer.problem), status: .unprocessableContent)
                }
                return Console.redirect("/console/persons/\(id)?notice=status")
            }
        }
        group.post("persons/:id/coupons") { request, context in
            try await console.page(request, context, roles: Self.municipal) { visitor in
                let id = try context.parameters.require("id")
                let form = try await console.form(request, visitor)
                struct Body: Encodable { let couponNumber: String; let kind: Int?; let dose: Int? }
                let answer = try await console.api.call(
                    .post, "/v1/persons/\(id)/coupons",
                    body: .encode(Body(couponNumber: form["couponNumber"], kind: Int(form["kind"]), dose: Int(form["dose"]))),
                    token: visitor.token, context: context)
                guard answer.isSuccess else {
                    return try await personPage(id, visitor, context: context, couponErrors: Console.fieldErrors(answer.problem),
                                                summary: Console.summary(answer.problem), status: .unprocessableContent)
                }
                return Console.redirect("/console/persons/\(id)?notice=coupon")
            }
        }
        group.get("imports") { request, context in
            try await console.page(request, context, roles: Self.municipal) { visitor in
                console.render("imports", ["title": "対象者取込", "section": "/console/imports"], visitor: visitor)
            }
        }
        group.post("imports") { request, context in
            try await console.page(request, context, roles: Self.municipal) { visitor in
                let form = try await console.form(request, visitor)
                var data: [String: Any] = ["title": "対象者取込", "section": "/console/imports"]
                guard let file = form.files["file"], file.data.readableBytes > 0 else {
                    data["errors"] = ["file": "取り込むファイルを選んでください。"]
                    return console.render("imports", data, visitor: visitor, status: .unprocessableContent)
                }
                let charset = ["utf-8", "shift_jis"].contains(form["charset"]) ? "; charset=\(form["charset"])" : ""
                let answer = try await console.api.call(.post, "/v1/persons/import", body: .file(file.data, contentType: "text/csv\(charset)"),
                                                        token: visitor.token, context: context)
                data["filename"] = file.filename
                if answer.isSuccess {
                    data["counts"] = answer.json.dictionary
                    return console.render("imports", data, visitor: visitor)
                }
                data["summary"] = "ファイルに誤りがあるため、取り込みませんでした（1 行も登録していません）。誤りを直して、ファイル全体をもう一度取り込んでください。"
                data["lineErrors"] = Console.lineErrors(answer.problem)
                if answer.problem?.errors?.isEmpty ?? true { data["summary"] = Console.summary(answer.problem) }
                return console.render("imports", data, visitor: visitor, status: .unprocessableContent)
            }
        }
        group.get("pending") { request, context in
            try await console.page(request, context, roles: Self.municipal) { visitor in
                let answer = try await console.api.call(.get, "/v1/vaccinations/pending?limit=100", token: visitor.token, context: context)
                let rows = answer.json["pending"].elements.map { dose -> [String: Any] in
                    var row = dose.dictionary
                    row["flagsLabel"] = ConsoleLabels.doseFlags(dose["flags"].elements.compactMap(\.string))
                    return row
                }
                return console.render("pending", ["title": "未紐付け接種記録", "section": "/console/pending", "doses": rows, "none": rows.isEmpty],
                                      visitor: visitor)
            }
        }
    }

    private func searchPage(_ visitor: Visitor, kind: String = "addressNumber", value: String = "", error: String? = nil,
                            status: HTTPResponse.Status = .ok) -> Response {
        var data: [String: Any] = [
            "title": "対象者検索", "section": "/console/persons", "value": value,
            "keys": Self.keys.map { ["name": $0.0, "label": $0.1, "selected": $0.0 == kind] },
        ]
        if let error { data["error"] = error }
        return console.render("persons", data, visitor: visitor, status: status)
    }

    /// The person with coupons, doses (their origin) and the history of status changes.
    private func personPage(_ id: String, _ visitor: Visitor, context: AppRequestContext, statusErrors: [String: String] = [:],
                            couponErrors: [String: String] = [:], summary: String? = nil, notice: String? = nil,
                            status: HTTPResponse.Status = .ok) async throws -> Response {
        guard UUID(uuidString: id) != nil else { throw HTTPError(.notFound) }
        let answer = try await console.api.call(.get, "/v1/persons/\(id)", token: visitor.token, context: context)
        guard answer.isSuccess else {
            return console.render("message", ["title": "対象者", "message": Console.summary(answer.problem)], visitor: visitor, status: answer.status)
        }
        let person = answer.json
        var data = person.dictionary
        data["title"] = "対象者 \(person["familyName"].string ?? "") \(person["givenName"].string ?? "")"
        data["section"] = "/console/persons"
        data["statusLabel"] = ConsoleLabels.status(person["status"].string ?? "")
        data["sexLabel"] = ConsoleLabels.sex(person["sex"].string ?? "")
        data["isActive"] = person["status"].string == "active"
        data["destinationName"] = person["destinationCode"].string.flatMap { try? MunicipalityCode($0) }
            .flatMap { MunicipalityDirectory.official.entry(for: $0)?.name } ?? ""
        data["coupons"] = person["coupons"].elements.map { coupon -> [String: Any] in
            var row = coupon.dictionary
            row["statusLabel"] = ConsoleLabels.couponStatus(coupon["status"].string ?? "")
            return row
        }
        data["vaccinations"] = person["vaccinations"].elements.map { dose -> [String: Any] in
            var row = dose.dictionary
            row["stateLabel"] = ConsoleLabels.doseState(dose["state"].string ?? "")
            row["sourceLabel"] = ConsoleLabels.doseSource(dose["source"].string ?? "")
            row["flagsLabel"] = ConsoleLabels.doseFlags(dose["flags"].elements.compactMap(\.string))
            if let code = dose["origin"]["municipalityCode"].string {
                row["originLabel"] = "\((try? MunicipalityCode(code)).flatMap { MunicipalityDirectory.official.entry(for: $0)?.name } ?? code)（照会で取得）"
            }
            return row
        }
        data["statuses"] = [("active", "住民"), ("moved_out", "転出"), ("deceased", "死亡")].map {
            ["value": $0.0, "label": $0.1, "selected": $0.0 == person["status"].string]
        }
        data["statusErrors"] = statusErrors
        data["couponErrors"] = couponErrors
        if let summary { data["summary"] = summary }
        if let notice { data["notice"] = notice }
        data["certificates"] = try await ConsoleCertificates(console: console).rows(of: id, visitor: visitor, context: context)
        data["hasDoses"] = person["vaccinations"].elements.contains { $0["state"].string == "recorded" }
        let history = try await console.api.call(.get, "/v1/persons/\(id)/history", token: visitor.token, context: context)
        data["history"] = history.json["changes"].elements.filter { $0["action"].string == "person.status" || $0["action"].string == "person.amend" }
            .map { change -> [String: Any] in
                [
                    "changedAt": ConsoleFormat.time(change["changedAt"].string),
                    "action": change["action"].string == "person.status" ? "異動（状態）" : "訂正",
                    "actor": change["actor"]["userId"].string ?? "",
                    "changes": change["changes"].elements.map { field -> String in
                        let old = Self.shown(field["old"], field: field["field"].string), new = Self.shown(field["new"], field: field["field"].string)
                        return "\(ConsoleFormat.fieldLabel(field["field"].string ?? "")): \(old) → \(new)"
                    }.joined(separator: "、"),
                ]
            }
        return console.render("person", data, visitor: visitor, status: status)
    }

    private static func shown(_ value: JSONValue, field: String?) -> String {
        switch value {
        case .null: return "なし"
        case .string(let text):
            switch field {
            case "status": return ConsoleLabels.status(text)
            case "destinationCode": return "\(ConsoleTransfers.name(text))（\(text)）"
            default: return text
            }
        case .number(let n): return String(Int(n))
        case .bool(let b): return b ? "はい" : "いいえ"
        default: return "…"
        }
    }
}

/// Dates, times and field names as pages show them (Japan time).
enum ConsoleFormat {
    static func time(_ iso: String?) -> String {
        guard let iso, let date = ISO8601DateFormatter().date(from: iso) else { return iso ?? "" }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Tokyo")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%04d-%02d-%02d %02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!)
    }

    static func fieldLabel(_ field: String) -> String {
        switch field {
        case "status": "状態"
        case "statusEffectiveOn": "異動日"
        case "destinationCode": "転出先"
        case "familyName": "氏"
        case "givenName": "名"
        case "addressNumber": "宛名番号"
        case "birthDate": "生年月日"
        default: field
        }
    }
}
