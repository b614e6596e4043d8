import Foundation
import Hummingbird
import NIOCore
import VRSStore

/// The certificate issuer's public keys and revocation lists on the public listener, where
/// verifier apps fetch them (spec.smarthealth.cards, "Determining keys associated with an issuer"
/// and "Revocation"): `GET /.well-known/jwks.json` and `GET /.well-known/crl/{kid}.json`. Retired
/// keys stay listed so that cards they signed still verify.
struct IssuerKeysController {
    let keys: IssuerKeyRepository
    let certificates: CertificateRepository
    let database: Database

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/.well-known/jwks.json") { _, _ in
            let published = try await keys.publicKeys().filter { $0.format == "shc" }
            return Self.json(#"{"keys":["# + published.map(\.jwk).joined(separator: ",") + "]}")
        }
        router.get("/.well-known/crl/:file") { _, context in
            let file = try context.parameters.require("file")
            guard file.hasSuffix(".json") else { throw AppError.notFound("revocation lists are /.well-known/crl/{kid}.json") }
            let kid = String(file.dropLast(5))
            // A SMART Health Card key lists card rids; a VDS-NC barcode signer lists seal uvcis.
            guard let key = try await keys.publicKeys().first(where: { $0.kid == kid && ["shc", "vds-nc-signer"].contains($0.format) }) else {
                throw AppError.notFound("no issuer key \(kid.prefix(64))")
            }
            let rids = try await certificates.revocations(kid: kid, on: database.client)
            struct List: Encodable { let kid: String; let method: String; let ctr: Int; let rids: [String] }
            // ctr is the JWK's crlVersion: the count of revocations, which only grows.
            let body = try JSONEncoder().encode(List(kid: kid, method: key.format == "shc" ? "rid" : "uvci", ctr: rids.count, rids: rids))
            return Self.json(String(decoding: body, as: UTF8.self))
        }
    }

    /// Verifiers run in browsers too: the spec asks for CORS; the lists are public and change rarely.
    private static func json(_ body: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/json", .accessControlAllowOrigin: "*", .cacheControl: "public, max-age=300"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}
