import Crypto
import Foundation
import SwiftASN1
import VRSDomain
import X509

/// The issuer's VDS-NC PKI (ICAO Doc 9303-12): a country signing CA certificate, self-signed, and a
/// barcode signer certificate it issued. Both keys are P-256, kept as `IssuerSigningKey`s (sealed
/// under the master key like the SMART Health Card key); the certificates are DER.
public enum SealPKI {
    static let organisation = "Vaccination Record Store"

    /// A new CSCA: CA with path length 0, keyCertSign and cRLSign, valid ten years (three years of
    /// signing certificates plus the lifetime of what they sign).
    public static func countrySigningCA(now: Date = Date()) throws -> (key: IssuerSigningKey, certificate: [UInt8]) {
        let key = IssuerSigningKey.generate()
        let name = try DistinguishedName {
            CountryName("JP")
            OrganizationName(organisation)
            CommonName("VRS CSCA")
        }
        let publicKey = Certificate.PublicKey(key.privateKey.publicKey)
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(10 * 365 * 86_400),
            issuer: name, subject: name,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: publicKey)
            },
            issuerPrivateKey: Certificate.PrivateKey(key.privateKey))
        return (key, try der(certificate))
    }

    /// A new barcode signer issued by the CSCA: digitalSignature only, valid two years (one of
    /// signing, plus the longest a seal it signs is relied on).
    public static func barcodeSigner(issuedBy csca: IssuerSigningKey, cscaCertificate: [UInt8], now: Date = Date()) throws
        -> (key: IssuerSigningKey, certificate: [UInt8]) {
        let issuerCertificate = try Certificate(derEncoded: cscaCertificate)
        let key = IssuerSigningKey.generate()
        let publicKey = Certificate.PublicKey(key.privateKey.publicKey)
        let subject = try DistinguishedName {
            CountryName("JP")
            OrganizationName(organisation)
            CommonName("VRS VDS-NC barcode signer")
        }
        let authorityKey = try issuerCertificate.extensions.subjectKeyIdentifier?.keyIdentifier
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(2 * 365 * 86_400),
            issuer: issuerCertificate.subject, subject: subject,
            extensions: try Certificate.Extensions {
                Critical(KeyUsage(digitalSignature: true))
                AuthorityKeyIdentifier(keyIdentifier: authorityKey)
                SubjectKeyIdentifier(hash: publicKey)
            },
            issuerPrivateKey: Certificate.PrivateKey(csca.privateKey))
        return (key, try der(certificate))
    }

    private static func der(_ certificate: Certificate) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }
}

/// Signs an ICAO VDS-NC seal: ES256 over the RFC 8785 canonical JSON of `data`, the barcode signer's
/// certificate carried in `sig.cer` (base64url DER), the signature in `sig.sigvl` (base64url r ‖ s).
public struct SealSigner: Sendable {
    let key: IssuerSigningKey
    /// The barcode signer certificate, DER.
    public let certificate: [UInt8]
    /// The signer key's RFC 7638 thumbprint: the key of its revocation list.
    public var kid: String { key.kid }

    /// A signer from its key and certificate.
    public init(key: IssuerSigningKey, certificate: [UInt8]) {
        self.key = key
        self.certificate = certificate
    }

    /// The seal: `{"data": data, "sig": {"alg", "cer", "sigvl"}}`.
    public func seal(_ data: CanonicalJSON) throws -> CanonicalJSON {
        let signature = try key.sign(Data(data.serialized.utf8))
        return .object([
            "data": data,
            "sig": .object(["alg": .string("ES256"), "cer": .string(Base64URL.encode(Data(certificate))), "sigvl": .string(Base64URL.encode(signature))]),
        ])
    }
}
