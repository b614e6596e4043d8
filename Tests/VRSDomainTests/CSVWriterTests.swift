import Testing
import VRSDomain

@Suite("CSV writer and CP932 encoder for exports")
struct CSVWriterTests {
    @Test func whatTheWriterWritesTheReaderReadsBack() throws {
        let fields = ["A-1", "山田　太郎", "x,1", "say \"hi\"", "two\nlines", ""]
        let text = CSVWriter.record(fields)
        #expect(text.hasSuffix("\r\n"))
        var reader = CSVReader()
        var records: [CSVRecord] = []
        try reader.feed(Array(text.utf8)[...], into: &records)
        try reader.finish(into: &records)
        #expect(records.map { $0.fields.map { String(decoding: $0, as: UTF8.self) } } == [fields])
    }

    @Test(arguments: ["=1+1", "+81", "-2", "@SUM(A1)"])
    func aFieldThatASpreadsheetWouldRunAsAFormulaIsWrittenAsText(_ field: String) {
        #expect(CSVWriter.record([field]) == "'\(field)\r\n")
    }

    @Test func cp932KeepsNECAndIBMCharactersAndMarksWhatItCannotWrite() throws {
        let encoder = try #require(CP932Encoder())
        #expect(encoder.encode("髙橋①") == [0xFB, 0xFC, 0x8B, 0xB4, 0x87, 0x40])
        #expect(encoder.replaced == 0)
        #expect(encoder.encode("𠮷野") == [0x81, 0xAC, 0x96, 0xEC], "𠮷 has no CP932 code: 〓 stands in")
        #expect(encoder.replaced == 1)
    }
}
