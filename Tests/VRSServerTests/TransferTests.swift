import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import PostgresNIO
import Synchronization
import Testing
import VRSCrypto
import VRSDomain
import VRSServer
import VRSStore
import VRSTestSupport

/// Transfer inquiries as a municipality that registered a moved-in resident makes them: single and
/// by batch, with the provision record on both sides, the copies in its ledger, and the guard.
/// A (131016) asks B (011002); person i of each has the same Individual Number (the same person,
/// registered in both), and B's tablet recorded the doses.
@Suite("Transfer inquiries between municipalities")
struct TransferTests {
    typealias File = RegistrationFile
    static let b = "011002"

    struct Towns {
        let app: TestApp
        let staffA: String
        let staffB: String
        let site: TabletVaccinationTests.Site

        /// Asks B for person `i`'s records, optionally onto A's person of that address.
        func ask(_ i: Int, onto person: String? = nil, of provider: String = TransferTests.b, token: String? = nil) async throws -> TestResponse {
            try await app.call(.post, "/v1/transfer-inquiries", token: token ?? staffA,
                               json: ["previousMunicipalityCode": provider, "personalNumber": File.individualNumber(i), "personId": person])
        }

        func personA(_ i: Int) async throws -> String { try await site.personID(String(format: "A-%05d", i)) }
    }

    /// A and B each register persons 1–5; B's tablet gives person 1 two doses and person 2 one.
    func withTowns(_ body: @escaping @Sendable (Towns) async throws -> Void) async throws {
        try await TabletVaccinationTests().withSite(people: 5) { site in
            let app = site.app
            let staffB = try await app.staff("b.staff", in: TestApp.b)
            let upload = try await app.upload("/v1/persons/import", token: staffB, csv: File.file(5, municipality: Self.b))
            try #require(upload.status == .ok, "\(upload.text)")
            for (n, dose, date) in [(1, 1, "2024-06-01"), (1, 2, "2024-10-01"), (2, 1, "2024-07-01")] {
                let answer = try await site.send(TabletVaccinationTests.code(n, dose: dose, municipality: Self.b), on: date)
                try #require(answer.result == "recorded")
            }
            try await body(Towns(app: app, staffA: site.staffA, staffB: staffB, site: site))
        }
    }

    @Test func aMovedOutPersonIsFoundAndTheDosesAreCopiedOnceWithTheirOrigin() async throws {
        try await withTowns { towns in
            let app = towns.app
            // B voids a misread third dose (not provided) and marks person 1 as moved out to A.
            let extra = try await towns.site.send(TabletVaccinationTests.code(1, dose: 3, municipality: Self.b), on: "2024-11-01")
            #expect(extra.result == "recorded")
            let personB = try #require(((try await app.call(.get, "/v1/persons?addressNumber=A-00001", token: towns.staffB).json()["persons"]
                as? [[String: Any]])?.first?["personId"]) as? String)
            let third = try #require(try await app.doses(of: personB, token: towns.staffB).first { $0["dose"] as? Int == 3 })
            let voided = try await app.correct(.post, "/v1/vaccinations/\(third["vaccinationId"] as! String)/void", token: towns.staffB,
                                               ifMatch: "\"1\"", json: ["reason": "重複"])
            #expect(voided.status == .ok, "\(voided.text)")
            let moved = try await app.call(.post, "/v1/persons/\(personB)/status", token: towns.staffB,
                                           json: ["status": "moved_out", "effectiveDate": "2025-04-01", "destinationCode": "131016"])
            #expect(moved.status == .ok, "\(moved.text)")

            let personA = try await towns.personA(1)
            let first = try await towns.ask(1, onto: personA)
            #expect(first.status == .ok, "\(first.text)")
            let json = try first.json()
            #expect(json["status"] as? String == "found")
            let records = json["records"] as? [[String: Any]] ?? []
            #expect(records.map { $0["dose"] as? Int } == [1, 2], "recorded doses only, oldest first")
            #expect(records.first?["municipalityCode"] as? String == Self.b)
            #expect(records.first?["couponNumber"] as? String == "0000000001")
            #expect(records.first?["lotNumber"] as? String == "FA1234")
            #expect(json["copied"] as? Int == 2)
            for absent in ["personalNumber", "familyName", "birthDate", "addressNumber", "status_effective_on"] {
                #expect(records.first?[absent] == nil && json[absent] == nil, "\(absent) is not provided")
            }
            let again = try await towns.ask(1, onto: personA).json()
            #expect(again["status"] as? String == "found")
            #expect(again["copied"] as? Int == 0, "asking twice copies nothing new")
            #expect(try await app.count("vaccination", in: TestApp.a, where: "source = 'transfer'") == 2)

            let doses = try await app.doses(of: personA, token: towns.staffA)
            #expect(doses.count == 2)
            let origin = doses.first?["origin"] as? [String: Any]
            #expect(origin?["municipalityCode"] as? String == Self.b)
            #expect(origin?["couponNumber"] as? String == "0000000001")
            #expect(origin?["inquiryId"] as? String == json["inquiryId"] as? String, "the copy names the inquiry that brought it")
            #expect(doses.first?["source"] as? String == "transfer")
            #expect(try await app.call(.get, "/v1/persons/\(personA)", token: towns.staffA).json()["nextDose"] as? Int == 3,
                    "the doses given in B count in A")
            let history = try await app.history(of: personA, token: towns.staffA)
            #expect(history.filter { $0["action"] as? String == "vaccination.transfer" }.count == 2)
            #expect(try await app.auditActions(in: TestApp.a).filter { $0 == "transfer.inquiry" }.count == 2)
            #expect(try await app.auditActions(in: TestApp.b).filter { $0 == "transfer.provision" }.count == 2)
        }
    }

    @Test func notFoundAndRefusedInquiriesWithProvisionRecordsOnBothSides() async throws {
        try await withTowns { towns in
            let app = towns.app
            let missing = try await towns.ask(99)
            #expect(missing.status == .ok, "\(missing.text)")
            #expect(try missing.json()["status"] as? String == "not_found")
            #expect((try missing.json()["records"] as? [Any])?.isEmpty == true)
            let found = try await towns.ask(2)
            #expect(try found.json()["status"] as? String == "found")
            #expect(try found.json()["copied"] as? Int == 0, "no person named, nothing copied")

            // Refused: one's own municipality, an unprovisioned one, a bad check digit, a foreign person.
            let own = try await towns.ask(1, of: "131016")
            #expect(own.status == .unprocessableContent)
            #expect(own.text.contains("previousMunicipalityCode"))
            let unprovisioned = try MunicipalityCode.valid("01202")
            let elsewhere = try await towns.ask(1, of: unprovisioned)
            #expect(elsewhere.status == .unprocessableContent, "\(elsewhere.text)")
            #expect(elsewhere.text.contains("previousMunicipalityCode"))
            var badNumber = File.individualNumber(1)
            badNumber = String(badNumber.dropLast()) + String((Int(String(badNumber.last!))! + 1) % 10)
            let bad = try await app.call(.post, "/v1/transfer-inquiries", token: towns.staffA,
                                         json: ["previousMunicipalityCode": Self.b, "personalNumber": badNumber])
            #expect(bad.status == .unprocessableContent)
            #expect(bad.text.contains("personalNumber") && bad.text.contains("check_digit"))
            #expect(!bad.text.contains(badNumber), "the problem never quotes the number")
            let personB = try #require(((try await app.call(.get, "/v1/persons?addressNumber=A-00001", token: towns.staffB).json()["persons"]
                as? [[String: Any]])?.first?["personId"]) as? String)
            let foreign = try await towns.ask(1, onto: personB)
            #expect(foreign.status == .unprocessableContent)
            #expect(foreign.text.contains("personId"))
            #expect(try await app.count("vaccination", in: TestApp.a, where: "source = 'transfer'") == 0, "refusals copy nothing")

            // Both sides see the two answered inquiries, and only those.
            let inbound = try await app.call(.get, "/v1/provision-records?direction=inbound", token: towns.staffB).json()
            let inRecords = inbound["records"] as? [[String: Any]] ?? []
            #expect(inRecords.map { $0["status"] as? String } == ["found", "not_found"], "newest first")
            #expect(inRecords.allSatisfy { $0["requesterCode"] as? String == "131016" && $0["userId"] as? String == "a.staff" })
            #expect(inRecords.first?["records"] as? Int == 1)
            let outbound = try await app.call(.get, "/v1/provision-records?direction=outbound&limit=1", token: towns.staffA).json()
            let outRecords = outbound["records"] as? [[String: Any]] ?? []
            #expect(outRecords.count == 1)
            let next = try #require(outbound["nextAfter"] as? String)
            let second = try await app.call(.get, "/v1/provision-records?direction=outbound&limit=1&after=\(next)", token: towns.staffA).json()
            #expect((second["records"] as? [[String: Any]])?.first?["status"] as? String == "not_found")
            #expect(second["nextAfter"] == nil)
            #expect((try await app.call(.get, "/v1/provision-records?direction=inbound", token: towns.staffA).json()["records"] as? [Any])?.isEmpty == true)
            let noDirection = try await app.call(.get, "/v1/provision-records", token: towns.staffA)
            #expect(noDirection.status == .unprocessableContent)

            // Operators see counts per day and pair, no user and no person.
            let seed = try #require(try await app.account("op.one", .operator, in: nil))
            let op = try await app.signIn("op.one", seed: seed)
            let counts = try await app.call(.get, "/v1/provision-records", token: op)
            #expect(counts.status == .ok, "\(counts.text)")
            let rows = try counts.json()["counts"] as? [[String: Any]] ?? []
            #expect(rows.count == 1)
            #expect(rows.first?["inquiries"] as? Int == 2 && rows.first?["found"] as? Int == 1)
            #expect(!counts.text.contains("a.staff"))
            let ask = try await app.call(.post, "/v1/transfer-inquiries", token: op,
                                         json: ["previousMunicipalityCode": Self.b, "personalNumber": File.individualNumber(1)])
            #expect(ask.status == .forbidden, "operators never ask for personal data")
        }
    }

    @Test func afterANotFoundNothingAnywhereHoldsTheNumberOrItsBlindIndex() async throws {
        let lines = LogLines()
        var logger = Logger(label: "vrs.capture") { _ in CapturingLogHandler(lines: lines) }
        logger.logLevel = .trace
        try await withTestStore { store in
            try await store.provision(TestApp.a, TestApp.b)
            let apps = buildApplications(configuration: ServerConfiguration(security: TestApp.security()), database: store.database,
                                         master: store.master, logger: logger)
            try await apps.lgwan.test(.router) { lgwan in
                try await apps.public.test(.router) { publicClient in
                    let app = TestApp(store: store, lgwan: lgwan, public: publicClient)
                    let staffA = try await app.staff("a.staff", in: TestApp.a)
                    let number = File.individualNumber(4242)
                    let answer = try await app.call(.post, "/v1/transfer-inquiries", token: staffA,
                                                    json: ["previousMunicipalityCode": Self.b, "personalNumber": number])
                    #expect(try answer.json()["status"] as? String == "not_found", "\(answer.text)")
                    #expect(lines.count > 0, "the capture saw the request's log lines")

                    // The index the server computed: B's index key over the number.
                    var wrapped: Data?
                    for try await bytes in try await store.admin.query(
                        "SELECT wrapped FROM vrs.municipality_key WHERE municipality_code = '011002' AND purpose = 'index'",
                        logger: store.logger).decode(Data.self) { wrapped = bytes }
                    let indexer = try BlindIndexer.unwrap(try #require(wrapped), municipality: TestApp.b, version: 1, master: store.master)
                    let hex = indexer.index(try IndividualNumber(number)).map { String(format: "%02x", $0) }.joined()
                    let forms = [number, number.utf8.map { String(format: "%02x", $0) }.joined(), hex,
                                 Data(hex: hex).base64EncodedString()]

                    let dump = try runTool(["pg_dump", "--no-password", "--data-only", store.testDatabase.adminURL.connectionString])
                    try #require(dump.status == 0, "pg_dump failed: \(dump.output.prefix(300))")
                    #expect(dump.output.contains("transfer.inquiry"), "the dump holds the inquiry's audit event")
                    #expect(dump.output.contains("not_found"))
                    for form in forms {
                        #expect(!dump.output.contains(form), "the dump holds a form of the number or its index")
                        #expect(!lines.all.contains { $0.contains(form) }, "a log line holds a form of the number or its index")
                    }
                }
            }
        }
    }

    /// A asking B while B asks A appends to both audit chains in both orders: the door takes the two
    /// chain heads in one order, so neither side deadlocks (40P01) and every inquiry is answered.
    @Test func municipalitiesAskingEachOtherAtOnceAllGetAnswers() async throws {
        try await withTowns { towns in
            let app = towns.app
            _ = try await InquiryGuardSettings.update({ $0.perMinute = 1000; $0.minInquiries = 1000 }, admin: app.store.admin, logger: app.store.logger)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for i in 0..<24 {
                    group.addTask {
                        i.isMultiple(of: 2)
                            ? try await towns.ask(1 + i % 5).status
                            : try await towns.ask(1 + i % 5, of: "131016", token: towns.staffB).status
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.count == 24)
            #expect(statuses.allSatisfy { $0 == .ok }, "\(statuses.map(\.code))")
            #expect(try await app.count("provision_record", in: TestApp.a) == 24, "12 asked, 12 provided")
            #expect(try await app.count("provision_record", in: TestApp.b) == 24)
        }
    }

    @Test func theRateLimitAndTheNotFoundLockWithItsAdminClearing() async throws {
        try await withTowns { towns in
            let app = towns.app
            let set = try await InquiryGuardSettings.update({ $0.perMinute = 3 }, admin: app.store.admin, logger: app.store.logger)
            #expect(set == InquiryGuardSettings(perMinute: 3, windowMinutes: 60, minInquiries: 20, maxNotFoundRatio: 0.5))
            // Minutes are the rate's windows: start early in one, so that the four requests share it.
            let second = Calendar.current.component(.second, from: Date())
            if second > 40 { try await Task.sleep(for: .seconds(61 - second)) }
            let minute = Calendar.current.component(.minute, from: Date())
            var statuses: [HTTPResponse.Status] = []
            var limited: TestResponse?
            for _ in 0..<4 {
                let response = try await towns.ask(2)
                statuses.append(response.status)
                limited = response
            }
            try #require(minute == Calendar.current.component(.minute, from: Date()), "the four requests straddled a minute")
            #expect(statuses == [.ok, .ok, .ok, .tooManyRequests])
            let refused = try #require(limited)
            #expect(refused.isProblem)
            #expect(Int(refused.headers[.retryAfter] ?? "") ?? 0 > 0, "Retry-After says when to ask again")

            _ = try await InquiryGuardSettings.update({ $0.perMinute = 1000; $0.minInquiries = 3 }, admin: app.store.admin, logger: app.store.logger)
            try await app.account("a.other", .staff, in: TestApp.a)
            let other = try await app.signIn("a.other")
            var answers: [[String: Any]] = []
            for seed in [901, 902, 903] { answers.append(try await towns.ask(seed, token: other).json()) }
            #expect(answers.map { $0["status"] as? String } == ["not_found", "not_found", "not_found"])
            #expect(answers.map { $0["inquiriesLocked"] as? Bool } == [false, false, true], "the third passes the threshold")
            let locked = try await towns.ask(1, token: other)
            #expect(locked.status.code == 423, "\(locked.text)")
            #expect(try await towns.ask(1).status == .ok, "another user of A is not locked")
            #expect(try await app.auditActions(in: TestApp.a).contains("transfer.inquiry_locked"))

            let byStaff = try await app.call(.post, "/v1/users/a.other/inquiry-unlock", token: towns.staffA)
            #expect(byStaff.status == .forbidden)
            try await app.account("a.admin", .admin, in: TestApp.a)
            let admin = try await app.signIn("a.admin")
            #expect(try await app.call(.post, "/v1/users/a.other/inquiry-unlock", token: admin).status == .noContent)
            #expect(try await app.call(.post, "/v1/users/a.other/inquiry-unlock", token: admin).status == .notFound)
            #expect(try await app.auditActions(in: TestApp.a).contains("transfer.inquiry_unlocked"))
            #expect(try await towns.ask(1, token: other).status == .ok, "cleared, the user may ask again")
        }
    }
}

extension MunicipalityCode {
    /// The six-digit code of a five-digit base, check digit computed.
    static func valid(_ base: String) throws -> String {
        base + String(MunicipalityCode.checkDigit(for: base.utf8.map { $0 - 48 }))
    }
}

extension Data {
    init(hex: String) {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        self.init(bytes)
    }
}

/// Log lines a test captured, rendered with their metadata.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
    var count: Int { all.count }
}

/// A log handler keeping every line in memory.
struct CapturingLogHandler: LogHandler {
    let lines: LogLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        lines.append("\(event.level) \(event.message) \(all) \(event.source)")
    }
}
