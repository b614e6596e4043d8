#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes CSV records (RFC 4180, CRLF line ends) that a spreadsheet opens as text, not as formulas.
public enum CSVWriter {
    /// One record: fields holding a comma, quote or line break are quoted with quotes doubled; a
    /// field that starts with `=`, `+`, `-`, `@`, tab or CR gets a leading `'` so that Excel does
    /// not run it as a formula (OWASP's advice on CSV injection).
    public static func record(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\r\n"
    }

    static func field(_ text: String) -> String {
        var value = text
        if let first = value.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) { value = "'" + value }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else { return value }
        return "\"" + String(value.flatMap { $0 == "\"" ? ["\"", "\""] : [$0] }) + "\""
    }
}

/// Turns text into CP932 (Shift_JIS as Windows writes it) for spreadsheets that expect it, through
/// the C library's iconv. A character CP932 has no code for (e.g. 𠮷) becomes 〓 (the geta mark,
/// the customary stand-in), and `replaced` counts them.
public final class CP932Encoder {
    private var converter: iconv_t?
    /// How many characters had no CP932 code so far.
    public private(set) var replaced = 0

    /// An encoder; nil when the C library has no CP932 table.
    public init?() {
        let handle = iconv_open("CP932", "UTF-8")
        guard let handle, handle != iconv_t(bitPattern: -1) else { return nil }
        converter = handle
    }

    deinit {
        if let converter { iconv_close(converter) }
    }

    /// The CP932 bytes of `text`.
    public func encode(_ text: String) -> [UInt8] {
        if let bytes = convert(Array(text.utf8)) { return bytes }
        // Some character has no code: convert character by character.
        var output: [UInt8] = []
        for character in text {
            if let bytes = convert(Array(String(character).utf8)) {
                output += bytes
            } else {
                output += [0x81, 0xAC]   // 〓
                replaced += 1
            }
        }
        return output
    }

    private func convert(_ bytes: [UInt8]) -> [UInt8]? {
        guard !bytes.isEmpty else { return [] }
        // Each UTF-8 character (1–4 bytes) becomes at most 2 CP932 bytes.
        return iconvConvert(bytes, with: converter, capacity: bytes.count * 2 + 4)
    }
}
