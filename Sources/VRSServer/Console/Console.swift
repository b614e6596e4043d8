import VRSCrypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import VRSDomain
import VRSStore

/// What every console page shares: the in-process API, the templates and the cookie rules.
struct Console: Sendable {
    let api: ConsoleAPI
    let pages: ConsolePages
    let tokens: ConsoleTokens
    /// Largest form or upload accepted (the API's import limit plus room for the form's fields).
    let maxUpload: Int

    /// The signed-in user behind the request's session cookie, or nil when there is none or the
    /// API no longer accepts it (expired, ended, revoked).
    func visitor(_ request: Request, context: AppRequestContext) async throws -> Visitor? {
        guard let token = request.cookies[tokens.sessionCookie]?.value, !token.isEmpty else { return nil }
        let answer = try await api.call(.get, "/v1/sessions/current", token: token, context: context)
        guard answer.isSuccess, case .object(let body) = answer.json, case .object(let user)? = body["user"],
              case .string(let userID)? = user["userId"], case .string(let roleName)? = user["role"],
              let role = AccountRole(rawValue: roleName) else { return nil }
        var code: String?
        if case .string(let value)? = user["municipalityCode"] { code = value }
        let mustChange = user["mustChangePassword"] == .bool(true)
        return Visitor(token: token, userID: userID, role: role, municipalityCode: code, mustChangePassword: mustChange,
                       csrf: tokens.key.token(for: ConsoleTokens.binding(session: token)))
    }

    /// Runs a page for signed-in users of `roles`: others go to the sign-in page, users with an
    /// initial password to the password page, other roles get 403.
    func page(_ request: Request, _ context: AppRequestContext, roles: Set<AccountRole> = Set(AccountRole.allCases),
              allowsInitialPassword: Bool = false, _ body: (Visitor) async throws -> Response) async throws -> Response {
        guard let visitor = try await visitor(request, context: context) else {
            var response = Self.redirect("/console/sign-in")
            if request.cookies[tokens.sessionCookie] != nil { response.headers.append(HTTPField(name: .setCookie, value: tokens.expired(tokens.sessionCookie))) }
            return response
        }
        if visitor.mustChangePassword && !allowsInitialPassword { return Self.redirect("/console/password") }
        guard roles.contains(visitor.role) else {
            return render("message", ["title": "権限がありません", "message": "このページはこのアカウントの役割では使えません。"], visitor: visitor, status: .forbidden)
        }
        do {
            return try await body(visitor)
        } catch ConsoleRefusal.forgedForm {
            return forged(visitor)
        } catch ConsoleRefusal.malformedForm {
            return render("message", ["title": "送信できませんでした", "message": "フォームの形式が正しくありません。"], visitor: visitor, status: .badRequest)
        }
    }

    /// A posted form of the signed-in `visitor`, its anti-forgery token checked.
    func form(_ request: Request, _ visitor: Visitor) async throws -> ConsoleForm {
        try await ConsoleForm.read(request, limit: maxUpload, tokens: tokens, binding: ConsoleTokens.binding(session: visitor.token))
    }

    /// The answer to a form without its token: nothing was changed.
    func forged(_ visitor: Visitor?) -> Response {
        render("message", ["title": "送信を受け付けませんでした",
                           "message": "フォームの確認用トークンがないか、正しくありません（CSRF 対策）。何も変更していません。ページを開き直して、もう一度送信してください。"],
               visitor: visitor, status: .forbidden)
    }

    /// A page of `template` with the layout's data for `visitor`.
    func render(_ template: String, _ data: [String: Any], visitor: Visitor?, status: HTTPResponse.Status = .ok) -> Response {
        var all = data
        if let visitor {
            var shown: [String: Any] = ["userId": visitor.userID, "roleLabel": ConsoleLabels.role(visitor.role), "csrf": visitor.csrf]
            // Mustache takes an empty string as true: an operator's missing municipality is left out.
            if let name = visitor.municipalityName, let code = visitor.municipalityCode {
                shown["municipalityName"] = name
                shown["municipalityCode"] = code
            }
            all["visitor"] = shown
            if !visitor.mustChangePassword {
                let section = data["section"] as? String
                all["nav"] = ConsoleLabels.navigation(for: visitor.role).map { item -> [String: Any] in
                    var item: [String: Any] = item
                    if item["href"] as? String == section { item["current"] = true }
                    return item
                }
                all["hasNav"] = true
            }
            all["csrf"] = visitor.csrf
        }
        let html = pages.render(template, all)
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// 303 See Other: after a POST the browser fetches the result with GET, so a reload or Back never re-sends the form.
    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    /// The form's errors by field, in Japanese, for the page to show next to each input.
    static func fieldErrors(_ problem: Problem?) -> [String: String] {
        var errors: [String: String] = [:]
        for error in problem?.errors ?? [] {
            let key = error.field.split(separator: ".").last.map(String.init) ?? error.field
            errors[key] = errors[key] ?? ConsoleLabels.message(error)
        }
        return errors
    }

    /// A refused file's errors as table rows: line (the header is line 1), the file's own column
    /// name, and the message in Japanese.
    static func lineErrors(_ problem: Problem?) -> [[String: Any]] {
        (problem?.errors ?? []).map { error in
            ["line": error.line.map(String.init) ?? "—", "column": error.column ?? "—", "message": ConsoleLabels.message(error)]
        }
    }

    /// One line saying what went wrong, in Japanese (for problems that name no field).
    static func summary(_ problem: Problem?) -> String {
        guard let problem else { return "処理できませんでした。時間をおいてもう一度お試しください。" }
        return ConsoleLabels.problem(problem)
    }
}
