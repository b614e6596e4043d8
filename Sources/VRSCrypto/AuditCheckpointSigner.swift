import Crypto
import Foundation

/// Signs audit checkpoints with an Ed25519 key derived from the master key: whoever can rewrite
/// the database (and the checkpoint file) but does not hold the master key cannot forge a line.
///
/// Deliberately not `CustomStringConvertible`: it holds a private key.
public struct AuditCheckpointSigner: Sendable {
    private let privateKey: Curve25519.Signing.PrivateKey
    /// The public half, which verifies the lines this signer wrote.
    public let verificationKey: AuditCheckpointKey

    /// Derives the signing key from `master` (HKDF-SHA-256, no salt, info "vrs audit checkpoint v1").
    public init(master: MasterKey) {
        let seed = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: master.key, info: Data("vrs audit checkpoint v1".utf8), outputByteCount: 32)
        // An Ed25519 private key is any 32 bytes, and HKDF gave exactly 32.
        privateKey = try! seed.withUnsafeBytes { try Curve25519.Signing.PrivateKey(rawRepresentation: $0) }
        verificationKey = AuditCheckpointKey(privateKey.publicKey)
    }

    /// The id written into each line: the fingerprint of the public key.
    public var keyID: String { verificationKey.id }

    /// The Ed25519 signature (64 bytes) of `message`.
    public func signature(for message: Data) throws -> Data {
        try privateKey.signature(for: message)
    }
}

/// The public key that verifies checkpoint lines, with its id (not secret).
public struct AuditCheckpointKey: Sendable {
    private let publicKey: Curve25519.Signing.PublicKey
    /// The first 8 bytes of SHA-256 of the raw public key, in hex.
    public let id: String

    init(_ publicKey: Curve25519.Signing.PublicKey) {
        self.publicKey = publicKey
        id = SHA256.hash(data: publicKey.rawRepresentation).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// A key from its 32 raw bytes (to verify with a retired master key's public half).
    public init(rawRepresentation: Data) throws {
        self.init(try Curve25519.Signing.PublicKey(rawRepresentation: rawRepresentation))
    }

    /// The 32 raw bytes of the public key.
    public var rawRepresentation: Data { publicKey.rawRepresentation }

    /// Whether `signature` is this key's signature of `message`.
    public func isValidSignature(_ signature: Data, for message: Data) -> Bool {
        publicKey.isValidSignature(signature, for: message)
    }
}
