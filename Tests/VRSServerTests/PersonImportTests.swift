import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import VRSDomain
import VRSServer
import VRSStore

@Suite("Bulk registration of targets and coupons")
struct PersonImportTests {
    typealias File = RegistrationFile

    func counts(_ response: TestResponse) throws -> [String: Int] {
        try #require(response.status == .ok, "\(response.status): \(response.text)")
        return try response.json().compactMapValues { $0 as? Int }
    }

    func person(_ app: TestApp, _ token: String, address: String) async throws -> [String: Any]? {
        let found = try await app.call(.get, "/v1/persons?addressNumber=\(address)", token: token).json()
        return (found["persons"] as? [[String: Any]])?.first
    }

    @Test func aUTF8FileLandsWholeAndReadsBackMasked() async throws {
        try await TestApp.run { app in
            let token = try await app.staff("a.staff", in: TestApp.a)
            let csv = File.header + "\n" + File.line(1, name: "渡邊　花子", kana: "ワタナベ　ハナコ", sex: "2") + "\n" + File.line(2) + "\n"
            #expect(try counts(await app.upload("/v1/persons/import", token: token, csv: csv)) ==
                    ["inserted": 2, "updated": 0, "unchanged": 0, "couponsIssued": 2, "couponsSuperseded": 0, "pendingLinked": 0])
            let first = try #require(try await person(app, token, address: "A-00001"))
            #expect(first["familyName"] as? String == "渡邊")
            #expect(first["givenName"] as? String == "花子")
            #expect(first["givenNameKana"] as? String == "ハナコ")
            #expect(first["sex"] as? String == "F")
            #expect(first["personalNumber"] as? String == "********" + File.individualNumber(1).suffix(4))
            #expect((first["coupons"] as? [[String: Any]])?.first?["couponNumber"] as? String == "0000000001")
            #expect(try await app.count("person", in: TestApp.a) == 2)
        }
    }

    @Test func aFileWithBOMAndJapaneseHeadersIsRead() async throws {
        try await TestApp.run { app in
            let token = try await app.staff("a.staff", in: TestApp.a)
            // Columns in another order, by their Japanese names, quoted fields with a comma and a quote.
            let csv = "\u{FEFF}宛名番号,自治体コード,個人番号,券番号,券種,氏名,氏名カナ,生年月日,性別,転入日\r\n"
                + "\"A-1,x\",131016,\(File.individualNumber(5)),0000000005,1,\"佐藤 \"\"一\"\"\",サトウ ハジメ,1980-02-29,M,2024-04-01\r\n"
                + "A-2,131016,\(File.individualNumber(6)),0000000006,1,\"鈴木 a\\b\tc\",スズキ エー,1980-03-01,F,\r\n"
            #expect(try counts(await app.upload("/v1/persons/import", token: token, csv: csv))["inserted"] == 2)
            // A backslash and a tab survive the staging COPY's text format.
            #expect(try await person(app, token, address: "A-2")?["givenName"] as? String == "a\\b\tc")
            let stored = try #require(try await person(app, token, address: "A-1,x"))
            #expect(stored["givenName"] as? String == "\"一\"")
            #expect(stored["movedInOn"] as? String == "2024-04-01")
            #expect(stored["birthDate"] as? String == "1980-02-29")
        }
    }

    @Test(arguments: ["text/csv; charset=shift_jis", "text/csv"])
    func aCP932FileWithNECAndIBMCharactersIsRead(contentType: String) async throws {
        try await TestApp.run { app in
            let token = try await app.staff("a.staff", in: TestApp.a)
            let text = "自治体コード,宛名番号,個人番号,券番号,券種,氏名,氏名カナ,生年月日,性別\r\n"
                + "131016,A-9,\(File.individualNumber(9)),0000000009,1,髙﨑 ①子,タカサキ イチコ,19700101,2\r\n"
            let bytes = File.cp932(text)
            #expect(String(validating: bytes, as: UTF8.self) == nil, "precondition: the bytes are not UTF-8")
            #expect(bytes.indices.contains { bytes[$0...].starts(with: [0x87, 0x40]) }, "precondition: ① as NEC row 13 (87 40)")
            #expect(bytes.indices.contains { bytes[$0...].starts(with: [0xFB, 0xFC]) }, "precondition: 髙 as an IBM extension (FB FC)")
            #expect(bytes.indices.contains { bytes[$0...].starts(with: [0xFA, 0xB1]) }, "precondition: 﨑 as an IBM extension (FA B1)")
            let response = try await app.upload("/v1/persons/import", token: token, bytes: bytes, contentType: contentType)
            #expect(try counts(response)["inserted"] == 1)
            let stored = try #require(try await person(app, token, address: "A-9"))
            #expect(stored["familyName"] as? String == "髙﨑")
            // The same name written with the NEC-selected codes of 髙 and 﨑 (EE E0, ED 95) reads the same.
            let nec = File.cp932(text.replacingOccurrences(of: "A-9", with: "A-10").replacingOccurrences(of: File.individualNumber(9), with: File.individualNumber(10))
                .replacingOccurrences(of: "0000000009", with: "0000000010"))
            var necBytes = nec
            for (ibm, nec) in [([0xFB, 0xFC], [0xEE, 0xE0]), ([0xFA, 0xB1], [0xED, 0x95])] as [([UInt8], [UInt8])] {
                let at = try #require(necBytes.indices.first { necBytes[$0...].starts(with: ibm) })
                necBytes.replaceSubrange(at..<at + 2, with: nec)
            }
            #expect(try counts(await app.upload("/v1/persons/import", token: token, bytes: necBytes, contentType: contentType))["inserted"] == 1)
            #expect(try await person(app, token, address: "A-10")?["familyName"] as? String == "髙﨑")
            #expect(stored["givenName"] as? String == "①子")
        }
    }

    @Test func aBadCheckDigitOnLine7NamesLineAndColumnAndWritesNothing() async throws {
        try await TestApp.run { app in
            let token = try await app.staff("a.staff", in: TestApp.a)
            var lines = File.file(10).split(separator: "\r\n").map(String.init)
            let good = File.individualNumber(6)
            let bad = good.prefix(11) + String((Int(String(good.last!))! + 1) % 10)
            lines[6] = lines[6].replacingOccurrences(of: good, with: bad)     // data line 6 = file line 7
            let response = try await app.upload("/v1/persons/import", token: token, csv: lines.joined(separator: "\r\n"))
            #expect(response.status == .unprocessableContent)
            #expect(response.isProblem)
            let errors = try response.json()["errors"] as? [[String: Any]] ?? []
            #expect(errors.count == 1)
            #expect(errors.first?["line"] as? Int == 7)
            #expect(errors.first?["column"] as? String == "individual_number")
            #expect(errors.first?["code"] as? String == "check_digit")
            #expect(!response.text.contains(String(bad)), "the bad number is not echoed")
            #expect(try await app.count("person", in: TestApp.a) == 0)
            #expect(try await app.count("coupon", in: TestApp.a) == 0)
        }
    }

    @Test func everyBadLineIsListedWithItsRule() async throws {
        try await TestApp.run { app in
            let token = try await app.staff("a.staff", in: TestApp.a)
            let csv = [File.header,
                       File.line(1, municipality: "011002"),                  // line 2: another municipality
                       File.line(2, name: "山田太郎"),                        // line 3: no space in the name
                       File.line(3, birth: "20991231"),                       // line 4: future
                       File.line(4, sex: "3"),                                // line 5: sex
                       File.line(5), File.line(5),                           // line 7 repeats line 6
                       "131016,A-00009"].joined(separator: "\n")             // line 8: two fields of nine
            let response = try await app.upload("/v1/persons/import", token: token, csv: csv)
            #expect(response.status == .unprocessableContent)
            let errors = (try response.json()["errors"] as? [[String: Any]] ?? []).map { "\($0["line"] ?? "-") \($0["column"] ?? "-") \($0["code"] ?? "-")" }
            #expect(errors.contains("2 municipality_code other_municipality"))
            #expect(errors.contains("3 name name_parts"))
            #expect(errors.contains("4 birth_date future_date"))
            #expect(errors.contains("5 sex not_one_of"))
            #expect(errors.contains("7 address_number duplicate_in_file"))
            #expect(errors.contains("8 * length"))
            #expect(try await app.count("person", in: TestApp.a) == 0)
        }
    }

    @Test func reimportChangesNothingAndAChangedLineIsAnUpdate() async throws {
        try await TestApp.run { app in
            let token = try await app.staff("a.staff", in: TestApp.a)
            let csv = File.file(20)
            #expect(try counts(await app.upload("/v1/persons/import", token: token, csv: csv))["inserted"] == 20)
            let again = try counts(await app.upload("/v1/persons/import", token: token, csv: csv))
            #expect(again["inserted"] == 0 && again["updated"] == 0 && again["unchanged"] == 20 && again["couponsIssued"] == 0)
            let changed = csv.replacingOccurrences(of: File.line(3), with: File.line(3, name: "山田 次郎"))
            let third = try counts(await app.upload("/v1/persons/import", token: token, csv: changed))
            #expect(third["updated"] == 1 && third["unchanged"] == 19)
            #expect(try await person(app, token, address: "A-00003")?["givenName"] as? String == "次郎")
            #expect(try await app.count("person", in: TestApp.a) == 20)
        }
    }

    @Test func aPreviousCouponNumberSupersedesTheCouponItNames() async throws {
        try await TestApp.run { app in
            let token = try await app.staff("a.staff", in: TestApp.a)
            _ = try counts(await app.upload("/v1/persons/import", token: token, csv: File.file(2)))
            let reissue = File.header + ",previous_coupon_number\n" + File.line(1, coupon: 900) + ",0000000001\n"
            let result = try counts(await app.upload("/v1/persons/import", token: token, csv: reissue))
            #expect(result["updated"] == 1 && result["couponsIssued"] == 1 && result["couponsSuperseded"] == 1)
            let coupons = try #require(try await person(app, token, address: "A-00001")?["coupons"] as? [[String: Any]])
            #expect(coupons.map { "\($0["couponNumber"]!) \($0["status"]!)" } == ["0000000001 superseded", "0000000900 active"])
        }
    }

    @Test func aKeyedRetryGetsTheFirstAnswerAndAKeyCannotBeReusedForAnotherFile() async throws {
        try await TestApp.run { app in
            let token = try await app.staff("a.staff", in: TestApp.a)
            let first = try counts(await app.upload("/v1/persons/import", token: token, csv: File.file(5), idempotencyKey: "file-2026-12-02"))
            let retry = try counts(await app.upload("/v1/persons/import", token: token, csv: File.file(5), idempotencyKey: "file-2026-12-02"))
            #expect(first == retry)
            #expect(retry["inserted"] == 5)
            let other = try await app.upload("/v1/persons/import", token: token, csv: File.file(6), idempotencyKey: "file-2026-12-02")
            #expect(other.status == .conflict)
            #expect(try await app.count("person", in: TestApp.a) == 5)
        }
    }

    @Test func twoImportsAtOnceBothLandWithoutInterleaving() async throws {
        try await TestApp.run { app in
            let token = try await app.staff("a.staff", in: TestApp.a)
            let other = try await app.staff("a.staff2", in: TestApp.a)
            async let one = app.upload("/v1/persons/import", token: token, csv: File.file(300))
            async let two = app.upload("/v1/persons/import", token: other, csv: File.file(300))
            let results = try await [counts(one), counts(two)]
            // One ran first and inserted everything; the other, after it, found everything unchanged.
            #expect(Set(results.map { $0["inserted"]! }) == [300, 0])
            #expect(Set(results.map { $0["unchanged"]! }) == [0, 300])
            #expect(try await app.count("person", in: TestApp.a) == 300)
        }
    }

    @Test func unreadableFilesAreRefusedWholeAndNameTheProblem() async throws {
        var security = TestApp.security()
        security.maxImportSize = 2048
        try await TestApp.run(security: security) { app in
            let token = try await app.staff("a.staff", in: TestApp.a)
            let cases: [(String, [UInt8], HTTPResponse.Status, String)] = [
                ("empty", [], .unprocessableContent, "empty"),
                ("header only", Array((File.header + "\n").utf8), .unprocessableContent, "empty"),
                ("missing column", Array("municipality_code,address_number\n131016,A\n".utf8), .unprocessableContent, "header"),
                ("repeated column", Array((File.header + ",sex\n").utf8), .unprocessableContent, "header"),
                ("unbalanced quote", Array((File.header + "\n" + File.line(1) + "\n131016,\"A-2,").utf8), .unprocessableContent, "file"),
                ("NUL byte", Array((File.header + "\n").utf8) + [0] + Array(File.line(1).utf8), .unprocessableContent, "file"),
                ("too large", Array(File.file(40).utf8), .contentTooLarge, ""),
            ]
            for (name, bytes, status, code) in cases {
                let response = try await app.upload("/v1/persons/import", token: token, bytes: bytes)
                #expect(response.status == status, "\(name): \(response.text)")
                #expect(response.isProblem, "\(name)")
                if !code.isEmpty {
                    #expect((try response.json()["errors"] as? [[String: Any]])?.first?["code"] as? String == code, "\(name): \(response.text)")
                }
            }
            let wrongType = try await app.upload("/v1/persons/import", token: token, bytes: Array(File.file(1).utf8), contentType: "application/json")
            #expect(wrongType.status == .unsupportedMediaType)
            let wrongCharset = try await app.upload("/v1/persons/import", token: token, bytes: Array(File.file(1).utf8), contentType: "text/csv; charset=ebcdic")
            #expect(wrongCharset.status == .unsupportedMediaType)
            #expect(try await app.count("person", in: TestApp.a) == 0)
        }
    }

    @Test func operatorsAndAnotherMunicipalitysStaffCannotImportHere() async throws {
        try await TestApp.run { app in
            let seed = try await app.account("op.one", .operator, in: nil)
            let op = try await app.signIn("op.one", seed: seed)
            #expect(try await app.upload("/v1/persons/import", token: op, csv: File.file(1)).status == .forbidden)
            let b = try await app.staff("b.staff", in: TestApp.b)
            let response = try await app.upload("/v1/persons/import", token: b, csv: File.file(1))
            #expect(response.status == .unprocessableContent)
            #expect(try await app.count("person", in: TestApp.a) == 0)
            #expect(try await app.count("person", in: TestApp.b) == 0)
        }
    }
}
