/// Why a QR Code could not be built.
enum QRCodeError: Error {
    /// The bytes do not fit a version 40 symbol at the requested error correction level.
    case tooLong
}

/// A QR Code (ISO/IEC 18004, Model 2) holding one byte-mode segment, so the staff console can show a
/// tablet's one-time device token for the tablet to scan. Dependency-free; byte mode only.
struct QRCode: Sendable {
    /// How much of the symbol may be damaged and still decode: about 7 %, 15 %, 25 % or 30 %.
    /// The raw value is the row of the block tables below.
    enum ErrorCorrection: Int, Sendable {
        case low, medium, quartile, high

        /// The level's two bits in the format information; the standard does not number them L, M, Q, H.
        fileprivate var formatBits: Int { [1, 0, 3, 2][rawValue] }
    }

    /// Modules per side without the quiet zone: 17 + 4 × version.
    let size: Int
    /// Symbol version, 1…40: the smallest that holds the bytes.
    let version: Int
    /// Data mask pattern, 0…7: the one with the lowest penalty score.
    let mask: Int
    /// Module colours, row by row; `true` is dark.
    private let modules: [Bool]

    /// Error correction codewords per block, by level (L, M, Q, H) and version (index 0 unused).
    private static let eccCodewordsPerBlock: [[Int]] = [
        [0, 7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28,
         28, 28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
        [0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26,
         26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28],
        [0, 13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30,
         28, 30, 30, 30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
        [0, 17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28,
         30, 24, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
    ]

    /// Number of error correction blocks, by level (L, M, Q, H) and version (index 0 unused).
    private static let blockCounts: [[Int]] = [
        [0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8,
         8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25],
        [0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16,
         17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49],
        [0, 1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20,
         23, 23, 25, 27, 29, 34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68],
        [0, 1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25,
         25, 34, 30, 32, 35, 37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81],
    ]

    /// Encodes `bytes` as one byte-mode segment in the smallest version that holds them.
    init(bytes: [UInt8], errorCorrection: ErrorCorrection = .medium) throws {
        let level = errorCorrection.rawValue
        guard let version = (1...40).first(where: { Self.fits(byteCount: bytes.count, version: $0, level: level) }) else {
            throw QRCodeError.tooLong
        }
        let data = Self.dataCodewords(bytes, version: version, level: level)
        var canvas = Canvas(size: version * 4 + 17)
        canvas.drawFunctionPatterns(version: version)
        canvas.placeData(Self.interleave(data, version: version, level: level))

        var bestMask = 0
        var bestPenalty = Int.max
        for mask in 0..<8 {
            let penalty = Self.penalty(canvas.masked(with: mask), size: canvas.size)
            if penalty < bestPenalty {
                bestMask = mask
                bestPenalty = penalty
            }
        }
        canvas.dark = canvas.masked(with: bestMask)
        canvas.drawFormat(errorCorrection, mask: bestMask)
        canvas.drawVersion(version)

        self.size = canvas.size
        self.version = version
        self.mask = bestMask
        self.modules = canvas.dark
    }

    /// Encodes the UTF-8 bytes of `text`.
    init(text: String, errorCorrection: ErrorCorrection = .medium) throws {
        try self.init(bytes: Array(text.utf8), errorCorrection: errorCorrection)
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

    // MARK: Capacity

    /// Whether a byte segment of `byteCount` bytes fits `version` at `level`: mode indicator (4 bits),
    /// character count (8 bits up to version 9, else 16) and 8 bits per byte.
    private static func fits(byteCount: Int, version: Int, level: Int) -> Bool {
        let countBits = version <= 9 ? 8 : 16
        return byteCount < (1 << countBits)
            && 4 + countBits + 8 * byteCount <= dataCapacity(version: version, level: level) * 8
    }

    /// Modules left for data and error correction once the function patterns are in place.
    private static func rawDataModules(version: Int) -> Int {
        let size = version * 4 + 17
        // Three finders with separators (8 × 8 each), format information with the dark module (31),
        // and the two timing patterns between the separators.
        var modules = size * size - 3 * 64 - 31 - 2 * (size - 16)
        if version >= 2 {
            // count² − 3 alignment patterns, less the 5 modules each of those on row or column 6
            // shares with a timing pattern.
            let count = version / 7 + 2
            modules -= 25 * (count * count - 3) - 10 * (count - 2)
        }
        if version >= 7 { modules -= 36 }  // two 6 × 3 version information blocks
        return modules
    }

    /// Data codewords of `version` at `level`.
    private static func dataCapacity(version: Int, level: Int) -> Int {
        rawDataModules(version: version) / 8 - eccCodewordsPerBlock[level][version] * blockCounts[level][version]
    }

    /// Centres of the alignment patterns along each axis: 6, then evenly spaced (by an even step) up to
    /// size − 7, any slack going to the first gap.
    private static func alignmentPositions(version: Int) -> [Int] {
        guard version >= 2 else { return [] }
        let count = version / 7 + 2
        let size = version * 4 + 17
        let gaps = count - 1
        // Version 32 is the one exception to the rounded-up spacing.
        let step = version == 32 ? 26 : (size - 13 + 2 * gaps - 1) / (2 * gaps) * 2
        return [6] + (0..<gaps).reversed().map { size - 7 - $0 * step }
    }

    // MARK: Codewords

    /// Mode indicator, count, the bytes, terminator, zero bits to a byte boundary, then the pad
    /// codewords 0xEC and 0x11 in turn up to the data capacity (ISO/IEC 18004 7.4).
    private static func dataCodewords(_ bytes: [UInt8], version: Int, level: Int) -> [UInt8] {
        let capacityBits = dataCapacity(version: version, level: level) * 8
        var bits: [Bool] = []
        bits.reserveCapacity(capacityBits)
        appendBits(0b0100, count: 4, to: &bits)
        appendBits(bytes.count, count: version <= 9 ? 8 : 16, to: &bits)
        for byte in bytes { appendBits(Int(byte), count: 8, to: &bits) }
        appendBits(0, count: min(4, capacityBits - bits.count), to: &bits)
        appendBits(0, count: (8 - bits.count % 8) % 8, to: &bits)
        var pad = 0xEC
        while bits.count < capacityBits {
            appendBits(pad, count: 8, to: &bits)
            pad ^= 0xEC ^ 0x11
        }
        var codewords = [UInt8](repeating: 0, count: capacityBits / 8)
        for (index, bit) in bits.enumerated() where bit {
            codewords[index / 8] |= (0x80 as UInt8) >> (index % 8)
        }
        return codewords
    }

    /// Appends the low `count` bits of `value`, most significant first.
    private static func appendBits(_ value: Int, count: Int, to bits: inout [Bool]) {
        for shift in stride(from: count - 1, through: 0, by: -1) {
            bits.append((value >> shift) & 1 == 1)
        }
    }

    /// Splits the data into blocks (the later blocks one codeword longer when it does not divide evenly),
    /// adds each block's error correction, and interleaves: data column by column, then ECC likewise.
    private static func interleave(_ data: [UInt8], version: Int, level: Int) -> [UInt8] {
        let blockCount = blockCounts[level][version]
        let eccLength = eccCodewordsPerBlock[level][version]
        let totalCodewords = rawDataModules(version: version) / 8
        let shortBlocks = blockCount - totalCodewords % blockCount
        let shortDataLength = totalCodewords / blockCount - eccLength
        let divisor = reedSolomonDivisor(degree: eccLength)

        var dataBlocks: [[UInt8]] = []
        var eccBlocks: [[UInt8]] = []
        var start = 0
        for index in 0..<blockCount {
            let length = shortDataLength + (index < shortBlocks ? 0 : 1)
            let block = Array(data[start..<(start + length)])
            start += length
            dataBlocks.append(block)
            eccBlocks.append(reedSolomonRemainder(block, divisor: divisor))
        }

        var result: [UInt8] = []
        result.reserveCapacity(totalCodewords)
        for column in 0...shortDataLength {
            for block in dataBlocks where column < block.count { result.append(block[column]) }
        }
        for column in 0..<eccLength {
            for block in eccBlocks { result.append(block[column]) }
        }
        return result
    }

    /// Product in GF(256) modulo x⁸ + x⁴ + x³ + x² + 1 (0x11D).
    private static func gfMultiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
        var product = 0
        var x = Int(a)
        var y = Int(b)
        while y != 0 {
            if y & 1 != 0 { product ^= x }
            x <<= 1
            if x & 0x100 != 0 { x ^= 0x11D }
            y >>= 1
        }
        return UInt8(product)
    }

    /// The generator polynomial (x − α⁰)(x − α¹)…(x − α^(degree−1)), highest power first, without its
    /// leading 1.
    private static func reedSolomonDivisor(degree: Int) -> [UInt8] {
        var polynomial: [UInt8] = [1]
        var root: UInt8 = 1
        for _ in 0..<degree {
            var next = [UInt8](repeating: 0, count: polynomial.count + 1)
            for (index, coefficient) in polynomial.enumerated() {
                next[index] ^= coefficient
                next[index + 1] ^= gfMultiply(coefficient, root)
            }
            polynomial = next
            root = gfMultiply(root, 2)
        }
        return Array(polynomial.dropFirst())
    }

    /// The error correction codewords: the remainder of data × x^degree divided by the generator.
    private static func reedSolomonRemainder(_ data: [UInt8], divisor: [UInt8]) -> [UInt8] {
        var remainder = [UInt8](repeating: 0, count: divisor.count)
        for byte in data {
            let factor = byte ^ remainder[0]
            remainder.removeFirst()
            remainder.append(0)
            for index in divisor.indices { remainder[index] ^= gfMultiply(divisor[index], factor) }
        }
        return remainder
    }

    // MARK: Masking

    /// Whether data mask pattern `mask` inverts the module at column `x`, row `y` (ISO/IEC 18004 Table 10).
    private static func maskInverts(_ mask: Int, x: Int, y: Int) -> Bool {
        switch mask {
        case 0: return (x + y) % 2 == 0
        case 1: return y % 2 == 0
        case 2: return x % 3 == 0
        case 3: return (x + y) % 3 == 0
        case 4: return (x / 3 + y / 2) % 2 == 0
        case 5: return x * y % 2 + x * y % 3 == 0
        case 6: return (x * y % 2 + x * y % 3) % 2 == 0
        default: return ((x + y) % 2 + x * y % 3) % 2 == 0
        }
    }

    /// Penalty score (ISO/IEC 18004 7.8.3.1): runs of five or more (N1 = 3), 2 × 2 blocks (N2 = 3),
    /// finder-like 1:1:3:1:1 patterns (N3 = 40) and imbalance of dark and light (N4 = 10).
    private static func penalty(_ dark: [Bool], size: Int) -> Int {
        var score = 0
        for line in 0..<size {
            let row = Array(dark[(line * size)..<((line + 1) * size)])
            let column = (0..<size).map { dark[$0 * size + line] }
            score += runPenalty(row) + finderPenalty(row) + runPenalty(column) + finderPenalty(column)
        }
        for y in 0..<(size - 1) {
            for x in 0..<(size - 1) {
                let colour = dark[y * size + x]
                if dark[y * size + x + 1] == colour && dark[(y + 1) * size + x] == colour
                    && dark[(y + 1) * size + x + 1] == colour {
                    score += 3
                }
            }
        }
        // 10 points for each whole 5 % by which the dark share is off 50 %.
        let total = size * size
        let darkCount = dark.filter { $0 }.count
        score += 10 * (abs(darkCount * 20 - total * 10) / total)
        return score
    }

    /// N1: 3 points for a run of five modules of one colour, plus 1 for each module beyond five.
    private static func runPenalty(_ line: [Bool]) -> Int {
        var score = 0
        var run = 1
        for index in 1..<line.count {
            if line[index] == line[index - 1] {
                run += 1
            } else {
                if run >= 5 { score += run - 2 }
                run = 1
            }
        }
        if run >= 5 { score += run - 2 }
        return score
    }

    /// N3: 40 points for each dark-light-dark-dark-dark-light-dark pattern with four light modules before
    /// or after it. Beyond the edge counts as light (the quiet zone), and a counted pattern's modules
    /// are not reused for an overlapping one, as in segno.
    private static func finderPenalty(_ line: [Bool]) -> Int {
        let pattern = [true, false, true, true, true, false, true]
        var score = 0
        var start = 0
        while start + 7 <= line.count {
            if line[start..<(start + 7)].elementsEqual(pattern) {
                let lightBefore = !line[max(0, start - 4)..<start].contains(true)
                let lightAfter = !line[(start + 7)..<min(line.count, start + 11)].contains(true)
                if lightBefore || lightAfter {
                    score += 40
                    start += 7
                    continue
                }
            }
            start += 1
        }
        return score
    }

    // MARK: Matrix

    /// The symbol under construction: module colours, and which modules belong to function patterns
    /// (and so take neither data nor mask).
    private struct Canvas {
        let size: Int
        var dark: [Bool]
        var isFunction: [Bool]

        /// An all-light canvas with no function modules yet.
        init(size: Int) {
            self.size = size
            self.dark = Array(repeating: false, count: size * size)
            self.isFunction = Array(repeating: false, count: size * size)
        }

        /// Sets a function module's colour.
        mutating func set(_ x: Int, _ y: Int, _ isDark: Bool) {
            dark[y * size + x] = isDark
            isFunction[y * size + x] = true
        }

        /// Timing, finder (with separator) and alignment patterns, and the format and version areas.
        /// Those areas and the dark module stay light here and are written once the mask is chosen, so
        /// every mask is scored with them light, as segno does.
        mutating func drawFunctionPatterns(version: Int) {
            for index in 0..<size {
                set(6, index, index % 2 == 0)
                set(index, 6, index % 2 == 0)
            }
            for (centreX, centreY) in [(3, 3), (size - 4, 3), (3, size - 4)] {
                for dy in -4...4 {
                    for dx in -4...4 {
                        let x = centreX + dx
                        let y = centreY + dy
                        guard (0..<size).contains(x), (0..<size).contains(y) else { continue }
                        let ring = max(abs(dx), abs(dy))
                        set(x, y, ring != 2 && ring != 4)
                    }
                }
            }
            let positions = QRCode.alignmentPositions(version: version)
            for centreX in positions {
                for centreY in positions {
                    // The three corners with a finder pattern get no alignment pattern.
                    let last = size - 7
                    if (centreX == 6 && centreY == 6) || (centreX == 6 && centreY == last) || (centreX == last && centreY == 6) {
                        continue
                    }
                    for dy in -2...2 {
                        for dx in -2...2 { set(centreX + dx, centreY + dy, max(abs(dx), abs(dy)) != 1) }
                    }
                }
            }
            for index in 0...8 where index != 6 {
                set(8, index, false)
                set(index, 8, false)
            }
            for index in 0..<8 {
                set(size - 1 - index, 8, false)
                set(8, size - 1 - index, false)
            }
            if version >= 7 {
                for index in 0..<18 {
                    set(size - 11 + index % 3, index / 3, false)
                    set(index / 3, size - 11 + index % 3, false)
                }
            }
        }

        /// Writes the codewords' bits, most significant first, in two-module columns from the right edge,
        /// alternately upwards and downwards, skipping function modules and the vertical timing column.
        /// Modules left over (the remainder bits) stay light.
        mutating func placeData(_ codewords: [UInt8]) {
            let bitCount = codewords.count * 8
            var index = 0
            var right = size - 1
            while right >= 1 {
                if right == 6 { right = 5 }
                let upward = (right + 1) & 2 == 0
                for step in 0..<size {
                    let y = upward ? size - 1 - step : step
                    for x in [right, right - 1] where !isFunction[y * size + x] && index < bitCount {
                        dark[y * size + x] = (codewords[index / 8] >> (7 - index % 8)) & 1 == 1
                        index += 1
                    }
                }
                right -= 2
            }
        }

        /// The colours with data mask `mask` applied to every module outside the function patterns.
        func masked(with mask: Int) -> [Bool] {
            var result = dark
            for y in 0..<size {
                for x in 0..<size where !isFunction[y * size + x] && QRCode.maskInverts(mask, x: x, y: y) {
                    result[y * size + x].toggle()
                }
            }
            return result
        }

        /// Both copies of the 15 format bits (level and mask, BCH(15,5) protected, XORed with 0x5412),
        /// and the dark module.
        mutating func drawFormat(_ level: ErrorCorrection, mask: Int) {
            let data = level.formatBits << 3 | mask
            var remainder = data
            for _ in 0..<10 { remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537) }
            let bits = (data << 10 | remainder) ^ 0x5412
            func bit(_ index: Int) -> Bool { (bits >> index) & 1 == 1 }

            // Around the top-left finder: bits 0–7 down column 8, bits 8–14 leftwards along row 8.
            for index in 0..<6 { set(8, index, bit(index)) }
            set(8, 7, bit(6))
            set(8, 8, bit(7))
            set(7, 8, bit(8))
            for index in 9..<15 { set(14 - index, 8, bit(index)) }
            // Split between the other two finders.
            for index in 0..<8 { set(size - 1 - index, 8, bit(index)) }
            for index in 8..<15 { set(8, size - 15 + index, bit(index)) }
            set(8, size - 8, true)
        }

        /// The 18 version bits (BCH(18,6) protected) beside the top-right and bottom-left finders, for
        /// versions 7 and up.
        mutating func drawVersion(_ version: Int) {
            guard version >= 7 else { return }
            var remainder = version
            for _ in 0..<12 { remainder = (remainder << 1) ^ ((remainder >> 11) * 0x1F25) }
            let bits = version << 12 | remainder
            for index in 0..<18 {
                let isDark = (bits >> index) & 1 == 1
                set(size - 11 + index % 3, index / 3, isDark)
                set(index / 3, size - 11 + index % 3, isDark)
            }
        }
    }
}
