import Crypto
import Foundation

/// The certificate issuer's ES256 (P-256) key: SMART Health Cards are signed with it, and its public
/// half is published as a JWK whose `kid` is the RFC 7638 thumbprint.
public struct IssuerSigningKey: Sendable {
    let privateKey: P256.Signing.PrivateKey

    /// A new random key.
    public static func generate() -> IssuerSigningKey { IssuerSigningKey(privateKey: P256.Signing.PrivateKey()) }

    /// A key from its 32-byte scalar (as unwrapped from the key store).
    public init(rawRepresentation: Data) throws {
        privateKey = try P256.Signing.PrivateKey(rawRepresentation: rawRepresentation)
    }

    init(privateKey: P256.Signing.PrivateKey) { self.privateKey = privateKey }

    /// The 32-byte scalar; never stored or logged in the clear (see `sealed(under:)`).
    public var rawRepresentation: Data { privateKey.rawRepresentation }

    /// The key sealed under the master key and bound to its own `kid`, as the key store holds it.
    public func sealed(under master: MasterKey) -> Data {
        master.seal(rawRepresentation, context: "issuer.es256/\(kid)")
    }

    /// Opens a sealed key, and checks that it is the key `kid` names (a row cannot lend its key to another).
    public init(sealed: Data, kid: String, master: MasterKey) throws {
        try self.init(rawRepresentation: try master.open(sealed, context: "issuer.es256/\(kid)"))
        guard self.kid == kid else { throw CipherError.authenticationFailed }
    }

    /// The public key's JWK members: `kty`, `crv`, `x`, `y`, and `kid`, `use`, `alg`.
    public var publicJWK: [String: String] {
        var jwk = Self.thumbprintMembers(privateKey.publicKey)
        jwk["kid"] = kid
        jwk["use"] = "sig"
        jwk["alg"] = "ES256"
        return jwk
    }

    /// RFC 7638: SHA-256 over the required members in lexicographic order, no white space, base64url.
    public var kid: String {
        let m = Self.thumbprintMembers(privateKey.publicKey)
        let canonical = #"{"crv":"\#(m["crv"]!)","kty":"\#(m["kty"]!)","x":"\#(m["x"]!)","y":"\#(m["y"]!)"}"#
        return Base64URL.encode(Data(SHA256.hash(data: Data(canonical.utf8))))
    }

    /// An ES256 signature: r ‖ s, 64 bytes (RFC 7518 §3.4), not DER.
    public func sign(_ message: Data) throws -> Data {
        try privateKey.signature(for: message).rawRepresentation
    }

    private static func thumbprintMembers(_ key: P256.Signing.PublicKey) -> [String: String] {
        let point = key.x963Representation   // 0x04 ‖ X ‖ Y
        return ["kty": "EC", "crv": "P-256",
                "x": Base64URL.encode(point.subdata(in: 1..<33)), "y": Base64URL.encode(point.subdata(in: 33..<65))]
    }
}

/// base64url without padding (RFC 4648 §5), as JOSE writes it.
public enum Base64URL {
    public static func encode(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func decode(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}
