import Crypto
import Foundation
import Hummingbird
import NIOCore
import VRSDomain

/// Reads a `text/csv` request body as it arrives: size limit, encoding, header, one record at a
/// time. Shared by the person and the vaccination imports, which differ only in their columns.
struct CSVUpload<Column: FileColumn> {
    /// At most this many bad lines are reported; past it the body is not read further.
    static var maxReportedErrors: Int { 100 }

    let body: RequestBody
    let limit: Int
    let encoding: TextEncoding?

    /// The upload of a request, after its content type and charset are checked (415 otherwise).
    init(request: Request, limit: Int) throws {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        let parts = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.first == "text/csv" else {
            throw AppError.unsupportedMediaType("send the file as text/csv (got \(contentType.isEmpty ? "none" : contentType))")
        }
        var encoding: TextEncoding?
        for parameter in parts.dropFirst() where parameter.hasPrefix("charset=") {
            let name = String(parameter.dropFirst("charset=".count))
            guard let known = TextEncoding(charset: name) else {
                throw AppError.unsupportedMediaType("charset \(name) is not read here: use utf-8 or shift_jis (CP932)")
            }
            encoding = known
        }
        self.body = request.body
        self.limit = limit
        self.encoding = encoding
    }

    /// What the body held: its digest, the number of data lines, and every problem found (capped).
    struct Summary {
        var sha256: Data
        var lines: Int
        var errors: [LineError]
        var truncated: Bool
    }

    /// Streams the body, calling `line` for each data record of the header's width with its decoded fields and layout.
    /// Throws for a file that cannot be read at all (size, quotes, NUL, header, empty).
    func read(_ line: (CSVRecord, [String], ColumnLayout<Column>) async throws -> [LineError]) async throws -> Summary {
        var digest = SHA256()
        var reader = CSVReader()
        let decoder = FieldDecoder(encoding: encoding)
        var layout: ColumnLayout<Column>?
        var size = 0
        var summary = Summary(sha256: Data(), lines: 0, errors: [], truncated: false)
        var atStart = true

        func handle(_ records: [CSVRecord]) async throws {
            for record in records {
                guard let layout else {
                    layout = try header(record, decoder: decoder)
                    continue
                }
                summary.lines += 1
                guard record.fields.count == layout.width else {
                    summary.errors.append(LineError(line: record.line, column: "*",
                                                    rule: .length(expected: [layout.width], actual: record.fields.count)))
                    continue
                }
                var fields = [String](repeating: "", count: record.fields.count)
                var errors: [LineError] = []
                for (column, position) in layout.index {
                    if let text = decoder.decode(record.fields[position]) {
                        fields[position] = text
                    } else {
                        errors.append(LineError(line: record.line, column: layout.headerName[column] ?? column.rawValue,
                                                rule: .encoding(decoder.encoding?.rawValue ?? "UTF-8")))
                    }
                }
                errors += errors.isEmpty ? try await line(record, fields, layout) : []
                summary.errors += errors
            }
        }
        do {
            for try await chunk in body {
                size += chunk.readableBytes
                guard size <= limit else { throw HTTPError(.contentTooLarge, message: "the file is larger than the import limit of \(limit) bytes") }
                chunk.withUnsafeReadableBytes { digest.update(bufferPointer: $0) }
                var bytes = chunk.readableBytesView[...]
                if atStart {
                    atStart = false
                    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
                }
                var records: [CSVRecord] = []
                try reader.feed(bytes, into: &records)
                try await handle(records)
                if summary.errors.count >= Self.maxReportedErrors {
                    summary.truncated = true
                    break
                }
            }
            if !summary.truncated {
                var records: [CSVRecord] = []
                try reader.finish(into: &records)
                try await handle(records)
            }
        } catch let error as CSVFileError {
            throw AppError.invalid([.init(field: "line \(error.line)", code: "file", message: error.message, line: error.line)])
        }
        if layout == nil { throw AppError.invalid([.init(field: "file", code: "empty", message: "the file is empty: expected a header line and data lines")]) }
        if summary.lines == 0 { throw AppError.invalid([.init(field: "file", code: "empty", message: "the file has a header line but no data lines")]) }
        summary.errors = Array(summary.errors.prefix(Self.maxReportedErrors))
        summary.sha256 = Data(digest.finalize())
        return summary
    }

    private func header(_ record: CSVRecord, decoder: FieldDecoder) throws -> ColumnLayout<Column> {
        var cells: [String] = []
        for field in record.fields {
            guard let text = decoder.decode(field) else {
                throw AppError.invalid([.init(field: "line 1", code: "encoding", message: "line 1: the header is not valid text", line: 1)])
            }
            cells.append(text)
        }
        do {
            return try ColumnLayout(header: cells)
        } catch {
            throw AppError.invalid([.init(field: "line 1", code: "header", message: error.message, line: 1)])
        }
    }
}

extension LineError {
    /// The problem document's entry for this line.
    var fieldError: Problem.FieldError {
        Problem.FieldError(field: "line \(line): \(column)", code: rule.code, message: rule.message, line: line, column: column)
    }
}

extension AppError {
    /// 422 for the bad lines of a file; nothing of it was written.
    static func invalidFile(_ errors: [LineError], truncated: Bool) -> AppError {
        .invalid(errors.map(\.fieldError) + (truncated
            ? [.init(field: "file", code: "truncated", message: "more lines are bad; only the first \(errors.count) are listed")]
            : []))
    }
}
