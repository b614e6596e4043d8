import Hummingbird
import NIOCore
import VRSStore

/// The certificate issuer's public keys on the public listener, where verifier apps fetch them:
/// `GET /.well-known/jwks.json` (spec.smarthealth.cards, "Determining keys associated with an
/// issuer"). Retired keys stay listed so that cards they signed still verify.
struct IssuerKeysController {
    let keys: IssuerKeyRepository

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/.well-known/jwks.json") { _, context in
            let published = try await keys.publicKeys().filter { $0.format == "shc" }
            let body = #"{"keys":["# + published.map(\.jwk).joined(separator: ",") + "]}"
            // Verifiers run in browsers too: the spec asks for CORS; the keys are public and change rarely.
            return Response(
                status: .ok,
                headers: [.contentType: "application/json", .accessControlAllowOrigin: "*", .cacheControl: "public, max-age=300"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
        }
    }
}
