import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import VRSCrypto
import VRSDomain
import VRSStore

/// The staff console under `/console/`: Japanese pages over the JSON API, one area per file.
struct ConsoleController: Sendable {
    let console: Console

    /// The console's own router, behind its security headers.
    func responder() -> RouterResponder<AppRequestContext> {
        let router = Router(context: AppRequestContext.self)
        router.add(middleware: ConsoleHeadersMiddleware(console: console))
        let group = router.group("console")
        group.get("assets/:name") { _, context in
            let name = try context.parameters.require("name")
            guard let asset = console.pages.assets[name] else { throw HTTPError(.notFound) }
            return Response(status: .ok, headers: [.contentType: asset.contentType], body: .init(byteBuffer: ByteBuffer(bytes: asset.data)))
        }
        ConsoleSignIn(console: console).addRoutes(to: group)
        ConsolePersons(console: console).addRoutes(to: group)
        ConsoleCertificates(console: console).addRoutes(to: group)
        ConsoleTransfers(console: console).addRoutes(to: group)
        ConsoleExports(console: console).addRoutes(to: group)
        ConsoleStatistics(console: console).addRoutes(to: group)
        ConsoleViewers(console: console).addRoutes(to: group)
        ConsoleAdmin(console: console).addRoutes(to: group)
        ConsoleOperator(console: console).addRoutes(to: group)
        return router.buildResponder()
    }
}

/// Sign-in, the forced password change, sign-out and the home page.
struct ConsoleSignIn: Sendable {
    let console: Console

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get { request, context in
            try await console.page(request, context) { visitor in
                // A viewer has one page: the statistics of its scope.
                if visitor.role == .viewer { return Console.redirect("/console/statistics") }
                return console.render("home", ["title": "ホーム", "isOperator": visitor.role == .operator, "isAdmin": visitor.role == .admin], visitor: visitor)
            }
        }
        group.get("sign-in") { request, context in
            if try await console.visitor(request, context: context) != nil { return Console.redirect("/console/") }
            return signInPage(request, notice: notice(request))
        }
        group.post("sign-in") { request, context in
            guard let visit = request.cookies[console.tokens.visitCookie]?.value else { return console.forged(nil) }
            let form = try await ConsoleForm.read(request, limit: 16 << 10, tokens: console.tokens, binding: ConsoleTokens.binding(visit: visit))
            struct Body: Encodable { let userId: String; let password: String; let otp: String? }
            let answer = try await console.api.call(
                .post, "/v1/sessions", body: .encode(Body(userId: form["userId"], password: form.fields["password"] ?? "", otp: form.optional("otp"))),
                token: nil, context: context)
            guard answer.isSuccess, case .object(let body) = answer.json, case .string(let token)? = body["token"] else {
                return signInPage(request, userID: form["userId"], error: "ユーザーID、パスワードまたは確認コードが正しくありません。", status: .unauthorized)
            }
            var mustChange = false
            if case .object(let user)? = body["user"], user["mustChangePassword"] == .bool(true) { mustChange = true }
            var response = Console.redirect(mustChange ? "/console/password" : "/console/")
            response.headers.append(HTTPField(name: .setCookie, value: console.tokens.cookie(console.tokens.sessionCookie, token)))
            response.headers.append(HTTPField(name: .setCookie, value: console.tokens.expired(console.tokens.visitCookie)))
            return response
        }
        group.get("password") { request, context in
            try await console.page(request, context, allowsInitialPassword: true) { visitor in
                console.render("password", ["title": "パスワード変更", "forced": visitor.mustChangePassword], visitor: visitor)
            }
        }
        group.post("password") { request, context in
            try await console.page(request, context, allowsInitialPassword: true) { visitor in
                let form = try await console.form(request, visitor)
                struct Body: Encodable { let currentPassword: String; let newPassword: String }
                let new = form.fields["newPassword"] ?? ""
                if new != form.fields["confirmPassword"] ?? "" {
                    return console.render("password", ["title": "パスワード変更", "forced": visitor.mustChangePassword,
                                                       "errors": ["confirmPassword": "新しいパスワードが一致しません。"]], visitor: visitor, status: .unprocessableContent)
                }
                let answer = try await console.api.call(
                    .put, "/v1/users/me/password", body: .encode(Body(currentPassword: form.fields["currentPassword"] ?? "", newPassword: new)),
                    token: visitor.token, context: context)
                guard answer.isSuccess else {
                    return console.render("password", ["title": "パスワード変更", "forced": visitor.mustChangePassword,
                                                       "errors": Console.fieldErrors(answer.problem), "summary": Console.summary(answer.problem)],
                                          visitor: visitor, status: .unprocessableContent)
                }
                // Every session of the user ended with the change: sign in with the new password.
                var response = Console.redirect("/console/sign-in?notice=password-changed")
                response.headers.append(HTTPField(name: .setCookie, value: console.tokens.expired(console.tokens.sessionCookie)))
                return response
            }
        }
        group.post("sign-out") { request, context in
            var response = Console.redirect("/console/sign-in?notice=signed-out")
            if let visitor = try await console.visitor(request, context: context) {
                _ = try await console.form(request, visitor)
                _ = try await console.api.call(.delete, "/v1/sessions/current", token: visitor.token, context: context)
            }
            response.headers.append(HTTPField(name: .setCookie, value: console.tokens.expired(console.tokens.sessionCookie)))
            response.headers[HTTPField.Name("Clear-Site-Data")!] = "\"cache\""
            return response
        }
    }

    private func notice(_ request: Request) -> String? {
        switch request.uri.queryParameters["notice"].map(String.init) {
        case "password-changed": "パスワードを変更しました。新しいパスワードでサインインしてください。"
        case "signed-out": "サインアウトしました。"
        default: nil
        }
    }

    /// The sign-in form, with a fresh visit cookie its token is bound to.
    private func signInPage(_ request: Request, userID: String = "", notice: String? = nil, error: String? = nil,
                            status: HTTPResponse.Status = .ok) -> Response {
        let visit = request.cookies[console.tokens.visitCookie]?.value ?? Secrets.token(prefix: "v_")
        var data: [String: Any] = ["title": "サインイン", "userId": userID,
                                   "csrf": console.tokens.key.token(for: ConsoleTokens.binding(visit: visit))]
        if let notice { data["notice"] = notice }
        if let error { data["error"] = error }
        var response = console.render("sign-in", data, visitor: nil, status: status)
        response.headers.append(HTTPField(name: .setCookie, value: console.tokens.cookie(console.tokens.visitCookie, visit)))
        return response
    }
}
