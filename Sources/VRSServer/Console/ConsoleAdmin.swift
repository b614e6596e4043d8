import VRSCrypto
import Foundation
import HTTPTypes
import Hummingbird
import VRSDomain
import VRSStore

/// Municipal admins: staff accounts, tablets (the token shown once, also as a QR code) and the audit log.
/// The audit log page is shared with operators, who see their own chain.
struct ConsoleAdmin: Sendable {
    let console: Console

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("users") { request, context in
            try await console.page(request, context, roles: [.admin]) { visitor in try await usersPage(visitor, context: context) }
        }
        group.post("users") { request, context in
            try await console.page(request, context, roles: [.admin]) { visitor in
                let form = try await console.form(request, visitor)
                struct Body: Encodable { let userId: String; let role: String; let displayName: String }
                let answer = try await console.api.call(.post, "/v1/users", body: .encode(Body(userId: form["userId"], role: "staff", displayName: form["displayName"])),
                                                        token: visitor.token, context: context)
                guard answer.isSuccess else {
                    return try await usersPage(visitor, context: context, data: [
                        "errors": Console.fieldErrors(answer.problem), "summary": Console.summary(answer.problem),
                        "userId": form["userId"], "displayName": form["displayName"],
                    ], status: .unprocessableContent)
                }
                return issued(answer.json, visitor: visitor, title: "職員アカウントを作成しました", back: "/console/users")
            }
        }
        for (action, path, done) in [("lock", "lock", "ロックしました。"), ("unlock", "unlock", "ロックを解除しました。"), ("reset", "password-reset", "")] {
            group.post("users/:userId/\(action)") { request, context in
                try await console.page(request, context, roles: [.admin, .operator]) { visitor in
                    _ = try await console.form(request, visitor)
                    let userID = try context.parameters.require("userId")
                    let back = request.uri.queryParameters["back"].map(String.init).flatMap { $0.hasPrefix("/console/") ? $0 : nil } ?? "/console/users"
                    let answer = try await console.api.call(.post, "/v1/users/\(Self.escaped(userID))/\(path)", token: visitor.token, context: context)
                    guard answer.isSuccess else {
                        return console.render("message", ["title": "操作できませんでした", "message": Console.summary(answer.problem)], visitor: visitor, status: answer.status)
                    }
                    if action == "reset" {
                        if answer.status == .accepted {
                            return console.render("message", ["title": "リセットを申請しました", "message": "ほかの運用者が承認すると、初期パスワードが発行されます。"], visitor: visitor)
                        }
                        return issued(answer.json, visitor: visitor, title: "パスワードをリセットしました", back: back)
                    }
                    return Console.redirect("\(back)\(back.contains("?") ? "&" : "?")notice=\(action)")
                }
            }
        }
        group.get("devices") { request, context in
            try await console.page(request, context, roles: [.admin]) { visitor in try await devicesPage(visitor, context: context) }
        }
        group.post("devices") { request, context in
            try await console.page(request, context, roles: [.admin]) { visitor in
                let form = try await console.form(request, visitor)
                struct Body: Encodable { let label: String }
                let answer = try await console.api.call(.post, "/v1/devices", body: .encode(Body(label: form["label"])), token: visitor.token, context: context)
                guard answer.isSuccess, let token = answer.json["token"].string else {
                    return try await devicesPage(visitor, context: context, data: ["errors": Console.fieldErrors(answer.problem), "label": form["label"]],
                                                 status: .unprocessableContent)
                }
                var data = answer.json.dictionary
                data["title"] = "タブレットを登録しました"
                data["section"] = "/console/devices"
                if let qr = try? QRCode(text: token, errorCorrection: .medium) {
                    data["qr"] = "data:image/svg+xml;base64," + Data(qr.svg(moduleSize: 6, label: "タブレット用トークンの QR コード").utf8).base64EncodedString()
                }
                return console.render("device-issued", data, visitor: visitor, status: .created)
            }
        }
        group.post("devices/:deviceId/revoke") { request, context in
            try await console.page(request, context, roles: [.admin]) { visitor in
                _ = try await console.form(request, visitor)
                guard let id = UUID(uuidString: try context.parameters.require("deviceId")) else { throw HTTPError(.notFound) }
                let answer = try await console.api.call(.delete, "/v1/devices/\(id.uuidString.lowercased())", token: visitor.token, context: context)
                guard answer.isSuccess else {
                    return console.render("message", ["title": "失効できませんでした", "message": Console.summary(answer.problem)], visitor: visitor, status: answer.status)
                }
                return Console.redirect("/console/devices?notice=revoked")
            }
        }
        group.get("audit") { request, context in
            try await console.page(request, context, roles: [.admin, .operator]) { visitor in
                var items = [URLQueryItem(name: "limit", value: "50")]
                var filters: [String: Any] = [:]
                for name in ["action", "actorId", "outcome", "before"] {
                    if let value = request.uri.queryParameters[Substring(name)].map(String.init), !value.isEmpty {
                        items.append(URLQueryItem(name: name, value: value))
                        filters[name] = value
                    }
                }
                var query = URLComponents()
                query.queryItems = items
                let answer = try await console.api.call(.get, "/v1/audit-events?\(query.percentEncodedQuery ?? "")", token: visitor.token, context: context)
                var data: [String: Any] = ["title": visitor.role == .operator ? "監査ログ（運用）" : "監査ログ", "section": "/console/audit", "filters": filters]
                if !answer.isSuccess {
                    data["summary"] = Console.summary(answer.problem)
                    data["errors"] = Console.fieldErrors(answer.problem)
                }
                data["outcomes"] = [("", "すべて"), ("success", "成功"), ("failure", "失敗"), ("denied", "拒否")].map {
                    ["value": $0.0, "label": $0.1, "selected": $0.0 == (filters["outcome"] as? String ?? "")]
                }
                data["events"] = answer.json["events"].elements.map { event -> [String: Any] in
                    var row = event.dictionary
                    row["occurredAt"] = ConsoleFormat.time(event["occurredAt"].string)
                    row["actorRoleLabel"] = ConsoleLabels.role(named: event["actorRole"].string ?? "")
                    row["outcomeLabel"] = ConsoleLabels.outcome(event["outcome"].string ?? "")
                    row["detailsLabel"] = event["details"].dictionary.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                    return row
                }
                if let next = answer.json["nextBefore"].template as? Int {
                    var more = query
                    more.queryItems = items.filter { $0.name != "before" && $0.name != "limit" } + [URLQueryItem(name: "before", value: String(next))]
                    data["nextPage"] = "/console/audit?\(more.percentEncodedQuery ?? "")"
                }
                return console.render("audit", data, visitor: visitor, status: answer.isSuccess ? .ok : .unprocessableContent)
            }
        }
    }

    static func escaped(_ userID: String) -> String {
        userID.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "._-@"))) ?? userID
    }

    /// The one-time password, shown once on a page that is not stored anywhere.
    func issued(_ account: JSONValue, visitor: Visitor, title: String, back: String) -> Response {
        var data = account.dictionary
        data["title"] = title
        data["back"] = back
        return console.render("password-issued", data, visitor: visitor, status: .created)
    }

    private func usersPage(_ visitor: Visitor, context: AppRequestContext, data: [String: Any] = [:], status: HTTPResponse.Status = .ok) async throws -> Response {
        let answer = try await console.api.call(.get, "/v1/users", token: visitor.token, context: context)
        var all = data
        all["title"] = "職員アカウント"
        all["section"] = "/console/users"
        all["users"] = Self.accountRows(answer.json)
        return console.render("users", all, visitor: visitor, status: status)
    }

    static func accountRows(_ list: JSONValue) -> [[String: Any]] {
        list["users"].elements.map { user -> [String: Any] in
            var row = user.dictionary
            row["roleLabel"] = AccountRole(rawValue: user["role"].string ?? "").map(ConsoleLabels.role) ?? ""
            row["path"] = escaped(user["userId"].string ?? "")
            row["stateLabel"] = user["locked"] == .bool(true) ? (user["lockedByOperator"] == .bool(true) ? "ロック中（運用者）" : "ロック中")
                : (user["mustChangePassword"] == .bool(true) ? "初期パスワード" : "利用中")
            return row
        }
    }

    private func devicesPage(_ visitor: Visitor, context: AppRequestContext, data: [String: Any] = [:], status: HTTPResponse.Status = .ok) async throws -> Response {
        let answer = try await console.api.call(.get, "/v1/devices", token: visitor.token, context: context)
        var all = data
        all["title"] = "タブレット"
        all["section"] = "/console/devices"
        all["devices"] = answer.json["devices"].elements.map { device -> [String: Any] in
            var row = device.dictionary
            row["createdAt"] = ConsoleFormat.time(device["createdAt"].string)
            row["lastSeenAt"] = device["lastSeenAt"].string.map { ConsoleFormat.time($0) } ?? "—"
            row["revoked"] = device["revokedAt"].string != nil
            row["revokedAt"] = device["revokedAt"].string.map { ConsoleFormat.time($0) } ?? ""
            return row
        }
        return console.render("devices", all, visitor: visitor, status: status)
    }
}
