import Crypto
import Foundation
import VRSDomain

/// Computes blind indexes under one version of one municipality's index key, without its data
/// key: all a transfer inquiry needs of the municipality it asks (it can find a number there,
/// never read one).
public struct BlindIndexer: Sendable {
    /// Whose index key this is.
    public let municipality: MunicipalityCode
    /// The key version; a person row's index is under its own `key_version`.
    public let version: Int
    let key: SymmetricKey

    init(municipality: MunicipalityCode, version: Int, key: SymmetricKey) {
        self.municipality = municipality
        self.version = version
        self.key = key
    }

    /// Unwraps a stored index key alone.
    public static func unwrap(_ wrapped: Data, municipality: MunicipalityCode, version: Int, master: MasterKey) throws(KeyMaterialError) -> BlindIndexer {
        let key = try KeyWrapper(master: master).unwrap(wrapped, municipality: municipality, purpose: .index, version: version)
        return BlindIndexer(municipality: municipality, version: version, key: key)
    }

    /// HMAC-SHA-256 of the normalised number under the index key.
    public func index(_ number: IndividualNumber) -> Data {
        Data(HMAC<SHA256>.authenticationCode(for: Data(number.revealDigits().utf8), using: key))
    }
}
