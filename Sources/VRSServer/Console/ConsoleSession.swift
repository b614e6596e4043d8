import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import VRSCrypto
import VRSDomain
import VRSStore

/// The console's cookies and anti-forgery tokens. The session cookie holds the API's own session
/// token, so the console's session is the API's: same idle and absolute expiry, same revocation.
struct ConsoleTokens: Sendable {
    let key: FormTokenKey
    /// `Secure` cookies with the `__Host-` prefix (the default). Off only for a plain-HTTP intranet
    /// host that is not `localhost`, where a browser would drop a `Secure` cookie.
    let secureCookies: Bool

    var sessionCookie: String { secureCookies ? "__Host-vrs_session" : "vrs_session" }
    /// A random value given before sign-in, which the sign-in form's token is bound to (login CSRF).
    var visitCookie: String { secureCookies ? "__Host-vrs_visit" : "vrs_visit" }

    /// What a signed-in user's form tokens are bound to: the hash of the session token.
    static func binding(session token: String) -> Data { Data("session:".utf8) + Data(SHA256.hash(data: Data(token.utf8))) }
    /// What the sign-in form's token is bound to.
    static func binding(visit value: String) -> Data { Data("visit:".utf8) + Data(value.utf8) }

    func cookie(_ name: String, _ value: String) -> String {
        "\(name)=\(value); Path=/; HttpOnly; SameSite=Strict\(secureCookies ? "; Secure" : "")"
    }
    func expired(_ name: String) -> String {
        "\(name)=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict\(secureCookies ? "; Secure" : "")"
    }
}

/// The signed-in user of a console request, as the API's `GET /v1/sessions/current` reports them.
struct Visitor: Sendable {
    let token: String
    let userID: String
    let role: AccountRole
    let municipalityCode: String?
    let mustChangePassword: Bool
    let csrf: String

    var municipalityName: String? {
        municipalityCode.flatMap { try? MunicipalityCode($0) }.flatMap { MunicipalityDirectory.official.entry(for: $0)?.name }
    }
}
