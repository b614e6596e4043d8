#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The encodings municipal files come in: UTF-8 (with or without BOM) and Shift_JIS as Windows
/// writes it (CP932, with the NEC and IBM extensions such as ①, 髙 and 﨑).
public enum TextEncoding: String, Sendable, CaseIterable {
    case utf8 = "UTF-8"
    case cp932 = "CP932"

    /// The encoding a `charset` parameter names, nil for one we do not read.
    public init?(charset: String) {
        switch charset.lowercased().trimmingCharacters(in: " \"") {
        case "utf-8", "utf8": self = .utf8
        // Files called Shift_JIS are in practice CP932: plain Shift_JIS lacks ① and 髙.
        case "shift_jis", "shift-jis", "sjis", "cp932", "windows-31j", "ms932", "x-sjis": self = .cp932
        default: return nil
        }
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let c = s.first, set.contains(c) { s = s.dropFirst() }
        while let c = s.last, set.contains(c) { s = s.dropLast() }
        return String(s)
    }
}

/// Turns the raw fields of a file into strings, field by field.
///
/// With no declared charset, the first field holding a non-ASCII byte decides: valid UTF-8 makes
/// the file UTF-8, otherwise CP932. Legacy exports start with names, so this is decided on line 2.
/// CP932 goes through the C library's iconv (glibc's CP932 table), not a table of our own.
public final class FieldDecoder {
    public private(set) var encoding: TextEncoding?
    private var converter: iconv_t?

    /// A decoder for a declared encoding, or nil to detect it.
    public init(encoding: TextEncoding?) {
        self.encoding = encoding
    }

    deinit {
        if let converter { iconv_close(converter) }
    }

    /// The field as a string, or nil when its bytes are not valid in the file's encoding.
    public func decode(_ bytes: [UInt8]) -> String? {
        if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        if encoding == nil {
            encoding = String(validating: bytes, as: UTF8.self) != nil ? .utf8 : .cp932
        }
        switch encoding! {
        case .utf8: return String(validating: bytes, as: UTF8.self)
        case .cp932: return convertCP932(bytes)
        }
    }

    private func convertCP932(_ bytes: [UInt8]) -> String? {
        if converter == nil {
            let handle = iconv_open("UTF-8", "CP932")
            guard let handle, handle != iconv_t(bitPattern: -1) else { return nil }
            converter = handle
        }
        // Each CP932 character (1–2 bytes) becomes at most 3 UTF-8 bytes.
        guard let converted = iconvConvert(bytes, with: converter, capacity: bytes.count * 3 + 4) else { return nil }
        return String(validating: converted, as: UTF8.self)
    }
}

/// Runs `bytes` through an iconv converter in one call; nil when some input cannot be converted.
func iconvConvert(_ bytes: [UInt8], with converter: iconv_t?, capacity: Int) -> [UInt8]? {
    var output = [UInt8](repeating: 0, count: capacity)
    var input = bytes
    let written: Int? = input.withUnsafeMutableBufferPointer { inBuffer in
        output.withUnsafeMutableBufferPointer { outBuffer in
            var inPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(inBuffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            var outPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(outBuffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            var inLeft = inBuffer.count
            var outLeft = outBuffer.count
            iconv(converter, nil, nil, nil, nil)   // reset the shift state
            let result = iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft)
            guard result != -1, inLeft == 0 else { return nil }
            return outBuffer.count - outLeft
        }
    }
    return written.map { Array(output[0..<$0]) }
}
