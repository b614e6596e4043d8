import Foundation
import HTTPTypes
import Hummingbird
import VRSDomain
import VRSStore

/// Operators create statistics viewers (統計閲覧者) of a prefecture or the nation; the initial
/// password is shown once, as for every account.
struct ConsoleViewers: Sendable {
    let console: Console

    /// The 47 prefectures of the official list, in code order, for the scope menu.
    static let prefectures: [(code: String, name: String)] = MunicipalityDirectory.official.entries
        .filter { $0.kind == .prefecture }
        .map { (String($0.code.rawValue.prefix(2)), $0.name) }
        .sorted { $0.code < $1.code }

    /// The name of a scope: a prefecture's, or 全国.
    static func scopeName(_ code: String?) -> String {
        guard let code, !code.isEmpty else { return "全国" }
        return prefectures.first { $0.code == code }?.name ?? code
    }

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("viewers") { request, context in
            try await console.page(request, context, roles: [.operator]) { visitor in
                try await page(visitor, context: context, data: ConsoleOperator.notice(request))
            }
        }
        group.post("viewers") { request, context in
            try await console.page(request, context, roles: [.operator]) { visitor in
                let form = try await console.form(request, visitor)
                let scope = form.optional("prefecture")
                struct Body: Encodable { let userId: String; let displayName: String; let prefecture: String? }
                let answer = try await console.api.call(
                    .post, "/v1/viewers", body: .encode(Body(userId: form["userId"], displayName: form["displayName"], prefecture: scope)),
                    token: visitor.token, context: context)
                guard answer.isSuccess else {
                    return try await page(visitor, context: context, data: ["errors": Console.fieldErrors(answer.problem), "summary": Console.summary(answer.problem),
                                                "userId": form["userId"], "displayName": form["displayName"]],
                                chosen: scope, status: answer.status)
                }
                var issued = answer.json.dictionary
                issued["scopeName"] = Self.scopeName(scope)
                issued["title"] = "統計閲覧者アカウントを作成しました（\(Self.scopeName(scope))）"
                issued["back"] = "/console/viewers"
                return console.render("password-issued", issued, visitor: visitor, status: .created)
            }
        }
    }

    private func page(_ visitor: Visitor, context: AppRequestContext, data: [String: Any] = [:], chosen: String? = nil,
                      status: HTTPResponse.Status = .ok) async throws -> Response {
        let answer = try await console.api.call(.get, "/v1/viewers", token: visitor.token, context: context)
        let viewers = answer.json["viewers"].elements.map { viewer -> [String: Any] in
            var row = viewer.dictionary
            row["scopeName"] = Self.scopeName(viewer["prefecture"].string)
            row["path"] = ConsoleAdmin.escaped(viewer["userId"].string ?? "")
            row["stateLabel"] = viewer["locked"] == .bool(true) ? "ロック中" : (viewer["mustChangePassword"] == .bool(true) ? "初期パスワード" : "利用中")
            return row
        }
        var all = data
        all["viewers"] = viewers
        all["none"] = viewers.isEmpty
        all["title"] = "統計閲覧者"
        all["section"] = "/console/viewers"
        all["prefectures"] = Self.prefectures.map { ["code": $0.code, "name": $0.name, "selected": $0.code == chosen] as [String: Any] }
        return console.render("viewers", all, visitor: visitor, status: status)
    }
}
