import Crypto
import Foundation
import VRSDomain

/// Wraps municipality keys with the master key (AES-256-GCM).
///
/// The additional data binds a wrapped key to its municipality, purpose and version, so a wrapped
/// key copied onto another row does not unwrap.
public struct KeyWrapper: Sendable {
    let master: MasterKey

    /// A wrapper for one master key.
    public init(master: MasterKey) { self.master = master }

    /// Seals `key`; the result is nonce ‖ ciphertext ‖ tag.
    public func wrap(_ key: SymmetricKey, municipality: MunicipalityCode, purpose: KeyPurpose, version: Int) throws -> Data {
        let plain = key.withUnsafeBytes { Data($0) }
        let box = try AES.GCM.seal(plain, using: master.key, authenticating: Self.context(municipality, purpose, version))
        return box.combined!  // always present with the default 12-byte nonce
    }

    /// Opens a wrapped key, failing if it belongs elsewhere or another master key wrapped it.
    public func unwrap(_ wrapped: Data, municipality: MunicipalityCode, purpose: KeyPurpose, version: Int) throws(KeyMaterialError) -> SymmetricKey {
        do {
            let box = try AES.GCM.SealedBox(combined: wrapped)
            let plain = try AES.GCM.open(box, using: master.key, authenticating: Self.context(municipality, purpose, version))
            return SymmetricKey(data: plain)
        } catch {
            throw .unwrapFailed(municipality: municipality.rawValue, purpose: purpose.rawValue, version: version)
        }
    }

    /// Re-wraps a stored key under another master key without exposing it to the caller.
    public func rewrap(_ wrapped: Data, municipality: MunicipalityCode, purpose: KeyPurpose, version: Int, to next: MasterKey) throws -> Data {
        let key = try unwrap(wrapped, municipality: municipality, purpose: purpose, version: version)
        return try KeyWrapper(master: next).wrap(key, municipality: municipality, purpose: purpose, version: version)
    }

    static func context(_ municipality: MunicipalityCode, _ purpose: KeyPurpose, _ version: Int) -> Data {
        Data("vrs/municipality-key/\(municipality.rawValue)/\(purpose.rawValue)/v\(version)".utf8)
    }
}
