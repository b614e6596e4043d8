import Crypto
import Foundation
import VRSDomain

/// Encrypts Individual Numbers for one municipality and computes their blind index.
///
/// Ciphertext layout: format byte (1) ‖ key version (4, big endian) ‖ nonce (12) ‖ ciphertext (12) ‖ tag (16).
/// The additional data names the municipality, the column and the version, so a ciphertext copied
/// into another municipality's row (or another column) fails to open.
public struct IndividualNumberCipher: Sendable {
    static let format: UInt8 = 1
    /// Bytes in every ciphertext this cipher writes.
    public static let ciphertextLength = 1 + 4 + 12 + 12 + 16
    let keys: MunicipalityKeys

    /// The key version this cipher seals with.
    public var keyVersion: Int { keys.version }

    /// A cipher bound to one version of a municipality's keys.
    public init(keys: MunicipalityKeys) { self.keys = keys }

    /// The key version a ciphertext was written with, read from its header.
    public static func keyVersion(of ciphertext: some DataProtocol) -> Int? {
        let bytes = Array(ciphertext.prefix(5))
        guard bytes.count == 5, bytes[0] == format else { return nil }
        return Int(bytes[1]) << 24 | Int(bytes[2]) << 16 | Int(bytes[3]) << 8 | Int(bytes[4])
    }

    /// Seals a number with a fresh random nonce.
    public func seal(_ number: IndividualNumber) -> Data {
        var header = Data([Self.format])
        withUnsafeBytes(of: UInt32(keys.version).bigEndian) { header.append(contentsOf: $0) }
        let plain = Data(number.revealDigits().utf8)
        // AES-GCM with a 256-bit key and a random nonce cannot fail for 12 bytes of input.
        let box = try! AES.GCM.seal(plain, using: keys.dataKey, authenticating: aad)
        return header + box.combined!
    }

    /// Opens a ciphertext written for this municipality and key version.
    public func open(_ ciphertext: some DataProtocol) throws(CipherError) -> IndividualNumber {
        let bytes = Data(ciphertext)
        guard bytes.count == Self.ciphertextLength, let version = Self.keyVersion(of: bytes) else { throw .malformed }
        guard version == keys.version else { throw .wrongKeyVersion(expected: keys.version, found: version) }
        do {
            let box = try AES.GCM.SealedBox(combined: bytes.dropFirst(5))
            let plain = try AES.GCM.open(box, using: keys.dataKey, authenticating: aad)
            return try IndividualNumber(String(decoding: plain, as: UTF8.self))
        } catch {
            throw .authenticationFailed
        }
    }

    /// The blind index: HMAC-SHA-256 of the normalised number under the municipality's index key.
    public func blindIndex(_ number: IndividualNumber) -> Data {
        BlindIndexer(municipality: keys.municipality, version: keys.version, key: keys.indexKey).index(number)
    }

    private var aad: Data {
        Data("vrs/person.individual_number/\(keys.municipality.rawValue)/v\(keys.version)".utf8)
    }
}

/// Why a ciphertext did not open. Carries no plaintext and no key.
public enum CipherError: Error, Equatable {
    case malformed
    case wrongKeyVersion(expected: Int, found: Int)
    case authenticationFailed
}
