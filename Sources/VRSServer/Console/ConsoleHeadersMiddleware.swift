import VRSStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Puts the console's security headers on every console response, and turns anything a handler
/// throws into a Japanese error page (never a stack trace, never the input that caused it).
struct ConsoleHeadersMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let console: Console

    /// No inline script or style, nothing from elsewhere, no framing, forms post only here.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound || error.status == .methodNotAllowed {
            response = console.render("message", ["title": "ページが見つかりません", "message": "アドレスを確認してください。"], visitor: nil, status: error.status)
        } catch ConsoleRefusal.forgedForm {
            response = console.forged(nil)
        } catch ConsoleRefusal.malformedForm {
            response = console.render("message", ["title": "送信できませんでした", "message": "フォームの形式が正しくありません。"], visitor: nil, status: .badRequest)
        } catch {
            context.logger.error("console page failed", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            response = console.render("message", ["title": "エラーが発生しました", "message": "処理できませんでした。時間をおいてもう一度お試しください。"],
                                      visitor: nil, status: .internalServerError)
        }
        let isAsset = request.uri.path.hasPrefix("/console/assets/")
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        response.headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        response.headers[HTTPField.Name("Cross-Origin-Opener-Policy")!] = "same-origin"
        response.headers[HTTPField.Name("Cross-Origin-Resource-Policy")!] = "same-origin"
        response.headers[HTTPField.Name("Permissions-Policy")!] = "camera=(), microphone=(), geolocation=(), payment=()"
        // Pages hold personal data: never stored, so Back after sign-out asks the server again.
        // Downloads keep the API's own no-store; the style sheet and script may be cached.
        response.headers[.cacheControl] = isAsset ? "private, max-age=3600" : "no-store"
        if !isAsset { response.headers[HTTPField.Name("Pragma")!] = "no-cache" }
        return response
    }
}
