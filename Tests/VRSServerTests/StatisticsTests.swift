import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import Testing
import VRSDomain
import VRSStore
import VRSTestSupport
@testable import VRSServer

/// The statistics as their readers get them: counts that follow the doses tablets send, in the
/// open-data shape; a prefecture's viewer sees its prefecture and no personal route; small
/// municipality-level cells are suppressed; malformed questions name their parameter.
@Suite("Statistics")
struct StatisticsTests {
    typealias File = RegistrationFile

    /// A viewer created by `operator` through the API, its initial password changed, signed in.
    static func viewer(_ userID: String, prefecture: String?, app: TestApp, operator token: String) async throws -> String {
        let created = try await app.call(.post, "/v1/viewers", token: token,
                                         json: ["userId": userID, "displayName": "閲覧者", "prefecture": prefecture])
        try #require(created.status == .created, "\(created.text)")
        let initial = try #require(try created.json()["initialPassword"] as? String)
        let first = try await app.signIn(userID, password: initial)
        let changed = try await app.call(.put, "/v1/users/me/password", token: first,
                                         json: ["currentPassword": initial, "newPassword": TestApp.password])
        try #require(changed.status == .noContent || changed.status == .ok, "\(changed.text)")
        return try await app.signIn(userID)
    }

    /// The NDJSON lines of an answer.
    static func lines(_ response: TestResponse) throws -> [[String: Any]] {
        try response.text.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    /// A: 12 people with a first dose each; B (札幌市, prefecture 01): 3 people with one each, all from B's tablet.
    func withCounts(_ body: @escaping @Sendable (TabletVaccinationTests.Site, _ op: String, _ adminB: String) async throws -> Void) async throws {
        try await TabletVaccinationTests().withSite(people: 12) { site in
            let app = site.app
            let adminB = try await app.signIn("b.admin")
            let upload = try await app.upload("/v1/persons/import", token: adminB, csv: File.file(3, municipality: "011002"))
            try #require(upload.status == .ok, "\(upload.text)")
            for n in 1...12 { #expect(try await site.send(TabletVaccinationTests.code(n), on: "2024-10-01").result == "recorded") }
            for n in 1...3 {
                #expect(try await site.send(TabletVaccinationTests.code(n, municipality: "011002"), on: "2024-10-02").result == "recorded")
            }
            let seed = try await app.account("op.stats", .operator, in: nil)
            try await body(site, try await app.signIn("op.stats", seed: seed), adminB)
        }
    }

    @Test func theCountsFollowTheDosesInTheOpenDataShape() async throws {
        try await withCounts { site, op, _ in
            let answer = try await site.app.call(.get, "/v1/statistics/vaccinations", token: op)
            #expect(answer.status == .ok && answer.headers[.contentType] == "application/x-ndjson")
            let lines = try Self.lines(answer)
            #expect(lines.count == 2)
            #expect(answer.text.hasPrefix("{\"date\":\"2024-10-01\",\"prefecture\":\"13\",\"gender\":\"M\",\"age\":\"-64\",\"medical_worker\":false,\"status\":1,\"count\":12}\n"),
                    "the open data's keys, in its order")
            #expect(lines.last?["prefecture"] as? String == "01" && lines.last?["count"] as? Int == 3 && lines.last?["date"] as? String == "2024-10-02")
            let oneDay = try Self.lines(try await site.app.call(.get, "/v1/statistics/vaccinations?from=2024-10-02&to=2024-10-02", token: op))
            #expect(oneDay.map { $0["prefecture"] as? String } == ["01"], "from and to bound the days")
            // A second dose for one of A's people is counted at once, under dose 2.
            #expect(try await site.send(TabletVaccinationTests.code(1, dose: 2), on: "2024-11-01").result == "recorded")
            let after = try Self.lines(try await site.app.call(.get, "/v1/statistics/vaccinations?prefecture=13", token: op))
            #expect(after.map { "\($0["date"]!)/\($0["status"]!)/\($0["count"]!)" } == ["2024-10-01/1/12", "2024-11-01/2/1"])

            let csv = try await site.app.lgwan.execute(uri: "/v1/statistics/vaccinations", method: .get,
                                                 headers: [.authorization: "Bearer \(op)", .accept: "text/csv"], body: nil)
            #expect(csv.headers[.contentType]?.hasPrefix("text/csv") == true)
            #expect(csv.text.split(separator: "\r\n").first == "date,prefecture,gender,age,medical_worker,status,count")
            #expect(csv.text.contains("2024-10-01,13,M,-64,false,1,12\r\n"))
        }
    }

    @Test func aPrefecturesViewerSeesItsPrefectureAndNoPersonalRoute() async throws {
        try await withCounts { site, op, _ in
            let app = site.app
            let viewer = try await Self.viewer("view.tokyo", prefecture: "13", app: app, operator: op)
            let answer = try await app.call(.get, "/v1/statistics/vaccinations", token: viewer)
            #expect(answer.headers[HTTPField.Name("VRS-Scope")!] == "prefecture=13", "the answer says whose counts it holds")
            let mine = try Self.lines(answer)
            #expect(Set(mine.map { $0["prefecture"] as? String }) == ["13"], "prefecture 13 only")
            #expect(mine.first?["count"] as? Int == 12)
            let other = try await app.call(.get, "/v1/statistics/vaccinations?prefecture=01", token: viewer)
            #expect(other.status == .forbidden && other.isProblem)
            let byTown = try Self.lines(try await app.call(.get, "/v1/statistics/vaccinations?by=municipality", token: viewer))
            #expect(byTown.map { "\($0["municipality"]!)/\($0["count"]!)" } == ["131016/12"], "A's cell of 12 is shown (not under 10)")

            let person = try await site.personID("A-00001")
            for path in ["/v1/persons?addressNumber=A-00001", "/v1/persons/\(person)", "/v1/persons/\(person)/history",
                         "/v1/exports/ledger", "/v1/vaccinations/pending", "/v1/audit-events", "/v1/provision-records?direction=inbound",
                         "/v1/users", "/v1/municipalities"] {
                let response = try await app.call(.get, path, token: viewer)
                #expect(response.status == .forbidden, "\(path) answers a viewer \(response.status)")
            }
            let national = try await Self.viewer("view.japan", prefecture: nil, app: app, operator: op)
            let all = try Self.lines(try await app.call(.get, "/v1/statistics/vaccinations", token: national))
            #expect(Set(all.map { $0["prefecture"] as? String }) == ["13", "01"], "a national viewer sees every prefecture")
            let audited = try await app.store.admin.query(
                "SELECT count(*)::int FROM vrs.audit_event WHERE municipality_code = '000000' AND action = 'statistics.read' AND actor_id = 'view.tokyo'",
                logger: app.store.logger)
            for try await count in audited.decode(Int.self) { #expect(count == 2, "each answer the viewer got is audited") }
            // An operator locks the viewer (incident response): its session ends at once.
            #expect(try await app.call(.post, "/v1/users/view.tokyo/lock", token: op).status == .ok)
            #expect(try await app.call(.get, "/v1/statistics/vaccinations", token: viewer).status == .unauthorized)
            let listed = try #require(try await app.call(.get, "/v1/viewers", token: op).json()["viewers"] as? [[String: Any]])
            #expect(listed.map { "\($0["userId"] as? String ?? "")/\($0["prefecture"] as? String ?? "nation")/\($0["locked"] as? Bool == true)" }
                    == ["view.japan/nation/false", "view.tokyo/13/true"],
                    "the operators' list gives each viewer's scope and state")
        }
    }

    @Test func smallMunicipalityCellsAreSuppressed() async throws {
        try await withCounts { site, op, adminB in
            let own = try Self.lines(try await site.app.call(.get, "/v1/statistics/vaccinations", token: adminB))
            #expect(own.count == 1)
            #expect(own.first?["municipality"] as? String == "011002" && own.first?["count"] is NSNull,
                    "B's 3 doses are under 10: the cell is there, its count is not")
            let ownA = try Self.lines(try await site.app.call(.get, "/v1/statistics/vaccinations", token: site.staffA))
            #expect(ownA.map { $0["count"] as? Int } == [12])
            let byTown = try Self.lines(try await site.app.call(.get, "/v1/statistics/vaccinations?by=municipality", token: op))
            #expect(byTown.map { "\($0["municipality"]!)/\($0["count"]!)" } == ["131016/12", "011002/<null>"])
            let prefecture = try await site.app.call(.get, "/v1/statistics/vaccinations?by=prefecture", token: adminB)
            #expect(prefecture.status == .forbidden, "a municipality sees its own counts only")
        }
    }

    @Test func malformedQuestionsNameTheirParameter() async throws {
        try await withCounts { site, op, _ in
            for (query, field) in [("from=2024-13-01", "from"), ("to=yesterday", "to"), ("from=2024-10-02&to=2024-10-01", "to"),
                                   ("prefecture=48", "prefecture"), ("prefecture=1", "prefecture"), ("by=city", "by")] {
                let response = try await site.app.call(.get, "/v1/statistics/vaccinations?\(query)", token: op)
                #expect(response.status == .unprocessableContent && response.isProblem, "\(query): \(response.status)")
                let fields = (try response.json()["errors"] as? [[String: Any]])?.compactMap { $0["field"] as? String }
                #expect(fields == [field], "\(query) names \(field)")
            }
            let viewer = try await site.app.call(.post, "/v1/viewers", token: op, json: ["userId": "v", "displayName": "x", "prefecture": "99"])
            #expect(viewer.status == .unprocessableContent)
            #expect((try viewer.json()["errors"] as? [[String: Any]])?.compactMap { $0["field"] as? String } == ["userId", "prefecture"])
        }
    }
}
