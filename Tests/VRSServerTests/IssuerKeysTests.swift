import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import VRSCrypto
import VRSStore
import VRSTestSupport
@testable import VRSServer

/// `GET /.well-known/jwks.json` on the public listener, as a verifier app fetches it: anonymous,
/// with CORS, public members only, the active key first and a retired one still there; absent
/// from the LG-WAN listener.
@Suite("Issuer keys (JWKS)")
struct IssuerKeysTests {
    @Test func theKeySetListsEveryIssuerKeyPublicMembersOnly() async throws {
        try await TestApp.run { app in
            let empty = try await app.public.execute(uri: "/.well-known/jwks.json", method: .get)
            #expect(empty.status == .ok && String(buffer: empty.body) == #"{"keys":[]}"#)

            let administration = IssuerKeyAdministration(admin: app.store.admin, logger: app.store.logger)
            let first = try await administration.initialise(master: app.store.master, rotate: false)
            let second = try await administration.initialise(master: app.store.master, rotate: true)

            let response = try await app.public.execute(uri: "/.well-known/jwks.json", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            #expect(response.headers[.accessControlAllowOrigin] == "*")
            let set = try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: [[String: String]]])
            let keys = try #require(set["keys"])
            #expect(keys.map { $0["kid"] } == [second.kid, first.kid])
            for key in keys {
                #expect(Set(key.keys) == ["kty", "crv", "x", "y", "kid", "use", "alg"])
                // The kid is the thumbprint of exactly these x and y (RFC 7638).
                let members = "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"\(key["x"]!)\",\"y\":\"\(key["y"]!)\"}"
                #expect(key["kid"] == Base64URL.encode(Data(SHA256.hash(data: Data(members.utf8)))))
            }

            let lgwan = try await app.lgwan.execute(uri: "/.well-known/jwks.json", method: .get)
            #expect(lgwan.status == .notFound)
        }
    }
}
