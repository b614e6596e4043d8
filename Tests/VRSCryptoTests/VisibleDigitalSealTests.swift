import Crypto
import Foundation
import SwiftASN1
import Testing
import VRSDomain
import X509
@testable import VRSCrypto

/// ICAO VDS-NC as a border verifier checks it: the seal's signature over the RFC 8785 bytes of
/// `data` with the certificate it carries, that certificate against the CSCA, and the data itself.
@Suite struct VisibleDigitalSealTests {
    @Test func canonicalJSONSortsByUTF16AndEscapesMinimally() {
        let value = CanonicalJSON.object([
            "b": .integer(-2), "a": .array([.bool(true), .null]), "\u{00e9}": .string("x"), "Z": .string("\"\\\n\u{01}é"),
        ])
        #expect(value.serialized == #"{"Z":"\"\\\n\u0001é","a":[true,null],"b":-2,"é":"x"}"#)
    }

    @Test func theSealVerifiesWithItsCertificateWhichTheCSCAIssued() throws {
        let csca = try SealPKI.countrySigningCA()
        let signer = try SealPKI.barcodeSigner(issuedBy: csca.key, cscaCertificate: csca.certificate)
        let passport = try TravelDocument(number: "TZ1234567", surname: "CHIBA", givenName: "ICHIKO", nationality: "JPN")
        let data = VaccinationSeal.data(
            uvci: "JP0123456789", holder: CertificateHolder(familyName: "千葉", givenName: "一子", birthDate: "1980-05-05"), sex: "F",
            passport: passport,
            doses: [.init(productCode: "pfizer-comirnaty", dose: 1, vaccinatedOn: "2021-06-01", lotNumber: "FA1234", centre: "札幌市")])
        let seal = try SealSigner(key: signer.key, certificate: signer.certificate).seal(data)
        guard case .object(let root) = seal, case .object(let sig)? = root["sig"], case .string(let cer)? = sig["cer"],
              case .string(let sigvl)? = sig["sigvl"] else { Issue.record("not a seal"); return }
        #expect(sig["alg"] == .string("ES256"))
        let carried = try Certificate(derEncoded: Array(try #require(Base64URL.decode(cer))))
        let message = Data(data.serialized.utf8)
        let signature = try P256.Signing.ECDSASignature(rawRepresentation: try #require(Base64URL.decode(sigvl)))
        let key = try #require(P256.Signing.PublicKey(carried.publicKey))
        #expect(key.isValidSignature(signature, for: message))
        #expect(!key.isValidSignature(signature, for: Data((data.serialized + " ").utf8)))
        let root509 = try Certificate(derEncoded: csca.certificate)
        #expect(root509.publicKey.isValidSignature(carried.signature, for: carried), "the signer certificate verifies against the CSCA")
        #expect(carried.issuer == root509.subject)
        #expect(try root509.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
        #expect(try carried.extensions.keyUsage?.digitalSignature == true && carried.extensions.keyUsage?.keyCertSign == false)
        let text = data.serialized
        #expect(text.contains(#""hdr":{"is":"JPN","t":"icao.vacc","v":1}"#))
        #expect(text.contains(#""pid":{"dob":"1980-05-05","i":"TZ1234567","n":"CHIBA ICHIKO","sex":"F"}"#))
        #expect(text.contains(#""des":"XM0GQ8","dis":"RA01.0","nam":"Comirnaty""#))
        #expect(throws: FieldRefusal.self) { try TravelDocument(number: "TZ-1", surname: "A", givenName: "B", nationality: "JPN") }
        #expect(throws: FieldRefusal.self) { try TravelDocument(number: "TZ1", surname: "千葉", givenName: "B", nationality: "JPN") }
        #expect(throws: FieldRefusal.self, "lower case is not what the passport prints") {
            try TravelDocument(number: "tz1", surname: "CHIBA", givenName: "B", nationality: "JPN")
        }
        #expect(throws: FieldRefusal.self, "nor a name of spaces only") { try TravelDocument(number: "TZ1", surname: " ", givenName: "B", nationality: "JPN") }
    }
}
