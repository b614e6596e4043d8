import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PostgresNIO
import Testing
import VRSCrypto
import VRSDomain
import VRSStore
import VRSTestSupport
import X509
import SwiftASN1
@testable import VRSServer

/// SMART Health Cards through the API, checked as a verifier would: the JWS against the key set
/// the public listener serves, the `shc:/` text back to the same JWS, the QR PNG read by zbar to
/// the same text, a credential holding no Individual Number or address number; refusals that
/// change nothing; revocation onto the public list.
@Suite("Certificates (SMART Health Cards)")
struct CertificateTests {
    typealias File = RegistrationFile

    /// A's person 1 with two doses from B's tablet, person 2 with none, and an issuer key.
    func withCards(_ body: @escaping @Sendable (TabletVaccinationTests.Site, String) async throws -> Void) async throws {
        try await TabletVaccinationTests().withSite(people: 2) { site in
            for (dose, date) in [(1, "2024-06-01"), (2, "2024-10-01")] {
                #expect(try await site.send(TabletVaccinationTests.code(1, dose: dose), on: date).result == "recorded")
            }
            _ = try await IssuerKeyAdministration(admin: site.app.store.admin, logger: site.app.store.logger)
                .initialise(master: site.app.store.master, rotate: false)
            try await body(site, try await site.personID("A-00001"))
        }
    }

    /// The key a verifier builds from the published set, by kid.
    static func publishedKey(_ app: TestApp, kid: String) async throws -> (P256.Signing.PublicKey, [String: Any]) {
        let set = try await app.call(.get, "/.well-known/jwks.json", on: \.public).json()
        let jwk = try #require((set["keys"] as? [[String: Any]])?.first { $0["kid"] as? String == kid })
        let x = try #require(Base64URL.decode(jwk["x"] as? String ?? "")), y = try #require(Base64URL.decode(jwk["y"] as? String ?? ""))
        return (try P256.Signing.PublicKey(x963Representation: Data([0x04]) + x + y), jwk)
    }

    @Test func aCardVerifiesScansBackAndHoldsNoNumber() async throws {
        try await withCards { site, person in
            let app = site.app
            let response = try await app.call(.post, "/v1/persons/\(person)/certificates", token: site.staffA, json: ["format": "shc"])
            try #require(response.status == .created, "\(response.text)")
            let issued = try response.json()
            let jws = try #require(issued["jws"] as? String), qrText = try #require(issued["qrText"] as? String)
            let kid = try #require(issued["kid"] as? String)
            #expect(issued["doseCount"] as? Int == 2 && issued["format"] as? String == "shc")

            let (key, _) = try await Self.publishedKey(app, kid: kid)
            let card = SmartHealthCard(jws: jws)
            #expect(card.isSigned(by: key), "the JWS verifies against the served key set")
            #expect(try SmartHealthCard(numeric: qrText).jws == jws, "the shc:/ text decodes back to the same JWS")
            let png = try #require(Data(base64Encoded: String((issued["qrCode"] as? String ?? "").dropFirst("data:image/png;base64,".count))))
            #expect(try QRCodeTests.scanned(Array(png)) == qrText, "the QR code reads back to the same text")
            #expect((issued["qrVersion"] as? Int ?? 99) <= 22)

            let headerJSON = try #require(card.header)
            let header = try #require(try JSONSerialization.jsonObject(with: headerJSON) as? [String: String])
            #expect(header == ["alg": "ES256", "kid": kid, "zip": "DEF"])
            let payload = String(decoding: try card.payload(), as: UTF8.self)
            #expect(!payload.contains(File.individualNumber(1)) && !payload.contains(String(File.individualNumber(1).suffix(8))),
                    "no Individual Number, nor its tail")
            #expect(!payload.contains("A-00001"), "no address number")
            #expect(payload.contains("\"family\":\"山田\"") && payload.contains("\"birthDate\":\"1970-04-01\""))
            #expect(payload.contains("\"occurrenceDateTime\":\"2024-06-01\"") && payload.contains("\"occurrenceDateTime\":\"2024-10-01\""))
            #expect(payload.contains("\"iss\":\"http://127.0.0.1:8081\""))

            let listed = try await app.call(.get, "/v1/persons/\(person)/certificates", token: site.staffA).json()
            let rows = try #require(listed["certificates"] as? [[String: Any]])
            #expect(rows.map { $0["certificateId"] as? String } == [issued["certificateId"] as? String])
            #expect(rows.first?["issuedBy"] as? String == "a.staff" && rows.first?["revokedAt"] == nil)
            let audit = try await app.store.admin.query(
                "SELECT details::text FROM vrs.audit_event WHERE action = 'certificate.issue'", logger: app.store.logger)
            var details: [String] = []
            for try await text in audit.decode(String.self) { details.append(text) }
            #expect(details.count == 1 && !details[0].contains(File.individualNumber(1)) && details[0].contains(kid))
        }
    }

    @Test func aTravelSealVerifiesWithItsCertificateUnderTheCSCA() async throws {
        try await withCards { site, person in
            let app = site.app
            var request: [String: Any] = ["format": "vds-nc"]
            let missing = try await app.lgwan.execute(uri: "/v1/persons/\(person)/certificates", method: .post,
                headers: [.authorization: "Bearer \(site.staffA)", .contentType: "application/json"],
                body: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: request)))
            #expect(missing.status == .unprocessableContent && String(buffer: missing.body).contains("\"passport\""))
            request["passport"] = ["number": "TZ1234567", "surname": "YAMADA", "givenName": "TARO", "nationality": "JPN"]
            let response = try await app.lgwan.execute(uri: "/v1/persons/\(person)/certificates", method: .post,
                headers: [.authorization: "Bearer \(site.staffA)", .contentType: "application/json"],
                body: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: request)))
            try #require(response.status == .created, "\(String(buffer: response.body))")
            let issued = try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any])
            let qrText = try #require(issued["qrText"] as? String)
            let seal = try #require(try JSONSerialization.jsonObject(with: Data(qrText.utf8)) as? [String: Any])
            let sig = try #require(seal["sig"] as? [String: String])
            let data = try #require(seal["data"] as? [String: Any])
            // The signature is over the canonical form of data: rebuilt here by sorting keys, as a verifier does.
            let canonical = try JSONSerialization.data(withJSONObject: data, options: [.sortedKeys, .withoutEscapingSlashes])
            let certificate = try Certificate(derEncoded: Array(try #require(Base64URL.decode(sig["cer"] ?? ""))))
            let key = try #require(P256.Signing.PublicKey(certificate.publicKey))
            let signature = try P256.Signing.ECDSASignature(rawRepresentation: try #require(Base64URL.decode(sig["sigvl"] ?? "")))
            #expect(key.isValidSignature(signature, for: canonical))
            let csca = try await app.store.admin.query("SELECT certificate FROM vrs.issuer_key WHERE format = 'vds-nc-csca'", logger: app.store.logger)
            var cscaDER: Data?
            for try await der in csca.decode(Data.self) { cscaDER = der }
            let root = try Certificate(derEncoded: Array(try #require(cscaDER)))
            #expect(root.publicKey.isValidSignature(certificate.signature, for: certificate))
            #expect(!qrText.contains(File.individualNumber(1)) && !qrText.contains("A-00001"))
            #expect(qrText.contains("\"n\":\"YAMADA TARO\"") && qrText.contains("\"t\":\"icao.vacc\""))
            let png = try #require(Data(base64Encoded: String((issued["qrCode"] as? String ?? "").dropFirst("data:image/png;base64,".count))))
            #expect(try QRCodeTests.scanned(Array(png)) == qrText)
        }
    }

    @Test func refusalsChangeNothing() async throws {
        try await withCards { site, person in
            let app = site.app
            let noDoses = try await app.call(.post, "/v1/persons/\(try await site.personID("A-00002"))/certificates", token: site.staffA,
                                             json: ["format": "shc"])
            #expect(noDoses.status == .unprocessableContent && noDoses.text.contains("no_doses"))
            let format = try await app.call(.post, "/v1/persons/\(person)/certificates", token: site.staffA, json: ["format": "vds"])
            #expect(format.status == .unprocessableContent && format.text.contains("\"format\""))
            let staffB = try await app.staff("b.staff", in: TestApp.b)
            #expect(try await app.call(.post, "/v1/persons/\(person)/certificates", token: staffB, json: ["format": "shc"]).status == .notFound)
            #expect(try await app.call(.post, "/v1/persons/\(person)/certificates", json: ["format": "shc"]).status == .unauthorized)
            #expect(try await app.count("certificate", in: TestApp.a) == 0)
        }
    }

    @Test func anAdminRevokesAndTheListSaysSo() async throws {
        try await withCards { site, person in
            let app = site.app
            let issued = try await app.call(.post, "/v1/persons/\(person)/certificates", token: site.staffA, json: ["format": "shc"]).json()
            let id = try #require(issued["certificateId"] as? String), kid = try #require(issued["kid"] as? String)
            let rid = try #require(try JSONSerialization.jsonObject(with: try SmartHealthCard(jws: issued["jws"] as! String).payload())
                as? [String: Any]).flatMap { ($0["vc"] as? [String: Any])?["rid"] as? String }
            let empty = try await app.call(.get, "/.well-known/crl/\(kid).json", on: \.public).json()
            #expect((empty["rids"] as? [String]) == [] && empty["ctr"] as? Int == 0)

            #expect(try await app.call(.post, "/v1/certificates/\(id)/revoke", token: site.staffA).status == .forbidden)
            try await app.account("a.admin", .admin, in: TestApp.a)
            let adminA = try await app.signIn("a.admin")
            let adminB = try await app.signIn("b.admin")
            #expect(try await app.call(.post, "/v1/certificates/\(id)/revoke", token: adminB).status == .notFound)
            #expect(try await app.call(.post, "/v1/certificates/\(id)/revoke", token: adminA).status == .ok)
            #expect(try await app.call(.post, "/v1/certificates/\(id)/revoke", token: adminA).status == .ok, "again: nothing new")

            let list = try await app.call(.get, "/.well-known/crl/\(kid).json", on: \.public)
            #expect(list.headers[.accessControlAllowOrigin] == "*")
            let crl = try list.json()
            #expect(crl["kid"] as? String == kid && crl["method"] as? String == "rid")
            #expect(crl["rids"] as? [String] == [rid].compactMap { $0 } && crl["ctr"] as? Int == 1)
            let (_, jwk) = try await Self.publishedKey(app, kid: kid)
            #expect(jwk["crlVersion"] as? Int == 1)
            #expect(try await app.call(.get, "/.well-known/crl/unknown.json", on: \.public).status == .notFound)
            let listed = try await app.call(.get, "/v1/persons/\(person)/certificates", token: site.staffA).json()
            #expect((listed["certificates"] as? [[String: Any]])?.first?["revokedBy"] as? String == "a.admin")
        }
    }
}
