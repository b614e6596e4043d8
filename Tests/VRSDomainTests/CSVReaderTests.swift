import Testing
import VRSDomain

@Suite("Streaming CSV reader and field decoding")
struct CSVReaderTests {
    /// Reads `text` fed in chunks of `size` bytes; fields decoded as UTF-8.
    func read(_ text: String, chunk size: Int) throws -> [(Int, [String])] {
        var reader = CSVReader()
        var records: [CSVRecord] = []
        let bytes = Array(text.utf8)
        var start = 0
        while start < bytes.count {
            try reader.feed(bytes[start..<min(start + size, bytes.count)], into: &records)
            start += size
        }
        try reader.finish(into: &records)
        return records.map { ($0.line, $0.fields.map { String(decoding: $0, as: UTF8.self) }) }
    }

    static let tricky = "a,b,c\r\n\"x,1\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n\r\nlast,,\"\"\n山田,太郎,ﾀﾛｳ"

    @Test(arguments: [1, 2, 3, 7, 1000])
    func quotesCommasNewlinesAndCRLFWhateverTheChunkBoundaries(chunk: Int) throws {
        let records = try read(Self.tricky, chunk: chunk)
        #expect(records.map(\.0) == [1, 2, 5, 6])      // the quoted newline makes line 3 part of record 2; line 4 is blank
        #expect(records[0].1 == ["a", "b", "c"])
        #expect(records[1].1 == ["x,1", "say \"hi\"", "two\nlines"])
        #expect(records[2].1 == ["last", "", ""])
        #expect(records[3].1 == ["山田", "太郎", "ﾀﾛｳ"])
    }

    @Test func brokenFilesNameTheLine() throws {
        #expect(throws: CSVFileError.unbalancedQuote(line: 2)) { try read("a,b\n\"open,b\nc,d\n", chunk: 4) }
        #expect(throws: CSVFileError.nulByte(line: 2)) { try read("a,b\nx\u{0},y\n", chunk: 4) }
        #expect(throws: CSVFileError.strayQuote(line: 1)) { try read("a\"b,c\n", chunk: 4) }
        #expect(throws: CSVFileError.strayQuote(line: 1)) { try read("\"a\"b,c\n", chunk: 4) }
        var reader = CSVReader(maxRecordBytes: 8)
        var records: [CSVRecord] = []
        #expect(throws: CSVFileError.recordTooLong(line: 1, limit: 8)) { try reader.feed(Array("123456789,x\n".utf8), into: &records) }
    }

    @Test func theFirstNonASCIIFieldDecidesTheEncodingWhenNoneIsDeclared() throws {
        let utf8 = FieldDecoder(encoding: nil)
        #expect(utf8.decode(Array("abc".utf8)) == "abc")
        #expect(utf8.encoding == nil, "ASCII decides nothing")
        #expect(utf8.decode(Array("髙﨑".utf8)) == "髙﨑")
        #expect(utf8.encoding == .utf8)
        #expect(utf8.decode([0x87, 0x40]) == nil, "CP932 bytes in a UTF-8 file are an error, not a guess")

        let cp932 = FieldDecoder(encoding: nil)
        #expect(cp932.decode([0x87, 0x40, 0xFB, 0xFC, 0xED, 0x95]) == "①髙﨑")     // NEC row 13, IBM and NEC-selected IBM extensions
        #expect(cp932.encoding == .cp932)
        #expect(cp932.decode([0x83, 0x5E, 0x83, 0x8D, 0x83, 0x45]) == "タロウ")
        #expect(cp932.decode([0x81]) == nil, "a truncated double-byte character")
        #expect(TextEncoding(charset: "Shift_JIS") == .cp932)
        #expect(TextEncoding(charset: "\"windows-31j\"") == .cp932)
        #expect(TextEncoding(charset: "euc-jp") == nil)
    }
}
