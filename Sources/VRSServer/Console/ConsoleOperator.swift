import Foundation
import HTTPTypes
import Hummingbird
import VRSDomain
import VRSStore

/// Operators: municipalities (list with counts, provision by code after seeing the official name),
/// each municipality's accounts, and the queue of requests awaiting a second operator.
struct ConsoleOperator: Sendable {
    let console: Console

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("municipalities") { request, context in
            try await console.page(request, context, roles: [.operator]) { visitor in
                try await listPage(visitor, context: context, data: Self.notice(request))
            }
        }
        // Step 1: the code is looked up in the official list and its name shown before anything is created.
        group.post("municipalities/confirm") { request, context in
            try await console.page(request, context, roles: [.operator]) { visitor in
                let form = try await console.form(request, visitor)
                let entry: MunicipalityDirectory.Entry
                do {
                    entry = try MunicipalityDirectory.official.tenant(try MunicipalityCode(form["code"], field: "code"), field: "code")
                } catch let error as ValidationError {
                    let field = Problem.FieldError(field: "code", code: error.rule.code, message: error.rule.message)
                    return try await listPage(visitor, context: context, data: ["errors": ["code": ConsoleLabels.message(field)], "code": form["code"]],
                                              status: .unprocessableContent)
                }
                return console.render("municipality-confirm", [
                    "title": "自治体の登録（確認）", "section": "/console/municipalities", "code": entry.code.rawValue, "name": entry.name,
                    "prefecture": entry.prefecture, "kind": entry.kind.rawValue,
                ], visitor: visitor)
            }
        }
        group.post("municipalities") { request, context in
            try await console.page(request, context, roles: [.operator]) { visitor in
                let form = try await console.form(request, visitor)
                struct Body: Encodable { let code: String }
                let answer = try await console.api.call(.post, "/v1/municipalities", body: .encode(Body(code: form["code"])), token: visitor.token, context: context)
                guard answer.isSuccess else {
                    return try await listPage(visitor, context: context, data: ["summary": Console.summary(answer.problem), "errors": Console.fieldErrors(answer.problem)],
                                              status: answer.status)
                }
                return Console.redirect("/console/municipalities/\(answer.json["code"].string ?? "")?notice=provisioned")
            }
        }
        group.get("municipalities/:code") { request, context in
            try await console.page(request, context, roles: [.operator]) { visitor in
                try await municipalityPage(try Self.code(context), visitor, context: context, data: Self.notice(request))
            }
        }
        group.post("municipalities/:code/users") { request, context in
            try await console.page(request, context, roles: [.operator]) { visitor in
                let code = try Self.code(context)
                let form = try await console.form(request, visitor)
                struct Body: Encodable { let userId: String; let role: String; let displayName: String }
                let answer = try await console.api.call(
                    .post, "/v1/municipalities/\(code.rawValue)/users", body: .encode(Body(userId: form["userId"], role: "admin", displayName: form["displayName"])),
                    token: visitor.token, context: context)
                guard answer.isSuccess else {
                    return try await municipalityPage(code, visitor, context: context, data: [
                        "errors": Console.fieldErrors(answer.problem), "summary": Console.summary(answer.problem),
                        "userId": form["userId"], "displayName": form["displayName"],
                    ], status: .unprocessableContent)
                }
                if answer.status == .accepted {
                    return Console.redirect("/console/municipalities/\(code.rawValue)?notice=requested")
                }
                return ConsoleAdmin(console: console).issued(answer.json, visitor: visitor, title: "自治体管理者アカウントを作成しました",
                                                             back: "/console/municipalities/\(code.rawValue)")
            }
        }
        group.get("account-requests") { request, context in
            try await console.page(request, context, roles: [.operator]) { visitor in
                let answer = try await console.api.call(.get, "/v1/account-requests", token: visitor.token, context: context)
                let requests = answer.json["requests"].elements.map { item -> [String: Any] in
                    var row = item.dictionary
                    row["kindLabel"] = item["kind"].string == "create_admin" ? "管理者の追加" : "パスワードリセット"
                    row["mine"] = item["requestedBy"].string == visitor.userID
                    row["municipalityName"] = ConsoleTransfers.name(item["municipalityCode"].string)
                    return row
                }
                var data: [String: Any] = ["title": "承認待ち", "section": "/console/account-requests", "requests": requests, "none": requests.isEmpty]
                data.merge(Self.notice(request)) { $1 }
                return console.render("account-requests", data, visitor: visitor)
            }
        }
        group.post("account-requests/:id/approve") { request, context in
            try await console.page(request, context, roles: [.operator]) { visitor in
                _ = try await console.form(request, visitor)
                guard let id = UUID(uuidString: try context.parameters.require("id")) else { throw HTTPError(.notFound) }
                let answer = try await console.api.call(.post, "/v1/account-requests/\(id.uuidString.lowercased())/approve", token: visitor.token, context: context)
                guard answer.isSuccess else {
                    return console.render("message", ["title": "承認できませんでした", "message": Console.summary(answer.problem)], visitor: visitor, status: answer.status)
                }
                return ConsoleAdmin(console: console).issued(answer.json, visitor: visitor, title: "承認しました", back: "/console/account-requests")
            }
        }
    }

    private static func code(_ context: AppRequestContext) throws -> MunicipalityCode {
        guard let code = try? MunicipalityCode(try context.parameters.require("code")) else { throw HTTPError(.notFound) }
        return code
    }

    static func notice(_ request: Request) -> [String: Any] {
        switch request.uri.queryParameters["notice"].map(String.init) {
        case "provisioned": ["notice": "自治体を登録しました。最初の自治体管理者アカウントを作成してください。"]
        case "requested": ["notice": "申請しました。ほかの運用者の承認を待っています。"]
        case "lock": ["notice": "ロックしました。"]
        case "unlock": ["notice": "ロックを解除しました。"]
        case "revoked": ["notice": "失効しました。このタブレットからは送信できません。"]
        default: [:]
        }
    }

    private func listPage(_ visitor: Visitor, context: AppRequestContext, data: [String: Any], status: HTTPResponse.Status = .ok) async throws -> Response {
        let answer = try await console.api.call(.get, "/v1/municipalities", token: visitor.token, context: context)
        var all = data
        all["title"] = "自治体"
        all["section"] = "/console/municipalities"
        all["municipalities"] = answer.json["municipalities"].elements.map(\.dictionary)
        all["none"] = answer.json["municipalities"].elements.isEmpty
        return console.render("municipalities", all, visitor: visitor, status: status)
    }

    private func municipalityPage(_ code: MunicipalityCode, _ visitor: Visitor, context: AppRequestContext, data: [String: Any],
                                  status: HTTPResponse.Status = .ok) async throws -> Response {
        let answer = try await console.api.call(.get, "/v1/users?municipalityCode=\(code.rawValue)", token: visitor.token, context: context)
        guard answer.isSuccess else {
            return console.render("message", ["title": "自治体", "message": Console.summary(answer.problem)], visitor: visitor, status: answer.status)
        }
        var all = data
        let name = MunicipalityDirectory.official.entry(for: code)?.name ?? code.rawValue
        all["title"] = "\(name)（\(code.rawValue)）のアカウント"
        all["section"] = "/console/municipalities"
        all["code"] = code.rawValue
        all["users"] = ConsoleAdmin.accountRows(answer.json)
        all["back"] = "/console/municipalities/\(code.rawValue)"
        return console.render("municipality", all, visitor: visitor, status: status)
    }
}
