/// One record of a CSV file: its raw fields (undecoded bytes) and the physical line it starts on.
public struct CSVRecord: Sendable {
    /// 1-based physical line of the record's first byte (the header is line 1).
    public var line: Int
    /// The fields, quotes removed and doubled quotes undone, still in the file's encoding.
    public var fields: [[UInt8]]
}

/// What makes a whole file unreadable, with the line where it shows.
public enum CSVFileError: Error, Sendable, Equatable {
    /// A quoted field opened on this line never closes.
    case unbalancedQuote(line: Int)
    /// A NUL byte: not a text file.
    case nulByte(line: Int)
    /// A record longer than the limit, which no valid line comes near.
    case recordTooLong(line: Int, limit: Int)
    /// A quote inside an unquoted field, or text after a closing quote.
    case strayQuote(line: Int)

    /// The line the problem is on.
    public var line: Int {
        switch self {
        case .unbalancedQuote(let line), .nulByte(let line), .recordTooLong(let line, _), .strayQuote(let line): line
        }
    }

    /// Plain-English text that names the line and never echoes content.
    public var message: String {
        switch self {
        case .unbalancedQuote(let line): "line \(line): a quoted field opens here and never closes"
        case .nulByte(let line): "line \(line): NUL byte; this is not a text file"
        case .recordTooLong(let line, let limit): "line \(line): record longer than \(limit) bytes"
        case .strayQuote(let line): "line \(line): a quote inside an unquoted field, or text after a closing quote"
        }
    }
}

/// A streaming RFC 4180 reader over bytes: feed chunks as they arrive, take the records that completed.
///
/// Works on bytes, before decoding: comma, quote, CR and LF are below 0x40, so they never occur
/// inside a multi-byte UTF-8 or Shift_JIS character, and each field is decoded on its own later.
/// Memory is bounded by one record (`maxRecordBytes`), whatever the size of the file.
public struct CSVReader: Sendable {
    enum State { case fieldStart, unquoted, quoted, quoteInQuoted, afterCR }

    public let maxRecordBytes: Int
    private var state = State.fieldStart
    private var field: [UInt8] = []
    private var fields: [[UInt8]] = []
    private var recordBytes = 0
    private var line = 1
    private var recordLine = 1
    private var quoteLine = 1
    private var sawContent = false

    /// A reader refusing records over `maxRecordBytes` bytes.
    public init(maxRecordBytes: Int = 64 * 1024) {
        self.maxRecordBytes = maxRecordBytes
    }

    /// Consumes `bytes`, appending every record completed by them to `records`.
    public mutating func feed(_ bytes: some Sequence<UInt8>, into records: inout [CSVRecord]) throws(CSVFileError) {
        for byte in bytes { try consume(byte, into: &records) }
    }

    /// Ends the input: the last record if it had no line break, or an error for an open quote.
    public mutating func finish(into records: inout [CSVRecord]) throws(CSVFileError) {
        switch state {
        case .quoted: throw .unbalancedQuote(line: quoteLine)
        case .afterCR: state = .fieldStart
        case .fieldStart where !sawContent: return
        default: endRecord(into: &records)
        }
    }

    private mutating func consume(_ byte: UInt8, into records: inout [CSVRecord]) throws(CSVFileError) {
        if byte == 0 { throw .nulByte(line: line) }
        recordBytes += 1
        if recordBytes > maxRecordBytes { throw .recordTooLong(line: recordLine, limit: maxRecordBytes) }
        switch state {
        case .afterCR:
            state = .fieldStart
            recordBytes -= 1                              // counted again below, or not at all
            if byte == 0x0A { recordBytes = 0; return }   // CRLF: the record ended at CR
            try consume(byte, into: &records)
        case .fieldStart:
            switch byte {
            case 0x22: state = .quoted; quoteLine = line; sawContent = true
            case 0x2C: endField(); sawContent = true
            case 0x0D, 0x0A: lineBreak(byte, into: &records)
            default: field.append(byte); state = .unquoted; sawContent = true
            }
        case .unquoted:
            switch byte {
            case 0x2C: endField(); state = .fieldStart
            case 0x0D, 0x0A: lineBreak(byte, into: &records)
            case 0x22: throw .strayQuote(line: line)
            default: field.append(byte)
            }
        case .quoted:
            if byte == 0x22 { state = .quoteInQuoted; return }
            if byte == 0x0A { line += 1 }
            field.append(byte)
        case .quoteInQuoted:
            switch byte {
            case 0x22: field.append(0x22); state = .quoted
            case 0x2C: endField(); state = .fieldStart
            case 0x0D, 0x0A: lineBreak(byte, into: &records)
            default: throw .strayQuote(line: line)
            }
        }
    }

    private mutating func lineBreak(_ byte: UInt8, into records: inout [CSVRecord]) {
        // A blank line between records is skipped, not read as a record of one empty field.
        if sawContent { endRecord(into: &records) } else { recordBytes = 0 }
        line += 1
        recordLine = line
        state = byte == 0x0D ? .afterCR : .fieldStart
    }

    private mutating func endField() {
        fields.append(field)
        field.removeAll(keepingCapacity: true)
    }

    private mutating func endRecord(into records: inout [CSVRecord]) {
        endField()
        records.append(CSVRecord(line: recordLine, fields: fields))
        fields.removeAll(keepingCapacity: true)
        recordBytes = 0
        sawContent = false
    }
}
