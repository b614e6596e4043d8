import Crypto
import Foundation

/// The key that wraps every municipality's keys. It lives in a file or the environment, never in the database.
///
/// Deliberately not `CustomStringConvertible`: key material must not reach a log by interpolation.
public struct MasterKey: Sendable {
    /// The key itself.
    let key: SymmetricKey
    /// A short public fingerprint stored beside each wrapped key, so rotation knows which master wrapped it.
    public let id: String

    /// Wraps raw key bytes (exactly 32).
    public init(bytes: some ContiguousBytes) throws(KeyMaterialError) {
        let key = SymmetricKey(data: bytes)
        guard key.bitCount == 256 else { throw .wrongLength(key.bitCount / 8) }
        self.key = key
        self.id = Self.fingerprint(of: key)
    }

    /// A new random master key.
    public static func generate() -> MasterKey {
        // 32 random bytes from the system CSPRNG; cannot have the wrong length.
        try! MasterKey(bytes: SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) })
    }

    /// Reads the key from `VRS_MASTER_KEY` (base64) when set, otherwise from the file at `path`.
    public static func load(path: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws(KeyMaterialError) -> MasterKey {
        if let encoded = environment["VRS_MASTER_KEY"], !encoded.isEmpty {
            guard let data = Data(base64Encoded: encoded) else { throw .notBase64(source: "VRS_MASTER_KEY") }
            return try MasterKey(bytes: data)
        }
        guard let path else { throw .missing }
        return try MasterKeyFile(path: path).read()
    }

    /// The key encoded for a key file or `VRS_MASTER_KEY`.
    public func base64EncodedString() -> String {
        key.withUnsafeBytes { Data($0).base64EncodedString() }
    }

    private static func fingerprint(of key: SymmetricKey) -> String {
        // HMAC with a fixed label: the id reveals nothing usable about the key.
        let mac = HMAC<SHA256>.authenticationCode(for: Data("vrs master key id".utf8), using: key)
        return Data(mac).prefix(8).map { String(format: "%02x", $0) }.joined()
    }
}

/// Why key material could not be read or used.
public enum KeyMaterialError: Error, Equatable, CustomStringConvertible {
    case missing
    case wrongLength(Int)
    case notBase64(source: String)
    case unreadable(path: String, reason: String)
    case tooOpen(path: String, mode: String)
    case unwrapFailed(municipality: String, purpose: String, version: Int)
    case unknownMasterKey(id: String)

    public var description: String {
        switch self {
        case .missing: "no master key: set VRS_MASTER_KEY or VRS_MASTER_KEY_FILE, or run `vrs keys init`"
        case .wrongLength(let n): "a master key must be 32 bytes, this one has \(n)"
        case .notBase64(let source): "\(source) is not base64"
        case .unreadable(let path, let reason): "cannot read key file \(path): \(reason)"
        case .tooOpen(let path, let mode): "key file \(path) has mode \(mode); it must be readable by its owner only (chmod 600)"
        case .unwrapFailed(let m, let p, let v): "the \(p) key v\(v) of municipality \(m) does not unwrap with this master key"
        case .unknownMasterKey(let id): "a key is wrapped by master key \(id), which is not loaded"
        }
    }
}
