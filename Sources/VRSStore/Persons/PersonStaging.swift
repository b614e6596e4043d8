import Foundation
import NIOCore
import PostgresNIO
import VRSCrypto
import VRSDomain

/// Rows of one registration file on their way into a session-private staging table via `COPY`.
///
/// Numbers are sealed and blind-indexed here, in the Swift process: the staging table holds what
/// the ledger will hold, never a plaintext number. Rows are flushed in chunks of ~256 KiB, so the
/// file is never in memory whole.
public final class PersonStaging {
    static let table = "person_import_stage"
    static let columns = [
        "line", "address_number", "sealed", "idx", "family_name", "given_name", "family_name_kana", "given_name_kana",
        "birth_date", "sex", "moved_in_on", "coupon_number", "coupon_kind", "previous_coupon_number",
    ]
    private let cipher: IndividualNumberCipher
    private let writer: PostgresCopyFromWriter
    private var buffer = ByteBuffer()
    /// Rows written so far.
    public private(set) var count = 0

    init(cipher: IndividualNumberCipher, writer: PostgresCopyFromWriter) {
        self.cipher = cipher
        self.writer = writer
        buffer.reserveCapacity(Self.flushSize + 4096)
    }

    static let flushSize = 256 * 1024

    /// Adds one valid line.
    public func append(_ registration: PersonRegistration, line: Int) async throws {
        let person = registration.person
        buffer.writeString(String(line)); tab()
        text(person.addressNumber); tab()
        hex(cipher.seal(person.individualNumber)); tab()
        hex(cipher.blindIndex(person.individualNumber)); tab()
        text(person.familyName); tab(); text(person.givenName); tab()
        text(person.familyNameKana); tab(); text(person.givenNameKana); tab()
        buffer.writeString(person.birthDate.description); tab()
        buffer.writeString(person.sex.rawValue); tab()
        if let movedIn = person.movedInOn { buffer.writeString(movedIn.description) } else { buffer.writeString("\\N") }
        tab()
        buffer.writeString(registration.couponNumber.rawValue); tab()
        buffer.writeString(String(registration.couponKind.digit)); tab()
        if let previous = registration.previousCouponNumber { buffer.writeString(previous.rawValue) } else { buffer.writeString("\\N") }
        buffer.writeInteger(UInt8(ascii: "\n"))
        count += 1
        if buffer.readableBytes >= Self.flushSize { try await flush() }
    }

    func flush() async throws {
        guard buffer.readableBytes > 0 else { return }
        try await writer.write(buffer)
        buffer.clear()
    }

    private func tab() { buffer.writeInteger(UInt8(ascii: "\t")) }

    /// COPY text format: backslash, tab, CR and LF escaped; everything else as UTF-8. Whole
    /// strings at once: each single-byte write to the class's buffer pays an exclusivity check.
    private func text(_ value: String) {
        let special: (UInt8) -> Bool = { $0 == 0x5C || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        guard value.utf8.contains(where: special) else { buffer.writeString(value); return }
        var escaped: [UInt8] = []
        escaped.reserveCapacity(value.utf8.count + 8)
        for byte in value.utf8 {
            switch byte {
            case 0x5C: escaped += [0x5C, 0x5C]
            case 0x09: escaped += [0x5C, UInt8(ascii: "t")]
            case 0x0A: escaped += [0x5C, UInt8(ascii: "n")]
            case 0x0D: escaped += [0x5C, UInt8(ascii: "r")]
            default: escaped.append(byte)
            }
        }
        buffer.writeBytes(escaped)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
    /// `\\x` and the hex digits (COPY text: the backslash of bytea's hex form doubled).
    private func hex(_ data: Data) {
        var out = [UInt8](repeating: 0, count: 3 + data.count * 2)
        out[0] = 0x5C; out[1] = 0x5C; out[2] = UInt8(ascii: "x")
        var i = 3
        for byte in data {
            out[i] = Self.hexDigits[Int(byte >> 4)]
            out[i + 1] = Self.hexDigits[Int(byte & 0x0F)]
            i += 2
        }
        buffer.writeBytes(out)
    }
}

/// What one registration file did.
public struct PersonImportCounts: Sendable, Codable, Equatable {
    public var inserted: Int
    public var updated: Int
    public var unchanged: Int
    public var couponsIssued: Int
    public var couponsSuperseded: Int
    public var pendingLinked: Int
}
