import CompressNIO
import NIOCore

/// A black-and-white image written as a PNG (ISO/IEC 15948): 1-bit greyscale, one IDAT chunk
/// compressed with zlib. Written here because no package at hand writes PNG; QR codes need no more.
struct PNGImage: Sendable {
    let width: Int
    let height: Int
    /// Rows of packed pixels, most significant bit first; 1 is white (greyscale), as PNG has it.
    private var rows: [[UInt8]]

    /// A white image.
    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        rows = Array(repeating: Array(repeating: 0xFF, count: (width + 7) / 8), count: height)
    }

    /// Turns one pixel black.
    mutating func setBlack(x: Int, y: Int) {
        rows[y][x / 8] &= ~(0x80 >> UInt8(x % 8))
    }

    /// The PNG file.
    func encoded() -> [UInt8] {
        var header: [UInt8] = []
        header.appendBigEndian(UInt32(width))
        header.appendBigEndian(UInt32(height))
        header += [1, 0, 0, 0, 0]   // bit depth 1, greyscale, deflate, adaptive filters, no interlace
        // Each row starts with its filter type: 0, none (two-tone rows gain nothing from filters).
        var raw = ByteBuffer(bytes: rows.flatMap { [0] + $0 })
        let compressed = (try? raw.compress(with: .zlib, configuration: .init(compressionLevel: 9))).map { Array($0.readableBytesView) }
        var file: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        Self.appendChunk("IHDR", header, to: &file)
        // zlib cannot fail on a buffer of the bound it sized itself; an empty IDAT would fail to decode, not lie.
        Self.appendChunk("IDAT", compressed ?? [], to: &file)
        Self.appendChunk("IEND", [], to: &file)
        return file
    }

    private static func appendChunk(_ type: String, _ data: [UInt8], to file: inout [UInt8]) {
        let typed = Array(type.utf8) + data
        file.appendBigEndian(UInt32(data.count))
        file += typed
        file.appendBigEndian(crc32(typed))
    }

    /// CRC-32 (ISO 3309, polynomial 0xEDB88320 reflected), as PNG's chunks carry it.
    private static let crcTable: [UInt32] = (0..<256).map { n in
        (0..<8).reduce(UInt32(n)) { c, _ in c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        ~bytes.reduce(0xFFFF_FFFF as UInt32) { crc, byte in crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
    }
}

extension [UInt8] {
    fileprivate mutating func appendBigEndian(_ value: UInt32) {
        append(contentsOf: [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)])
    }
}
