import Crypto
import Foundation
import VRSDomain

/// What a municipality key is for. Each purpose has its own key so that one never serves two jobs.
public enum KeyPurpose: String, Sendable, CaseIterable {
    case data
    case index
}

/// One version of a municipality's two keys, unwrapped in memory.
public struct MunicipalityKeys: Sendable {
    /// The tenant these keys belong to.
    public let municipality: MunicipalityCode
    /// Increases by one at each data-key rotation.
    public let version: Int
    let dataKey: SymmetricKey
    let indexKey: SymmetricKey

    /// Fresh random keys for a municipality.
    public static func generate(for municipality: MunicipalityCode, version: Int) -> MunicipalityKeys {
        MunicipalityKeys(
            municipality: municipality, version: version,
            dataKey: SymmetricKey(size: .bits256), indexKey: SymmetricKey(size: .bits256))
    }

    /// Both keys wrapped for storage, in `KeyPurpose` order.
    public func wrapped(by master: MasterKey) throws -> (data: Data, index: Data) {
        let wrapper = KeyWrapper(master: master)
        return (
            try wrapper.wrap(dataKey, municipality: municipality, purpose: .data, version: version),
            try wrapper.wrap(indexKey, municipality: municipality, purpose: .index, version: version)
        )
    }

    /// Unwraps a stored pair.
    public static func unwrap(
        data: Data, index: Data, municipality: MunicipalityCode, version: Int, master: MasterKey
    ) throws(KeyMaterialError) -> MunicipalityKeys {
        let wrapper = KeyWrapper(master: master)
        return MunicipalityKeys(
            municipality: municipality, version: version,
            dataKey: try wrapper.unwrap(data, municipality: municipality, purpose: .data, version: version),
            indexKey: try wrapper.unwrap(index, municipality: municipality, purpose: .index, version: version))
    }
}
