import CQRencode
import Foundation

/// Why a QR Code could not be built.
enum QRCodeError: Error, Equatable {
    /// The segments do not fit the largest version allowed at the requested error correction level.
    case tooLong
    /// A numeric segment holds something other than the digits 0–9.
    case notNumeric
}

/// A QR Code (ISO/IEC 18004, Model 2) made by libqrencode: the console's tablet tokens (one byte
/// segment) and the certificates' codes (SMART Health Cards: a byte segment `shc:/`, then a numeric
/// segment). Rendered as SVG for pages and as PNG for files.
struct QRCode: Sendable {
    /// How much of the symbol may be damaged and still decode: about 7 %, 15 %, 25 % or 30 %.
    enum ErrorCorrection: Sendable {
        case low, medium, quartile, high

        fileprivate var level: QRecLevel {
            switch self {
            case .low: QR_ECLEVEL_L
            case .medium: QR_ECLEVEL_M
            case .quartile: QR_ECLEVEL_Q
            case .high: QR_ECLEVEL_H
            }
        }
    }

    /// One run of data in one encoding mode.
    enum Segment: Sendable {
        case bytes([UInt8])
        /// Digits only: 10 bits per 3 digits instead of 24.
        case numeric(String)
    }

    /// Modules per side without the quiet zone: 17 + 4 × version.
    let size: Int
    /// Symbol version, 1…40: the smallest that holds the segments.
    let version: Int
    /// Module colours, row by row; `true` is dark.
    private let modules: [Bool]

    /// Encodes `segments` in order in the smallest version up to `maxVersion`.
    init(segments: [Segment], errorCorrection: ErrorCorrection = .medium, maxVersion: Int = 40) throws(QRCodeError) {
        guard let input = QRinput_new2(0, errorCorrection.level) else { throw .tooLong }
        defer { QRinput_free(input) }
        for segment in segments {
            let appended: Int32
            switch segment {
            case .bytes(let bytes):
                appended = bytes.withUnsafeBufferPointer { QRinput_append(input, QR_MODE_8, Int32($0.count), $0.baseAddress) }
            case .numeric(let digits):
                guard digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { throw .notNumeric }
                appended = Array(digits.utf8).withUnsafeBufferPointer { QRinput_append(input, QR_MODE_NUM, Int32($0.count), $0.baseAddress) }
            }
            guard appended == 0 else { throw .tooLong }
        }
        // NULL with ERANGE when the data is larger than version 40 holds.
        guard let code = QRcode_encodeInput(input) else { throw .tooLong }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        guard Int(code.pointee.version) <= maxVersion else { throw .tooLong }
        size = width
        version = Int(code.pointee.version)
        // libqrencode's module byte: bit 0 is the colour (1 dark); the other bits say what it is.
        modules = (0..<(width * width)).map { code.pointee.data[$0] & 1 == 1 }
    }

    /// Encodes the UTF-8 bytes of `text` as one byte segment.
    init(text: String, errorCorrection: ErrorCorrection = .medium) throws(QRCodeError) {
        try self.init(segments: [.bytes(Array(text.utf8))], errorCorrection: errorCorrection)
    }

    /// Whether the module at column `x`, row `y` (0-based, quiet zone excluded) is dark.
    func isDark(x: Int, y: Int) -> Bool {
        guard (0..<size).contains(x), (0..<size).contains(y) else { return false }
        return modules[y * size + x]
    }

    /// A standalone SVG image: one path in module units, scaled by `width`/`height`. Presentation
    /// attributes only, because the console's Content-Security-Policy forbids inline styles.
    func svg(moduleSize: Int = 4, quietZone: Int = 4, label: String) -> String {
        let extent = size + 2 * quietZone
        let pixels = extent * moduleSize
        var path = ""
        for y in 0..<size {
            for x in 0..<size where isDark(x: x, y: y) {
                path += "M\(x + quietZone),\(y + quietZone)h1v1h-1z"
            }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(extent) \(extent)" \
            width="\(pixels)" height="\(pixels)" role="img" aria-label="\(Self.escapeXML(label))">\
            <rect width="\(extent)" height="\(extent)" fill="#fff"/>\
            <path d="\(path)" fill="#000" shape-rendering="crispEdges"/></svg>
            """
    }

    /// A black-on-white PNG, `moduleSize` pixels a module, with a quiet zone of `quietZone` modules.
    func png(moduleSize: Int = 4, quietZone: Int = 4) -> [UInt8] {
        let side = (size + 2 * quietZone) * moduleSize
        var gray = PNGImage(width: side, height: side)
        for y in 0..<side {
            for x in 0..<side where isDark(x: x / moduleSize - quietZone, y: y / moduleSize - quietZone) {
                gray.setBlack(x: x, y: y)
            }
        }
        return gray.encoded()
    }

    /// `text` made safe for an XML attribute value.
    private static func escapeXML(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
