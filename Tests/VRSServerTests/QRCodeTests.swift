import Testing
@testable import VRSServer

/// The QR encoder checked module for module against matrices made by segno 1.6.6 (PyPI), an independent
/// encoder, in byte mode with the mask left to segno:
///
///     segno.make_qr(text, error="m", mode="byte", boost_error=False).matrix  # rows, no quiet zone
///
/// segno 1.6.6 appends a whole 0x00 codeword when the bit stream already ends on a byte boundary after
/// the terminator (heuer/segno#148; ISO/IEC 18004 7.4.10 adds zero bits only to reach a boundary), which
/// it always does for one byte-mode segment. The fixtures were made with that one function corrected:
///
///     segno.encoder.write_padding_bits = lambda buff, version, length: buff.extend([0] * (-length % 8))
///
/// With the mask fixed to segno's choice, python-qrcode 8 gives the same three matrices.
@Suite struct QRCodeTests {
    /// One symbol: what is encoded, and what segno made of it.
    struct Fixture: Sendable, CustomTestStringConvertible {
        let name: String
        let text: String
        let errorCorrection: QRCode.ErrorCorrection
        let version: Int
        let mask: Int
        /// One string per row, '#' dark and '.' light.
        let rows: [String]

        var testDescription: String { name }
    }

    /// a device token, ECC M: version 4, mask 6.
    static let deviceToken = Fixture(
        name: "a device token, ECC M", text: "vrsd_3q2Xb9Yk0LmN7pQrStUvWxYz-AbCdEfGhIjKlMnOpQrS", errorCorrection: .medium, version: 4, mask: 6,
        rows: [
            "#######.#..####.##.#....#.#######",
            "#.....#.#..#.##...#####...#.....#",
            "#.###.#.#..#.##.#....#.##.#.###.#",
            "#.###.#..##.#.###.#.##.##.#.###.#",
            "#.###.#.######.###...###..#.###.#",
            "#.....#...###.###.##..###.#.....#",
            "#######.#.#.#.#.#.#.#.#.#.#######",
            ".........#..##.##......#.........",
            "#..######....##..#..##.###..#.###",
            "###.....##..####.#.#..##.#..#.#..",
            "..#####...##.#.##....#.#.....#.##",
            ".#......#.####..#.#...####..#.###",
            "##..###.....##...#.#.#..#.###..##",
            "###..#..#..#.##...######.#.#.##..",
            "##...####.#.#.##...###...#.##.#..",
            "##..##..#.###...#.#.#.#......##..",
            "###.###..##....###....#..##.#####",
            ".#.###..##.##.#..#..#.##.#.####..",
            "..##..#...##...#########.#......#",
            ".##.##..#.#.#......##.#.##...###.",
            ".##...#.###.....#.##...##..#...#.",
            "#..###.#######.......#....######.",
            "#..##.####.#.#...#.######...#.###",
            "#.####....##.###.#.##..#...##.##.",
            "##.##.#...#...#......#..######.##",
            "........#.#....###.....##...####.",
            "#######.#.#.#.##.#.##.###.#.#.#..",
            "#.....#.#..##..#.###..#.#...#####",
            "#.###.#.##..#.####..#########.#.#",
            "#.###.#.#...#...###..#.#.#.#..###",
            "#.###.#..#....##...#...###.###.##",
            "#.....#..#.##.....#.#....#.######",
            "#######.#.######...##.###.#...#..",
        ])

    /// "HELLO WORLD" in byte mode, ECC Q: version 1, mask 3.
    static let helloWorld = Fixture(
        name: "HELLO WORLD in byte mode, ECC Q", text: "HELLO WORLD", errorCorrection: .quartile, version: 1, mask: 3,
        rows: [
            "#######..###..#######",
            "#.....#.#.#...#.....#",
            "#.###.#.#...#.#.###.#",
            "#.###.#...#.#.#.###.#",
            "#.###.#..###..#.###.#",
            "#.....#...##..#.....#",
            "#######.#.#.#.#######",
            ".........#.##........",
            ".###.##...........##.",
            "#####..#.#.#####.##..",
            "#...###..#...#.#...##",
            "#......##..##..#.#.#.",
            ".##...#..#.#.#....#.#",
            "........#.#.#.##..#.#",
            "#######..#..#####....",
            "#.....#.###..#.#.####",
            "#.###.#..#.#..#..#...",
            "#.###.#.##....#..###.",
            "#.###.#.##..#..#..#..",
            "#.....#.##.#.####...#",
            "#######...##.#.#.....",
        ])

    /// 300 bytes, ECC L (version 11: version information): version 11, mask 2.
    static let threeHundredBytes = Fixture(
        name: "300 bytes, ECC L (version 11: version information)", text: String(repeating: "0123456789", count: 30), errorCorrection: .low, version: 11, mask: 2,
        rows: [
            "#######...#..#.#.#...#.#.###...###.#...#..#..#.##..##.#######",
            "#.....#.##.###....#..#...#...##...#.###..#..#.#....##.#.....#",
            "#.###.#..#..####.##..###..#...#....#.#..#..###.#..###.#.###.#",
            "#.###.#.##......#.####.#....##..##..##.#.##..#..#.#.#.#.###.#",
            "#.###.#..##..###.#....#.##########.....##.####.#####..#.###.#",
            "#.....#.#.....##.#.#.#.#.#.##...#.#.###..#.#..#.###...#.....#",
            "#######.#.#.#.#.#.#.#.#.#.#.#.#.#.#.#.#.#.#.#.#.#.#.#.#######",
            ".........##.#..##...#.#.#####...##.#.#..######.#.............",
            "#####.###...#...##.#.#.#...########.#.##.#......#.#.##.#.#.#.",
            "#.........##.###..#...#.###...####.##.....#.##..#..#..#.##.#.",
            ".##.#.#.#####.#.#.##.....#..#.#...#.###..#.#..#.###.##.#....#",
            "#.####.###..##....#..#..##.#..#..#.#.#..#..###.#...#.#####..#",
            "....#####..##...#.####.#...###....#.####..#..##.###.##....#.#",
            "#.##....########.#....#.###...####.#...#..#..#.##..#..#..#.#.",
            "...##.#...##.####.#..#.###..###...#.###..#..#.#..#####..###.#",
            "##.....##..##.#..##.....#.##..##...#.#..#..###.#.#.#...###...",
            "..###.##...#.###..####.##....#..##..##.#.##..#..#...#.#...#.#",
            "#.##.#.#..##....##......###....###......#.####..#..#..####.#.",
            ".##..###.####..##.##.#.###..###...#.####.#.#..#..##..#.#..#.#",
            ".##.##.#.##..#..#...#.#.####..#....#.#..#.####.#.#.#...###.##",
            "#####.##..#.....#.####.#...#.#..#...#.##..#.....##..###...#.#",
            ".......###.#...#.#....#.###...####.##.....#.##..#..#..#.##.#.",
            "..#...#####.##..#.#.......#.#.#...#.###..#.#..#.###.##.#....#",
            ".#..##.###.#.#...##.##..#..#..####.#.#..#..###.#...#.#####..#",
            "##...###..####..#.#..#.#....##.#..#.####..#..##.###.##....#.#",
            "##.###..#..#.###.####.#.####..####..#..#..##.#.##..#..##.#.#.",
            ".###..###########.#.#..###..###...#.###..#.#..#..#####.#.##.#",
            "####....#..###...####...#.##..##...#..#.#..###.#.#.#...###..#",
            "###.########.##.#.####.#....######..#..#.##...#.#...#####.##.",
            ".#..#...####.#.#.#....#.#####...##......#.####..#...#...##.#.",
            "#...#.#.#.#..#....##..#.##..#.#.#.#.####.#.#..#..####.#.#.#.#",
            ".##.#...###.###.....###.#####...#..#.#..#.####.#.#.##...##.##",
            "###.########......###.#.#...#####...#.##..#.....##..#####.#.#",
            "...##....###.###.#...#.#.##..#..##.##..##.#.##.#...#..#....#.",
            ".##...##.##.#.#...#.......##..###.#.####.#.#..#######.####..#",
            "..##...##..##.##.#..##.#...##......#.#..#.####.#.#...#.#.#..#",
            "#.#...###.#...#.#.####.#...##.#..##.####.##..##.#.##...##.#.#",
            "####.#.#.##..###.#....#.###..#..##..#..#..##.#.##..#.##..#.#.",
            "#..#.##.#.#..#.###.##..##.###.###.#.###..#.#..#..####.#.###.#",
            ".#.#.#...#..#.#....#....##....#....#..#.#..###.#.#...#.#.#.##",
            "#.##..#..##.....##.#.#.#...##.####..#..#.##...#.#..#..###.#..",
            "...##....#.#...#..#...#.#....#.#.#.##...#.#..#..#.....#..#...",
            "####..#..##.##....##....##.#..###.#..###.#.#..#..####.##..#.#",
            ".#####.#####.##......##.###..##....#..#.#.###..#.#...#.#.#.##",
            "#.#...#.#..##.#.#.####.#...##.#.#...##.#..#..#..##.##..##.#.#",
            ".####..###.##.##.#....#.###..#.#.#.##..##.#.##.#...#..#....#.",
            "...##.#.#...#..#..#..#.##.##..###.#.####.#.#..#######.#..#..#",
            ".#.###.####.###..#..#......##......#.#..#.####.#.#...#.#.#..#",
            "#...#.###..#.#.#..####.##..##.#..##.####.##..##.#.##...##.#.#",
            "#.#..#.#.####...##......###..#..##..#.....##.#.....#.##....#.",
            "..#####...#.#.#######..##.###.###.#.####.#.#..#######.#.#...#",
            "###.#..#..#.#...#.##....##...#.....#..#.#.####.#.#...#.#.#.##",
            "####..#.##..#...#.####.#...######.#.#..#......#.#########.#..",
            "........########.#....#.###.#...##.##...#.#..#..#...#...##.#.",
            "#######.##...#....#.#...###.#.#.#.#..###.#.#..#..####.#.#.#.#",
            "#.....#..##.#.#..###.##.#.###...#..#..#.#.###..#.#.##...##..#",
            "#.###.#.#...#.#.#.#..#.#.########...##.#..#..#..##..#####.#..",
            "#.###.#.##..#.##.####.#.#..##.####..#..##.####.#....#.###...#",
            "#.###.#.#.##.###..#.#..##.##.#.#..#..###.#....######..#..#..#",
            "#.....#.###.###..#.##.#.....#.###..#....#.###..#.#....##.#..#",
            "#######.###.#.#.#.####.#...#.##..##.#..#.##.....#.##.#.#..###",
        ])
    static let fixtures = [deviceToken, helloWorld, threeHundredBytes]

    @Test("Matches segno module for module", arguments: QRCodeTests.fixtures)
    func matchesSegno(_ fixture: Fixture) throws {
        let code = try QRCode(text: fixture.text, errorCorrection: fixture.errorCorrection)
        #expect(code.version == fixture.version)
        #expect(code.size == 17 + 4 * fixture.version)
        #expect(code.mask == fixture.mask)
        try #require(fixture.rows.count == code.size)
        for (y, expected) in fixture.rows.enumerated() {
            let actual = (0..<code.size).map { code.isDark(x: $0, y: y) ? "#" : "." }.joined()
            #expect(actual == expected, "row \(y)")
        }
    }

    @Test func textIsEncodedAsUTF8Bytes() throws {
        let fromText = try QRCode(text: "Zähler", errorCorrection: .high)
        let fromBytes = try QRCode(bytes: Array("Zähler".utf8), errorCorrection: .high)
        #expect(fromText.version == fromBytes.version && fromText.mask == fromBytes.mask)
        for y in 0..<fromText.size {
            for x in 0..<fromText.size { #expect(fromText.isDark(x: x, y: y) == fromBytes.isDark(x: x, y: y)) }
        }
    }

    @Test func picksTheSmallestVersionAndRejectsWhatDoesNotFit() throws {
        // Byte-mode capacity of version 40 at L is 2953 bytes.
        #expect(try QRCode(bytes: [UInt8](repeating: 0x41, count: 2953), errorCorrection: .low).version == 40)
        #expect(throws: QRCodeError.tooLong) {
            try QRCode(bytes: [UInt8](repeating: 0x41, count: 2954), errorCorrection: .low)
        }
        // Version 1 at M holds 14 bytes, the 15th needs version 2.
        #expect(try QRCode(bytes: [UInt8](repeating: 0x41, count: 14)).version == 1)
        #expect(try QRCode(bytes: [UInt8](repeating: 0x41, count: 15)).version == 2)
    }

    @Test func isDarkIsLightOutsideTheSymbol() throws {
        let code = try QRCode(text: "HELLO WORLD", errorCorrection: .quartile)
        #expect(code.isDark(x: 0, y: 0))
        #expect(!code.isDark(x: -1, y: 0) && !code.isDark(x: 0, y: code.size) && !code.isDark(x: code.size, y: 0))
    }

    @Test func svgIsAnAccessibleImageWithoutInlineStyle() throws {
        let code = try QRCode(text: "HELLO WORLD", errorCorrection: .quartile)
        let svg = code.svg(label: "Tablet <1> & \"A\" 'b'")
        #expect(svg.hasPrefix(#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 29 29" width="116" height="116""#))
        #expect(svg.hasSuffix("</svg>"))
        #expect(svg.contains(#"role="img""#))
        #expect(svg.contains(#"aria-label="Tablet &lt;1&gt; &amp; &quot;A&quot; &#39;b&#39;""#))
        #expect(!svg.contains("style="))
        #expect(!svg.contains("<script"))
        #expect(svg.contains(##"<rect width="29" height="29" fill="#fff"/>"##))
        #expect(svg.contains(##"fill="#000" shape-rendering="crispEdges""##))
        // One path; the top-left module sits just inside the 4-module quiet zone.
        #expect(svg.ranges(of: "<path").count == 1)
        #expect(svg.contains(#"d="M4,4h1v1h-1z"#))
        var darkModules = 0
        for y in 0..<code.size {
            for x in 0..<code.size where code.isDark(x: x, y: y) { darkModules += 1 }
        }
        #expect(svg.ranges(of: "h1v1h-1z").count == darkModules)

        let small = code.svg(moduleSize: 2, quietZone: 0, label: "x")
        #expect(small.contains(#"viewBox="0 0 21 21" width="42" height="42""#))
        #expect(small.contains(#"d="M0,0h1v1h-1z"#))
    }
}
