import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PostgresNIO
import VRSStore
import VRSTestSupport
import VRSDomain
#if canImport(Glibc)
import Glibc
#endif

/// Builds registration files the way municipal systems write them, with valid numbers.
struct RegistrationFile {
    static let header = "municipality_code,address_number,individual_number,coupon_number,coupon_kind,name,name_kana,birth_date,sex"

    /// A valid Individual Number derived from `seed` (check digit computed, never a real person's).
    static func individualNumber(_ seed: Int) -> String {
        let base = String(format: "%011d", 70_000_000_000 + seed)
        let digits = base.utf8.map { $0 - 48 }
        return base + String(IndividualNumber.checkDigit(for: digits))
    }

    /// Line `i` of a file for `municipality`: address A-i, coupon 000000000i.
    static func line(_ i: Int, municipality: String = "131016", name: String = "山田 太郎", kana: String = "ヤマダ タロウ",
                     birth: String = "19700401", sex: String = "1", coupon: Int? = nil) -> String {
        "\(municipality),A-\(String(format: "%05d", i)),\(individualNumber(i)),\(String(format: "%010d", coupon ?? i)),1,\(name),\(kana),\(birth),\(sex)"
    }

    /// A header and lines 1...n, CRLF-terminated as Windows writes them.
    static func file(_ count: Int, municipality: String = "131016") -> String {
        ([header] + (1...count).map { line($0, municipality: municipality) }).joined(separator: "\r\n") + "\r\n"
    }

    /// `text` in CP932 (Windows' Shift_JIS), through the C library as a legacy system would write it.
    static func cp932(_ text: String) -> [UInt8] {
        let converter = iconv_open("CP932", "UTF-8")!
        defer { iconv_close(converter) }
        var input = Array(text.utf8)
        var output = [UInt8](repeating: 0, count: input.count * 2 + 8)
        let written = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                var inPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(inBuffer.baseAddress!).assumingMemoryBound(to: CChar.self)
                var outPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(outBuffer.baseAddress!).assumingMemoryBound(to: CChar.self)
                var inLeft = inBuffer.count, outLeft = outBuffer.count
                precondition(iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft) != -1, "not representable in CP932")
                return outBuffer.count - outLeft
            }
        }
        return Array(output[0..<written])
    }
}

extension TestApp {
    /// POSTs a file body as-is.
    func upload(_ path: String, token: String, bytes: [UInt8], contentType: String = "text/csv",
                idempotencyKey: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: contentType]
        if let idempotencyKey { headers[HTTPField.Name("Idempotency-Key")!] = idempotencyKey }
        return try await lgwan.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(bytes: bytes))
    }

    /// POSTs a UTF-8 file.
    func upload(_ path: String, token: String, csv: String, idempotencyKey: String? = nil) async throws -> TestResponse {
        try await upload(path, token: token, bytes: Array(csv.utf8), idempotencyKey: idempotencyKey)
    }

    /// Counts rows of a table for a municipality, as the superuser (what is really stored).
    func count(_ table: String, in municipality: MunicipalityCode, where condition: String = "true") async throws -> Int {
        let rows = try await store.admin.query(
            PostgresQuery(unsafeSQL: "SELECT count(*)::int FROM vrs.\(table) WHERE municipality_code = '\(municipality.rawValue)' AND \(condition)"),
            logger: store.logger)
        for try await n in rows.decode(Int.self) { return n }
        return -1
    }

    /// A staff account of `municipality`, signed in.
    func staff(_ userID: String, in municipality: MunicipalityCode) async throws -> String {
        try await account(userID, .staff, in: municipality)
        return try await signIn(userID)
    }
}
