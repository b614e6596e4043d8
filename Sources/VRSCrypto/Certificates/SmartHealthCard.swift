import CompressNIO
import Crypto
import Foundation
import NIOCore

/// Why a SMART Health Card could not be made or read.
public enum SmartHealthCardError: Error, Equatable {
    case compression
    case malformed
}

/// A signed SMART Health Card (spec.smarthealth.cards): a compact JWS with header
/// `{"alg":"ES256","kid":…,"zip":"DEF"}` over the raw-DEFLATE-compressed credential, and its
/// `shc:/` numeric form for a single-chunk QR code.
public struct SmartHealthCard: Sendable, Equatable {
    /// The compact JWS, `header.payload.signature`.
    public let jws: String

    /// Signs `payload` (the credential's minified JSON) with `key`.
    public static func issue(payload: Data, key: IssuerSigningKey) throws -> SmartHealthCard {
        let header = #"{"alg":"ES256","kid":"\#(key.kid)","zip":"DEF"}"#
        let signingInput = Base64URL.encode(Data(header.utf8)) + "." + Base64URL.encode(try deflate(payload))
        let signature = try key.sign(Data(signingInput.utf8))
        return SmartHealthCard(jws: signingInput + "." + Base64URL.encode(signature))
    }

    /// A card from its JWS.
    public init(jws: String) { self.jws = jws }

    /// A card from its QR code's text.
    public init(numeric: String) throws(SmartHealthCardError) {
        guard numeric.hasPrefix("shc:/") else { throw .malformed }
        let digits = Array(numeric.utf8.dropFirst(5))
        guard digits.count % 2 == 0, digits.allSatisfy({ (0x30...0x39).contains($0) }) else { throw .malformed }
        var scalars = ""
        for index in stride(from: 0, to: digits.count, by: 2) {
            let value = Int(digits[index] - 0x30) * 10 + Int(digits[index + 1] - 0x30)
            guard value <= 77 else { throw .malformed }   // '-' (45) … 'z' (122)
            scalars.unicodeScalars.append(Unicode.Scalar(UInt8(value + 45)))
        }
        jws = scalars
    }

    /// `shc:/` and two digits per JWS character: its code minus 45 (so `-` is 00 and `z` is 77).
    public var numeric: String {
        "shc:/" + jws.utf8.map { byte in
            let value = Int(byte) - 45
            return value < 10 ? "0\(value)" : "\(value)"
        }.joined()
    }

    /// The protected header's JSON.
    public var header: Data? { parts.flatMap { Base64URL.decode($0[0]) } }

    /// The credential's JSON, inflated.
    public func payload() throws(SmartHealthCardError) -> Data {
        guard let parts, let compressed = Base64URL.decode(parts[1]) else { throw .malformed }
        return try Self.inflate(compressed)
    }

    /// Whether the signature is `key`'s over the JWS signing input.
    public func isSigned(by key: P256.Signing.PublicKey) -> Bool {
        guard let parts, let raw = Base64URL.decode(parts[2]),
              let signature = try? P256.Signing.ECDSASignature(rawRepresentation: raw) else { return false }
        return key.isValidSignature(signature, for: Data((parts[0] + "." + parts[1]).utf8))
    }

    private var parts: [String]? {
        let parts = jws.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        return parts.count == 3 ? parts : nil
    }

    /// Raw DEFLATE (RFC 1951, no zlib header), as `zip: DEF` asks.
    static func deflate(_ data: Data) throws(SmartHealthCardError) -> Data {
        var buffer = ByteBuffer(bytes: data)
        guard let compressed = try? buffer.compress(with: .deflate, configuration: .init(compressionLevel: 9)) else { throw .compression }
        return Data(compressed.readableBytesView)
    }

    static func inflate(_ data: Data) throws(SmartHealthCardError) -> Data {
        var buffer = ByteBuffer(bytes: data)
        // A card's payload is a few kilobytes; 1 MiB bounds a hostile one.
        guard let inflated = try? buffer.decompress(with: .deflate, maxSize: 1 << 20) else { throw .compression }
        return Data(inflated.readableBytesView)
    }
}
