import Foundation
import Testing
import VRSCrypto

/// The checkpoint signing key is a pure function of the master key, and only it signs.
@Suite("Audit checkpoint signer")
struct AuditCheckpointSignerTests {
    @Test func theKeyIsDerivedFromTheMasterKeyAndVerifiesOnlyWhatItSigned() throws {
        let master = MasterKey.generate()
        let signer = AuditCheckpointSigner(master: master)
        let again = AuditCheckpointSigner(master: try MasterKey(bytes: Data(base64Encoded: master.base64EncodedString())!))
        #expect(signer.keyID == again.keyID && signer.keyID.count == 16)
        #expect(signer.verificationKey.rawRepresentation == again.verificationKey.rawRepresentation)
        #expect(AuditCheckpointSigner(master: MasterKey.generate()).keyID != signer.keyID)
        #expect(signer.keyID != master.id, "the checkpoint key id is not the master key id")

        let message = Data("head 131016 5 00ff\n".utf8)
        let signature = try signer.signature(for: message)
        #expect(signature.count == 64)
        #expect(again.verificationKey.isValidSignature(signature, for: message))
        #expect(!signer.verificationKey.isValidSignature(signature, for: Data("head 131016 4 00ff\n".utf8)))
        let restored = try AuditCheckpointKey(rawRepresentation: signer.verificationKey.rawRepresentation)
        #expect(restored.id == signer.keyID && restored.isValidSignature(signature, for: message))
    }

    @Test func aFixedMasterKeyGivesAFixedKeyID() throws {
        // Pins the derivation (HKDF-SHA-256, no salt, info "vrs audit checkpoint v1"): changing it would orphan every checkpoint file.
        let signer = AuditCheckpointSigner(master: try MasterKey(bytes: Data(repeating: 7, count: 32)))
        #expect(signer.keyID == "00d8aaaf4cebd5f6")  // computed independently with Python (hmac + cryptography Ed25519)
    }
}
