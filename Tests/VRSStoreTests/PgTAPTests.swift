import Foundation
import Testing
import VRSStore
import VRSTestSupport

/// Runs every pgTAP file in `sql/tests/` against a fresh clone of the migrated database: the
/// isolation proofs at the SQL level, beside the Swift ones.
@Suite("pgTAP proofs in sql/tests")
struct PgTAPTests {
    static let files: [String] = {
        let directory = SQLFiles.directory + "/tests"
        return ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".sql") }.sorted()
    }()

    @Test func thereAreProofsToRun() {
        #expect(Self.files.count >= 4)
    }

    @Test(arguments: files)
    func proof(_ file: String) async throws {
        let database = try await TestCluster.shared.makeDatabase()
        let run = database.hasPgTAP
            ? try runTool([
                "psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", database.adminURL.connectionString,
                "-f", SQLFiles.directory + "/tests/" + file,
            ])
            : (status: -1, output: "")
        try await database.drop()
        try #require(database.hasPgTAP, "pgTAP is not installed (apt-get install postgresql-15-pgtap)")
        let report = TAPReport(run.output)
        #expect(run.status == 0, "psql exited \(run.status): \(run.output.suffix(800))")
        #expect(report.planned != nil && report.planned == report.passed + report.failed.count, "plan \(report.planned ?? -1), ran \(report.passed + report.failed.count)")
        #expect(report.failed.isEmpty, "failed: \(report.failed.joined(separator: "; "))")
        #expect(report.passed > 0)
    }
}

/// The lines of a TAP stream that matter: the plan and each test's outcome.
struct TAPReport {
    var planned: Int?
    var passed = 0
    var failed: [String] = []

    init(_ output: String) {
        for line in output.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if line.hasPrefix("1.."), let n = Int(line.dropFirst(3)) { planned = n }
            else if line.hasPrefix("not ok") { failed.append(line) }
            else if line.hasPrefix("ok ") { passed += 1 }
        }
    }
}
