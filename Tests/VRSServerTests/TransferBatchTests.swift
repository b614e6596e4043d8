import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PostgresNIO
import Synchronization
import Testing
import VRSDomain
import VRSServer
import VRSStore
import VRSTestSupport

/// Batch inquiries: an all-or-nothing upload, a worker that survives restarts and shares the
/// database with other workers, the results as JSON and CSV, and the purge after retention.
@Suite("Batch transfer inquiries")
struct TransferBatchTests {
    typealias File = RegistrationFile

    /// Persons 1–5 of A, each asked of B (1 and 2 have doses there), and number 99, found nowhere.
    func file(_ towns: TransferTests.Towns, header: String = "personal_number,previous_municipality_code,person_id") async throws -> String {
        var lines = [header]
        for i in 1...5 { lines.append("\(File.individualNumber(i)),011002,\(try await towns.personA(i))") }
        lines.append("\(File.individualNumber(99)),011002,")
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    func work(_ app: TestApp, chunk: Int = 2) -> TransferBatchWork {
        TransferBatchWork(database: app.store.database, keyRing: app.store.keyRing, lease: .seconds(30), chunkSize: chunk)
    }

    func upload(_ towns: TransferTests.Towns, _ csv: String) async throws -> String {
        let response = try await towns.app.upload("/v1/transfer-inquiries/batches", token: towns.staffA, csv: csv)
        try #require(response.status == .accepted, "\(response.text)")
        return try #require(try response.json()["batchId"] as? String)
    }

    @Test func aBadLineRefusesTheWholeFileNamingTheLine() async throws {
        try await TransferTests().withTowns { towns in
            var csv = try await file(towns, header: "個人番号,転出元市区町村コード,個人ID")
            csv += "123456789012,011002,\r\n" + "\(File.individualNumber(7)),131016,\r\n" + "\(File.individualNumber(8)),011002,not-a-uuid\r\n"
            let response = try await towns.app.upload("/v1/transfer-inquiries/batches", token: towns.staffA,
                                                      bytes: RegistrationFile.cp932(csv), contentType: "text/csv; charset=shift_jis")
            #expect(response.status == .unprocessableContent, "\(response.text)")
            let errors = try response.json()["errors"] as? [[String: Any]] ?? []
            #expect(errors.map { $0["line"] as? Int } == [8, 9, 10])
            #expect(errors.map { $0["column"] as? String } == ["個人番号", "転出元市区町村コード", "個人ID"])
            #expect(!response.text.contains("123456789012"))
            #expect(try await towns.app.count("transfer_batch_line", in: TestApp.a) == 0, "nothing of the file was kept")
            let unprovisioned = "\(File.individualNumber(1)),\(try MunicipalityCode.valid("01202")),\r\n"
            let refused = try await towns.app.upload("/v1/transfer-inquiries/batches", token: towns.staffA,
                                                     csv: "personal_number,previous_municipality_code\r\n" + unprovisioned)
            #expect(refused.status == .unprocessableContent)
            #expect(try refused.json()["errors"].flatMap { ($0 as? [[String: Any]])?.first?["line"] as? Int } == 2)
        }
    }

    @Test func aBatchSurvivesAStopAndALostWorkerAndAnswersEveryLineOnce() async throws {
        try await TransferTests().withTowns { towns in
            let app = towns.app
            let id = try await upload(towns, try await file(towns))
            let pending = try await app.call(.get, "/v1/transfer-inquiries/batches/\(id)", token: towns.staffA).json()
            #expect(pending["status"] as? String == "pending")
            #expect(pending["lines"] as? Int == 6)
            #expect(pending["results"] == nil, "no answers before the batch is done")

            // A graceful stop after the first chunk gives the lease back.
            let first = work(app)
            let claimed = try #require(try await first.claim())
            #expect(try await work(app).claim() == nil, "a leased batch is nobody else's")
            let stops = Counter()
            #expect(try await first.run(claimed, stop: { stops.next() > 1 }) == .released)
            #expect(try await answered(app, id) == 2)

            // A worker that dies holding the lease: once the lease lapses another takes the batch over.
            let crashed = work(app)
            let second = try #require(try await crashed.claim())
            #expect(try await crashed.answerChunk(of: second) == .answered(2))
            try await app.store.admin.query("UPDATE vrs.transfer_batch SET lease_until = now() - interval '1 second'", logger: app.store.logger)
            // Two services drain at once: every line is still answered exactly once.
            async let one = work(app).drain()
            async let two = work(app).drain()
            #expect(try await one + two == 1)
            #expect(try await crashed.answerChunk(of: second) == .leaseLost, "the old worker's lease is gone")

            #expect(try await answered(app, id) == 6)
            #expect(try await app.count("provision_record", in: TestApp.a, where: "batch_id = '\(id)'") == 6, "one inquiry per line")
            #expect(try await app.count("provision_record", in: TestApp.b, where: "batch_id = '\(id)'") == 6)
            #expect(try await app.count("transfer_batch_line", in: TestApp.a, where: "individual_number_cipher IS NOT NULL") == 0,
                    "the uploaded numbers are deleted as they are answered")
            #expect(try await app.count("vaccination", in: TestApp.a, where: "source = 'transfer'") == 3)

            let done = try await app.call(.get, "/v1/transfer-inquiries/batches/\(id)", token: towns.staffA).json()
            #expect(done["status"] as? String == "done")
            #expect(done["found"] as? Int == 5)
            let results = done["results"] as? [[String: Any]] ?? []
            #expect(results.map { $0["line"] as? Int } == [2, 3, 4, 5, 6, 7], "lines of the file, header on line 1")
            #expect(results.map { $0["status"] as? String } == ["found", "found", "found", "found", "found", "not_found"])
            #expect((results.first?["records"] as? [Any])?.count == 2)

            let headers: HTTPFields = [.authorization: "Bearer \(towns.staffA)", .accept: "text/csv"]
            let csv = try await app.lgwan.execute(uri: "/v1/transfer-inquiries/batches/\(id)?charset=shift_jis", method: .get, headers: headers)
            #expect(csv.status == .ok)
            #expect(csv.headers[.contentType]?.contains("Shift_JIS") == true)
            let text = String(decoding: csv.body.readableBytesView, as: UTF8.self)
            #expect(!text.contains(File.individualNumber(1)), "the result file holds no number")
            let rows = Array(csv.body.readableBytesView).split(separator: 0x0A)
            let expected = 8   // the header, two doses of line 2, one of line 3, and one row each for lines 4–7
            #expect(rows.count == expected)
        }
    }

    @Test func anExpiredBatchIsPurgedAndAnswersGone() async throws {
        try await TransferTests().withTowns { towns in
            let app = towns.app
            let id = try await upload(towns, try await file(towns))
            #expect(try await work(app).purge() == 0, "nothing expires early")
            try await app.store.admin.query("UPDATE vrs.transfer_batch SET expires_at = now() - interval '1 second'", logger: app.store.logger)
            #expect(try await work(app).claim() == nil, "an expired batch is not worked")
            #expect(try await work(app).purge() == 1)
            #expect(try await app.count("transfer_batch_line", in: TestApp.a) == 0)
            let gone = try await app.call(.get, "/v1/transfer-inquiries/batches/\(id)", token: towns.staffA)
            #expect(gone.status == .gone, "\(gone.text)")
            #expect(gone.isProblem)
            #expect(try await app.auditActions(in: TestApp.a).contains("transfer.batch_expired"))
            let other = try await app.call(.get, "/v1/transfer-inquiries/batches/\(id)", token: towns.staffB)
            #expect(other.status == .notFound, "another municipality's batch does not exist for B")
        }
    }

    func answered(_ app: TestApp, _ id: String) async throws -> Int {
        try await app.count("transfer_batch_line", in: TestApp.a, where: "batch_id = '\(id)' AND answered_at IS NOT NULL")
    }
}

/// Counts calls, for a stop condition.
final class Counter: Sendable {
    private let value = Mutex<Int>(0)
    func next() -> Int { value.withLock { $0 += 1; return $0 } }
}
