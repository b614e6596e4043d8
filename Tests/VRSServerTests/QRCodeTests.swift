import Foundation
import Testing
import VRSStore
@testable import VRSServer

/// libqrencode through `QRCode`: each PNG read back from its pixels by zbar (Debian's zbar-tools,
/// as a phone's camera reads a code), the version chosen, the segments a SMART Health Card needs,
/// and the SVG the console shows.
@Suite struct QRCodeTests {
    /// One symbol: what is encoded, and the version it needs.
    struct Fixture: Sendable, CustomTestStringConvertible {
        let name: String
        let text: String
        let errorCorrection: QRCode.ErrorCorrection
        let version: Int

        var testDescription: String { name }
    }

    static let fixtures = [
        Fixture(name: "a device token, ECC M", text: "vrsd_3q2Xb9Yk0LmN7pQrStUvWxYz-AbCdEfGhIjKlMnOpQrS", errorCorrection: .medium, version: 4),
        Fixture(name: "HELLO WORLD in byte mode, ECC Q", text: "HELLO WORLD", errorCorrection: .quartile, version: 1),
        Fixture(name: "300 bytes, ECC L (version 11: version information)", text: String(repeating: "0123456789", count: 30),
                errorCorrection: .low, version: 11),
        Fixture(name: "Japanese text, ECC H", text: "接種証明書 千葉市", errorCorrection: .high, version: 4),
    ]

    @Test("Takes the smallest version that holds the text", arguments: QRCodeTests.fixtures)
    func takesTheSmallestVersion(_ fixture: Fixture) throws {
        let code = try QRCode(text: fixture.text, errorCorrection: fixture.errorCorrection)
        #expect(code.version == fixture.version)
        #expect(code.size == 17 + 4 * fixture.version)
    }

    /// What zbarimg reads from a PNG file.
    static func scanned(_ png: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vrs-qr-\(UUID().uuidString).png").path
        try Data(png).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (status, output) = try ChildProcess.run(["zbarimg", "--raw", "-q", "--nodbus", path])
        #expect(status == 0, "zbarimg: \(output)")
        return output.hasSuffix("\n") ? String(output.dropLast()) : output
    }

    @Test("The PNG scans back to what was encoded", arguments: QRCodeTests.fixtures)
    func pngScansBack(_ fixture: Fixture) throws {
        let code = try QRCode(text: fixture.text, errorCorrection: fixture.errorCorrection)
        let scanned = try Self.scanned(code.png())
        #expect(scanned == fixture.text)
    }

    @Test func aSmartHealthCardSizedCodeIsByteThenNumericAndScansBack() throws {
        // The largest single-chunk card: 1,195 JWS characters, two digits each (spec.smarthealth.cards).
        let digits = String((0..<2390).map { Character(String($0 * 7 % 10)) })
        let code = try QRCode(segments: [.bytes(Array("shc:/".utf8)), .numeric(digits)], errorCorrection: .low, maxVersion: 22)
        #expect(code.version <= 22)
        let scanned = try Self.scanned(code.png(moduleSize: 3))
        #expect(scanned == "shc:/" + digits)
        // The same characters in one byte segment need a far larger symbol.
        #expect(try QRCode(segments: [.bytes(Array(("shc:/" + digits).utf8))], errorCorrection: .low).version > 30)
        #expect(throws: QRCodeError.tooLong) {
            try QRCode(segments: [.bytes(Array("shc:/".utf8)), .numeric(digits)], errorCorrection: .low, maxVersion: 21)
        }
        #expect(throws: QRCodeError.notNumeric) { try QRCode(segments: [.numeric("12a4")]) }
    }

    @Test func picksTheSmallestVersionAndRejectsWhatDoesNotFit() throws {
        // Byte-mode capacity of version 40 at L is 2953 bytes.
        #expect(try QRCode(segments: [.bytes([UInt8](repeating: 0x41, count: 2953))], errorCorrection: .low).version == 40)
        #expect(throws: QRCodeError.tooLong) {
            try QRCode(segments: [.bytes([UInt8](repeating: 0x41, count: 2954))], errorCorrection: .low)
        }
        // Version 1 at M holds 14 bytes, the 15th needs version 2.
        #expect(try QRCode(segments: [.bytes([UInt8](repeating: 0x41, count: 14))]).version == 1)
        #expect(try QRCode(segments: [.bytes([UInt8](repeating: 0x41, count: 15))]).version == 2)
    }

    @Test func isDarkIsLightOutsideTheSymbol() throws {
        let code = try QRCode(text: "HELLO WORLD", errorCorrection: .quartile)
        #expect(code.isDark(x: 0, y: 0))
        #expect(!code.isDark(x: -1, y: 0) && !code.isDark(x: 0, y: code.size) && !code.isDark(x: code.size, y: 0))
    }

    @Test func pngIsAWellFormedOneBitGreyscaleFile() throws {
        let code = try QRCode(text: "HELLO WORLD", errorCorrection: .quartile)
        let png = code.png(moduleSize: 2, quietZone: 4)
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // IHDR: length 13, then width and height (29 modules × 2 pixels), bit depth 1, colour type 0.
        #expect(Array(png[8..<16]) == [0, 0, 0, 13] + Array("IHDR".utf8))
        #expect(Array(png[16..<26]) == [0, 0, 0, 58, 0, 0, 0, 58, 1, 0])
        // IEND with its well-known CRC closes the file.
        #expect(Array(png.suffix(12)) == [0, 0, 0, 0] + Array("IEND".utf8) + [0xAE, 0x42, 0x60, 0x82])
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
