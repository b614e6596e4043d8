import Foundation
import Hummingbird
import NIOCore
import VRSDomain

/// A CSV file streamed to the client as its rows are read: UTF-8 with a BOM (so Excel reads it as
/// UTF-8) or, with `?charset=shift_jis`, CP932; flushed every 64 KiB, so memory stays bounded
/// whatever the file's size. Shared by the ledger, the pending list and the batch results.
enum CSVDownload {
    /// The two encodings municipal staff open in Excel.
    enum Charset: String, CaseIterable {
        case utf8 = "utf-8"
        case shiftJIS = "shift_jis"
    }

    /// `?charset=`, UTF-8 by default; 422 for any other.
    static func charset(_ request: Request) throws -> Charset {
        let text = try request.singleQueryValue("charset")?.lowercased() ?? Charset.utf8.rawValue
        guard let charset = Charset(rawValue: text) else {
            throw AppError.invalid([.init(field: "charset", code: "not_one_of",
                                          message: ValidationRule.notOneOf(Charset.allCases.map(\.rawValue)).message)])
        }
        return charset
    }

    /// A `200` whose body is the header and every row `rows` hands to its `add`.
    static func response(name: String, charset: Charset, header: [String],
                         rows: @escaping @Sendable (_ add: ([String]) async throws -> Void) async throws -> Void) -> Response {
        let body = ResponseBody { writer in
            let encoder = charset == .shiftJIS ? CP932Encoder() : nil
            var buffer = ByteBuffer()
            func append(_ fields: [String]) {
                let record = CSVWriter.record(fields)
                if let encoder { buffer.writeBytes(encoder.encode(record)) } else { buffer.writeString(record) }
            }
            if encoder == nil { buffer.writeBytes([0xEF, 0xBB, 0xBF]) }
            append(header)
            try await rows { fields in
                append(fields)
                if buffer.readableBytes >= 64 * 1024 {
                    try await writer.write(buffer)
                    buffer.clear()
                }
            }
            try await writer.write(buffer)
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [
            .contentType: "text/csv; charset=\(charset == .shiftJIS ? "Shift_JIS" : "utf-8"); header=present",
            .contentDisposition: "attachment; filename=\"\(name)\"",
            .cacheControl: "no-store",
        ], body: body)
    }
}
