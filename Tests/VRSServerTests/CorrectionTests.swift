import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PostgresNIO
import Testing
import VRSDomain
import VRSServer
import VRSStore
import VRSTestSupport

/// Corrections as municipal staff make them: void, move, hand over, amend and merge, each with
/// its version check, its history entry and its audit event, and what it changes elsewhere (the
/// tablet door's flags, the pending list, the ledger export).
@Suite("Corrections of doses and registrations")
struct CorrectionTests {
    typealias Site = TabletVaccinationTests.Site
    static func code(_ n: Int, dose: Int = 1, municipality: String = "131016") -> String {
        TabletVaccinationTests.code(n, dose: dose, municipality: municipality)
    }

    func withSite(_ body: @escaping @Sendable (Site) async throws -> Void) async throws {
        try await TabletVaccinationTests().withSite(people: 5, body)
    }

    @Test func aVoidedDoseStopsCountingButStaysInTheHistory() async throws {
        try await withSite { site in
            let app = site.app
            // The dose digit was misread: a "second" dose for someone with none.
            let wrong = try await site.send(Self.code(1, dose: 2))
            #expect(wrong.flags.contains("dose_mismatch"))
            let personID = try await site.personID("A-00001")
            let dose = try #require(try await app.doses(of: personID, token: site.staffA).first)
            #expect(try await app.call(.get, "/v1/persons/\(personID)", token: site.staffA).json()["nextDose"] as? Int == 2)
            let id = try #require(dose["vaccinationId"] as? String)
            let read = try await app.call(.get, "/v1/vaccinations/\(id)", token: site.staffA)
            #expect(read.headers[.eTag] == "\"1\"")

            let missing = try await app.correct(.post, "/v1/vaccinations/\(id)/void", token: site.staffA, ifMatch: nil, json: ["reason": "OCR"])
            #expect(missing.status == .preconditionRequired)
            let weak = try await app.correct(.post, "/v1/vaccinations/\(id)/void", token: site.staffA, ifMatch: "W/\"1\"", json: ["reason": "OCR"])
            #expect(weak.status == .badRequest, "a weak or foreign tag is no version of ours")
            let stale = try await app.correct(.post, "/v1/vaccinations/\(id)/void", token: site.staffA, ifMatch: "\"7\"", json: ["reason": "OCR"])
            #expect(stale.status == .preconditionFailed, "\(stale.text)")
            #expect(stale.headers[.eTag] == "\"1\"", "a 412 says which version to read again")
            #expect(stale.isProblem)
            let blank = try await app.correct(.post, "/v1/vaccinations/\(id)/void", token: site.staffA, ifMatch: "\"1\"", json: ["reason": "　 "])
            #expect(blank.status == .unprocessableContent)
            #expect(blank.text.contains("\"field\":\"reason\""))
            #expect(try await app.count("vaccination", in: TestApp.a, where: "state = 'recorded'") == 1, "refused corrections change nothing")

            let voided = try await app.correct(.post, "/v1/vaccinations/\(id)/void", token: site.staffA, ifMatch: "\"1\"",
                                               json: ["reason": "回数の読み取り誤り"])
            #expect(voided.status == .ok, "\(voided.text)")
            #expect(try voided.json()["state"] as? String == "voided")
            #expect(voided.headers[.eTag] == "\"2\"")
            let again = try await app.correct(.post, "/v1/vaccinations/\(id)/void", token: site.staffA, ifMatch: "\"2\"", json: ["reason": "again"])
            #expect(again.status == .conflict)
            #expect(try await app.call(.get, "/v1/persons/\(personID)", token: site.staffA).json()["nextDose"] as? Int == 1)

            // The tablet door counts what is left: the real first and second doses carry no mismatch,
            // and the second is no duplicate of the voided one.
            let first = try await site.send(Self.code(1, dose: 1), on: "2024-06-01")
            #expect(first.result == "recorded")
            #expect(!first.flags.contains("dose_mismatch"))
            let second = try await site.send(Self.code(1, dose: 2), on: "2024-10-01")
            #expect(second.result == "recorded")
            #expect(!second.flags.contains("dose_mismatch"), "the voided dose no longer counts")

            let history = try await app.history(of: personID, token: site.staffA)
            let entry = try #require(history.first { $0["action"] as? String == "vaccination.void" })
            #expect(entry["reason"] as? String == "回数の読み取り誤り")
            #expect((entry["actor"] as? [String: Any])?["userId"] as? String == "a.staff")
            let changes = entry["changes"] as? [[String: Any]] ?? []
            #expect(changes.contains { $0["field"] as? String == "state" && $0["old"] as? String == "recorded" && $0["new"] as? String == "voided" })
            #expect(try await app.auditActions(in: TestApp.a).contains("vaccination.void"))

            let ledger = try await app.ledger(token: site.staffA)
            #expect(!ledger.contains(id), "a voided dose is not in the ledger")
            #expect(ledger.split(separator: "\r\n").count == 3, "header and the two recorded doses")
        }
    }

    @Test func aDoseOnTheWrongCouponMovesAndTheExportShowsItOnceInItsNewPlace() async throws {
        try await withSite { site in
            let app = site.app
            #expect(try await site.send(Self.code(1)).result == "recorded")
            let one = try await site.personID("A-00001")
            let two = try await site.personID("A-00002")
            let id = try #require(try await app.doses(of: one, token: site.staffA).first?["vaccinationId"] as? String)

            // Two staff members read the dose at version 1; the first one's move wins.
            let colleague = try await app.staff("a.staff2", in: TestApp.a)
            let moved = try await app.correct(.post, "/v1/vaccinations/\(id)/move", token: site.staffA, ifMatch: "\"1\"",
                                              json: ["couponNumber": "0000000002", "reason": "券の取り違え"])
            #expect(moved.status == .ok, "\(moved.text)")
            #expect(try moved.json()["personId"] as? String == two)
            let late = try await app.correct(.patch, "/v1/vaccinations/\(id)", token: colleague, ifMatch: "\"1\"",
                                             json: ["lotNumber": "ZZ9999", "reason": "ロット訂正"])
            #expect(late.status == .preconditionFailed, "the colleague's stale amend loses nothing")
            #expect(try await app.count("vaccination", in: TestApp.a, where: "lot_number = 'ZZ9999'") == 0)

            #expect(try await app.doses(of: one, token: site.staffA).isEmpty)
            #expect(try await app.doses(of: two, token: site.staffA).count == 1)
            for person in [one, two] {
                let history = try await app.history(of: person, token: site.staffA)
                #expect(history.contains { $0["action"] as? String == "vaccination.move" }, "both people's histories show the move")
            }
            let lines = try await app.ledger(token: site.staffA).split(separator: "\r\n").filter { $0.contains(id) }
            #expect(lines.count == 1)
            #expect(lines.first?.hasPrefix("A-00002,") == true, "\(lines)")
            let unknown = try await app.correct(.post, "/v1/vaccinations/\(id)/move", token: site.staffA, ifMatch: "\"2\"",
                                                json: ["couponNumber": "0000009999", "reason": "x"])
            #expect(unknown.status == .unprocessableContent)
            #expect(unknown.text.contains("couponNumber"))
        }
    }

    @Test func aDoseMisreadIntoAnotherMunicipalityIsHandedOverAndRecordedOnBothSides() async throws {
        try await withSite { site in
            let app = site.app
            // B registers the person whose coupon 0000000007 the tablet misread as A's.
            let staffB = try await app.staff("b.staff", in: TestApp.b)
            let fileB = RegistrationFile.header + "\n" + RegistrationFile.line(7, municipality: "011002") + "\n"
            #expect(try await app.upload("/v1/persons/import", token: staffB, csv: fileB).status == .ok)
            let pending = try await site.send(Self.code(7))
            #expect(pending.result == "pending_registration")
            let listed = try await app.call(.get, "/v1/vaccinations/pending", token: site.staffA).json()["pending"] as? [[String: Any]] ?? []
            let id = try #require(listed.first?["vaccinationId"] as? String)

            let handed = try await app.correct(.post, "/v1/vaccinations/\(id)/move", token: site.staffA, ifMatch: "\"1\"",
                                               json: ["municipalityCode": "011002", "reason": "市町村コードの誤読"])
            #expect(handed.status == .ok, "\(handed.text)")
            let json = try handed.json()
            #expect(json["state"] as? String == "moved")
            #expect((json["movedTo"] as? [String: Any])?["municipalityName"] as? String == "札幌市")
            #expect((try await app.call(.get, "/v1/vaccinations/pending", token: site.staffA).json()["pending"] as? [Any])?.isEmpty == true)
            #expect(!(try await app.ledger(token: site.staffA)).contains("0000000007"))

            let personB = try #require(try await app.call(.get, "/v1/persons?addressNumber=A-00007", token: staffB).json()["persons"]
                                       as? [[String: Any]]).first?["personId"] as? String
            let received = try await app.doses(of: try #require(personB), token: staffB)
            #expect(received.count == 1)
            #expect(received.first?["receivedFrom"] as? String == "131016")
            #expect(try await app.history(of: try #require(personB), token: staffB).contains { $0["action"] as? String == "vaccination.receive" })
            #expect(try await app.ledger(token: staffB).split(separator: "\r\n").filter { $0.contains("0000000007") }.count == 1)
            #expect(try await app.auditActions(in: TestApp.a).contains("vaccination.hand_over"))
            #expect(try await app.auditActions(in: TestApp.b).contains("vaccination.receive"))
            // B cannot correct A's record, and A sees nothing of B's.
            let foreign = try await app.correct(.post, "/v1/vaccinations/\(id)/void", token: staffB, ifMatch: "\"2\"", json: ["reason": "x"])
            #expect(foreign.status == .notFound)
            let newID = try #require(received.first?["vaccinationId"] as? String)
            #expect(try await app.call(.get, "/v1/vaccinations/\(newID)", token: site.staffA).status == .notFound)
        }
    }

    @Test func anAmendedDoseKeepsTheEarlierValuesInTheHistory() async throws {
        try await withSite { site in
            let app = site.app
            _ = try await site.send(Self.code(3))
            let person = try await site.personID("A-00003")
            let id = try #require(try await app.doses(of: person, token: site.staffA).first?["vaccinationId"] as? String)
            let badProduct = try await app.correct(.patch, "/v1/vaccinations/\(id)", token: site.staffA, ifMatch: "\"1\"",
                                                   json: ["product": "aspirin", "reason": "x"])
            #expect(badProduct.status == .unprocessableContent)
            #expect(badProduct.text.contains("\"field\":\"product\""))
            let nothing = try await app.correct(.patch, "/v1/vaccinations/\(id)", token: site.staffA, ifMatch: "\"1\"", json: ["reason": "x"])
            #expect(nothing.status == .unprocessableContent)
            let amended = try await app.correct(.patch, "/v1/vaccinations/\(id)", token: site.staffA, ifMatch: "\"1\"",
                                                json: ["lotNumber": "FB5678", "siteName": NSNull(), "reason": "予診票と照合"])
            #expect(amended.status == .ok, "\(amended.text)")
            let dose = try amended.json()
            #expect(dose["lotNumber"] as? String == "FB5678")
            #expect(dose["siteName"] == nil)
            #expect(dose["doctorName"] as? String == "医師 一郎", "a field not named stays")
            let entry = try #require(try await app.history(of: person, token: site.staffA).first { $0["action"] as? String == "vaccination.amend" })
            let fields = Dictionary(uniqueKeysWithValues: (entry["changes"] as? [[String: Any]] ?? []).map { ($0["field"] as? String ?? "", $0) })
            #expect(Set(fields.keys) == ["lotNumber", "siteName"])
            #expect(fields["lotNumber"]?["old"] as? String == "FA1234")
            #expect(fields["siteName"]?["old"] as? String == "幕張メッセ")
            #expect(fields["siteName"]?["new"] is NSNull)
            #expect(try await app.auditActions(in: TestApp.a).contains("vaccination.amend"))
        }
    }

    @Test func aRegistrationIsAmendedAndTwoRegistrationsOfOnePersonAreMerged() async throws {
        try await withSite { site in
            let app = site.app
            let three = try await site.personID("A-00003")
            let four = try await site.personID("A-00004")
            _ = try await site.send(Self.code(3))
            let read = try await app.call(.get, "/v1/persons/\(four)", token: site.staffA)
            let tag = try #require(read.headers[.eTag])
            let amended = try await app.correct(.patch, "/v1/persons/\(four)", token: site.staffA, ifMatch: tag,
                                                json: ["familyName": "髙橋", "sex": "2", "reason": "住基と照合"])
            #expect(amended.status == .ok, "\(amended.text)")
            #expect(try amended.json()["familyName"] as? String == "髙橋")
            #expect(try amended.json()["sex"] as? String == "F")
            #expect(amended.headers[.eTag] != tag)
            let stale = try await app.correct(.patch, "/v1/persons/\(four)", token: site.staffA, ifMatch: tag,
                                              json: ["familyName": "高橋", "reason": "x"])
            #expect(stale.status == .preconditionFailed)
            #expect(try await app.count("person", in: TestApp.a, where: "family_name = '高橋'") == 0)
            #expect(stale.headers[.eTag] == amended.headers[.eTag])

            let threeTag = try #require(try await app.call(.get, "/v1/persons/\(three)", token: site.staffA).headers[.eTag])
            let merged = try await app.correct(.post, "/v1/persons/\(three)/merge", token: site.staffA, ifMatch: threeTag,
                                               json: ["intoPersonId": four, "reason": "二重登録"])
            #expect(merged.status == .ok, "\(merged.text)")
            let kept = try merged.json()
            #expect(kept["personId"] as? String == four)
            #expect((kept["vaccinations"] as? [Any])?.count == 1, "the dose moved with the registration")
            #expect((kept["coupons"] as? [[String: Any]])?.contains { $0["couponNumber"] as? String == "0000000003" } == true)
            let tombstone = try await app.call(.get, "/v1/persons/\(three)", token: site.staffA)
            #expect(try tombstone.json()["mergedInto"] as? String == four)
            let again = try await app.correct(.post, "/v1/persons/\(three)/merge", token: site.staffA,
                                              ifMatch: try #require(tombstone.headers[.eTag]), json: ["intoPersonId": four, "reason": "x"])
            #expect(again.status == .conflict)
            let amendTombstone = try await app.correct(.patch, "/v1/persons/\(three)", token: site.staffA,
                                                       ifMatch: try #require(tombstone.headers[.eTag]), json: ["givenName": "x", "reason": "x"])
            #expect(amendTombstone.status == .conflict, "a tombstone is corrected no more")
            #expect(try await app.history(of: four, token: site.staffA).contains { $0["action"] as? String == "person.merge" })
            #expect(try await app.history(of: four, token: site.staffA).contains { $0["action"] as? String == "person.amend" })
            #expect(try await app.auditActions(in: TestApp.a).contains("person.merge"))
            // A file that still names the merged registration is refused whole, saying so.
            let file = RegistrationFile.header + "\n" + RegistrationFile.line(3, name: "千代田 三子") + "\n"
            let reimport = try await app.upload("/v1/persons/import", token: site.staffA, csv: file)
            #expect(reimport.status == .unprocessableContent)
            #expect(reimport.text.contains("merged into another registration"), "\(reimport.text)")
            #expect(try await app.count("person", in: TestApp.a, where: "family_name = '千代田'") == 0)
            // The tablet door now puts a dose on coupon 3 onto the kept person.
            #expect(try await site.send(Self.code(3, dose: 2), on: "2024-12-01").result == "recorded")
            #expect(try await app.doses(of: four, token: site.staffA).count == 2)
        }
    }

    @Test func theLedgerComesInShiftJISForExcelWithoutTheIndividualNumber() async throws {
        try await withSite { site in
            _ = try await site.send(Self.code(1))
            let response = try await site.app.call(.get, "/v1/exports/ledger?layout=doses&charset=shift_jis", token: site.staffA)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.contains("Shift_JIS") == true)
            #expect(response.headers[.contentDisposition]?.contains("ledger-131016-") == true)
            let bytes = Array(response.body.readableBytesView)
            #expect(bytes.starts(with: RegistrationFile.cp932("宛名番号,氏名")))
            #expect(bytes.firstRange(of: RegistrationFile.cp932("山田　太郎")) != nil)
            #expect(bytes.firstRange(of: Array(RegistrationFile.individualNumber(1).utf8)) == nil)
            let utf8 = try await site.app.ledger(token: site.staffA)
            #expect(utf8.hasPrefix("\u{FEFF}宛名番号,"), "UTF-8 with a BOM, so that Excel reads it as UTF-8")
            #expect(try await site.app.call(.get, "/v1/exports/ledger?charset=latin1", token: site.staffA).status == .unprocessableContent)
            #expect(try await site.app.auditActions(in: TestApp.a).filter { $0 == "ledger.export" }.count == 2)
        }
    }

    @Test func onlyTheMunicipalitysOwnStaffCorrectItsRecords() async throws {
        try await withSite { site in
            let app = site.app
            _ = try await site.send(Self.code(2))
            let person = try await site.personID("A-00002")
            let id = try #require(try await app.doses(of: person, token: site.staffA).first?["vaccinationId"] as? String)
            let seed = try await app.account("op.one", .operator, in: nil)
            let op = try await app.signIn("op.one", seed: seed)
            for (method, path) in [(HTTPRequest.Method.post, "/v1/vaccinations/\(id)/void"), (.patch, "/v1/persons/\(person)"),
                                   (.get, "/v1/persons/\(person)/history"), (.get, "/v1/exports/ledger")] {
                let response = try await app.correct(method, path, token: op, ifMatch: "\"1\"", json: ["reason": "x", "familyName": "x"])
                #expect(response.status == .forbidden, "\(method) \(path): \(response.status)")
            }
            #expect(try await app.count("vaccination", in: TestApp.a, where: "state = 'recorded'") == 1)
        }
    }
}

extension TestApp {
    /// A request with an optional If-Match and any JSON body (null values included).
    func correct(_ method: HTTPRequest.Method, _ path: String, token: String, ifMatch: String?, json: [String: Any]) async throws -> TestResponse {
        var headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
        if let ifMatch { headers[.ifMatch] = ifMatch }
        return try await lgwan.execute(uri: path, method: method, headers: headers,
                                       body: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json)))
    }

    /// A person's doses as their record shows them.
    func doses(of personID: String, token: String) async throws -> [[String: Any]] {
        try await call(.get, "/v1/persons/\(personID)", token: token).json()["vaccinations"] as? [[String: Any]] ?? []
    }

    /// Every change of a person's history, following the pages to the end.
    func history(of personID: String, token: String) async throws -> [[String: Any]] {
        var changes: [[String: Any]] = []
        var after = "0"
        while true {
            let page = try await call(.get, "/v1/persons/\(personID)/history?limit=2&after=\(after)", token: token)
            try #require(page.status == .ok, "\(page.text)")
            let json = try page.json()
            changes += json["changes"] as? [[String: Any]] ?? []
            guard let next = json["next"] as? String else { return changes }
            after = next
        }
    }

    /// The ledger export's text (UTF-8).
    func ledger(token: String) async throws -> String {
        let response = try await call(.get, "/v1/exports/ledger?layout=doses", token: token)
        try #require(response.status == .ok, "\(response.text)")
        return response.text
    }

    /// The actions of a municipality's audit chain, oldest first.
    func auditActions(in municipality: MunicipalityCode) async throws -> [String] {
        var actions: [String] = []
        for try await action in try await store.admin.query(
            "SELECT action FROM vrs.audit_event WHERE municipality_code = \(municipality.rawValue) ORDER BY seq", logger: store.logger
        ).decode(String.self) { actions.append(action) }
        return actions
    }
}
