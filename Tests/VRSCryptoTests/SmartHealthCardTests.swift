import Crypto
import Foundation
import Testing
import VRSDomain
@testable import VRSCrypto

/// SMART Health Cards as a verifier reads them: the JWS header, the signature against the published
/// JWK (rebuilt from its `x` and `y` alone), the `shc:/` text back to the JWS, and the inflated
/// credential holding the holder's name, birth date and doses and nothing else.
@Suite struct SmartHealthCardTests {
    static let holder = CertificateHolder(familyName: "千葉", givenName: "一子", birthDate: "1980-05-05")
    static let doses = [
        CertifiedDose(vaccinatedOn: "2021-06-01", cvxCode: "208", lotNumber: "FA1234", performer: "札幌市"),
        CertifiedDose(vaccinatedOn: "2021-06-22", cvxCode: "208", lotNumber: "FA5678", performer: "札幌市"),
    ]

    static func card(_ key: IssuerSigningKey) throws -> SmartHealthCard {
        let payload = try ImmunizationBundle.credentialPayload(
            issuer: "https://vrs.example.jp/issuer", issuedAt: Date(timeIntervalSince1970: 1_764_000_000), holder: holder, doses: doses)
        return try SmartHealthCard.issue(payload: payload, key: key)
    }

    /// The public key a verifier builds from the JWK it downloaded.
    static func verifierKey(_ jwk: [String: String]) throws -> P256.Signing.PublicKey {
        let x = try #require(Base64URL.decode(jwk["x"] ?? "")), y = try #require(Base64URL.decode(jwk["y"] ?? ""))
        return try P256.Signing.PublicKey(x963Representation: Data([0x04]) + x + y)
    }

    @Test func theSignatureVerifiesWithThePublishedJWKAndNoOtherKey() throws {
        let key = IssuerSigningKey.generate()
        let card = try Self.card(key)
        #expect(card.isSigned(by: try Self.verifierKey(key.publicJWK)))
        #expect(!card.isSigned(by: try Self.verifierKey(IssuerSigningKey.generate().publicJWK)))
        // One changed character of the payload breaks it.
        var parts = card.jws.split(separator: ".").map(String.init)
        parts[1] = String(parts[1].dropLast()) + (parts[1].last == "A" ? "B" : "A")
        #expect(!SmartHealthCard(jws: parts.joined(separator: ".")).isSigned(by: try Self.verifierKey(key.publicJWK)))
    }

    @Test func theHeaderNamesES256TheThumbprintAndRawDeflate() throws {
        let key = IssuerSigningKey.generate()
        let header = try JSONSerialization.jsonObject(with: try #require(try Self.card(key).header)) as? [String: String]
        #expect(header == ["alg": "ES256", "kid": key.kid, "zip": "DEF"])
    }

    @Test func theKidIsTheRFC7638ThumbprintOfTheJWK() throws {
        let jwk = IssuerSigningKey.generate().publicJWK
        #expect(jwk["kty"] == "EC" && jwk["crv"] == "P-256" && jwk["use"] == "sig" && jwk["alg"] == "ES256")
        // RFC 7638 §3.2: the required members only, in lexicographic order, no white space.
        let members = "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"\(jwk["x"]!)\",\"y\":\"\(jwk["y"]!)\"}"
        #expect(jwk["kid"] == Base64URL.encode(Data(SHA256.hash(data: Data(members.utf8)))))
        #expect(jwk["kid"]?.count == 43)
    }

    @Test func theNumericFormDecodesBackToTheSameJWS() throws {
        let card = try Self.card(.generate())
        let numeric = card.numeric
        #expect(numeric.hasPrefix("shc:/") && numeric.dropFirst(5).allSatisfy(\.isNumber))
        #expect(numeric.count == 5 + 2 * card.jws.count)
        #expect(try SmartHealthCard(numeric: numeric) == card)
        // '-' is 00 and 'z' is 77 (spec.smarthealth.cards, "Encoding Chunks as QR codes").
        #expect(SmartHealthCard(jws: "-z.").numeric == "shc:/007701")
        #expect(throws: SmartHealthCardError.malformed) { try SmartHealthCard(numeric: "shc:/78") }
        #expect(throws: SmartHealthCardError.malformed) { try SmartHealthCard(numeric: "shc:/123") }
    }

    @Test func theCredentialHoldsThePatientAndOneImmunizationPerDoseOnly() throws {
        let card = try Self.card(.generate())
        let payload = try card.payload()
        let text = String(decoding: payload, as: UTF8.self)
        let json = try #require(try JSONSerialization.jsonObject(with: payload) as? [String: Any])
        #expect(json["iss"] as? String == "https://vrs.example.jp/issuer" && json["nbf"] as? Int == 1_764_000_000)
        let vc = try #require(json["vc"] as? [String: Any])
        #expect((vc["type"] as? [String])?.contains("https://smarthealth.cards#immunization") == true)
        let subject = try #require(vc["credentialSubject"] as? [String: Any])
        #expect(subject["fhirVersion"] as? String == "4.0.1")
        let entries = try #require((subject["fhirBundle"] as? [String: Any])?["entry"] as? [[String: Any]])
        let resources = entries.compactMap { $0["resource"] as? [String: Any] }
        #expect(resources.map { $0["resourceType"] as? String } == ["Patient", "Immunization", "Immunization"])
        #expect(entries.map { $0["fullUrl"] as? String } == ["resource:0", "resource:1", "resource:2"])
        #expect(Set(resources[0].keys) == ["resourceType", "name", "birthDate"])
        #expect(resources[1]["occurrenceDateTime"] as? String == "2021-06-01" && resources[1]["lotNumber"] as? String == "FA1234")
        #expect((resources[1]["patient"] as? [String: String])?["reference"] == "resource:0")
        #expect(text.contains("\"code\":\"208\"") && text.contains("http://hl7.org/fhir/sid/cvx"))
        #expect(!text.contains(" ") && !text.contains("\\/"), "minified, slashes unescaped")
    }

    @Test func theSealedKeyOpensOnlyUnderItsMasterKeyAndKid() throws {
        let master = MasterKey.generate(), key = IssuerSigningKey.generate()
        let sealed = key.sealed(under: master)
        #expect(sealed.range(of: key.rawRepresentation) == nil)
        #expect(try IssuerSigningKey(sealed: sealed, kid: key.kid, master: master).kid == key.kid)
        #expect(throws: (any Error).self) { try IssuerSigningKey(sealed: sealed, kid: key.kid, master: .generate()) }
        #expect(throws: (any Error).self) { try IssuerSigningKey(sealed: sealed, kid: IssuerSigningKey.generate().kid, master: master) }
    }

    @Test func theKeySurvivesItsRawRepresentation() throws {
        let key = IssuerSigningKey.generate()
        let again = try IssuerSigningKey(rawRepresentation: key.rawRepresentation)
        #expect(again.kid == key.kid)
        #expect(try Self.card(again).isSigned(by: try Self.verifierKey(key.publicJWK)))
    }
}
