import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import VRSStore
import VRSTestSupport

/// The README's start command on a fresh data directory: the embedded cluster is created, both
/// listeners answer, and SIGTERM leaves no postgres process behind.
@Suite("vrs serve on the embedded default", .serialized)
struct ServeCommandTests {
    @Test func serveStartsBothListenersAndStopsItsCluster() async throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("vrs").path
        try #require(FileManager.default.isExecutableFile(atPath: binary), "vrs not built at \(binary)")
        let dataDirectory = "/tmp/vrs-serve-test-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }

        let outputPath = dataDirectory + ".out"
        defer { unlink(outputPath) }
        let pid = try ChildProcess.spawn(
            [binary, "serve", "--data-dir", dataDirectory, "--lgwan-port", "0", "--public-port", "0", "--log-level", "warning"],
            outputPath: outputPath)

        var listeners: [String: String] = [:]
        var output = ""
        let deadline = ContinuousClock.now + .seconds(120)
        while listeners.count < 2 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
            output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            for line in output.split(separator: "\n") {
                guard line.hasPrefix("vrs: "), let range = line.range(of: " listener on ") else { continue }
                listeners[String(line[line.index(line.startIndex, offsetBy: 5)..<range.lowerBound])] = String(line[range.upperBound...])
            }
        }
        guard listeners.count == 2 else {
            kill(pid, SIGKILL)
            _ = ChildProcess.wait(pid)
            Issue.record("listeners not announced: \(output)")
            return
        }
        for (_, base) in listeners {
            #expect(try await status(of: base + "/healthz") == 200)
            #expect(try await status(of: base + "/readyz") == 200)
        }
        #expect(try await status(of: listeners["lgwan"]! + "/no-such-route") == 404)

        kill(pid, SIGTERM)
        let exitStatus = ChildProcess.wait(pid)
        output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        #expect(exitStatus == 0, "exit \(exitStatus): \(output)")
        #expect(output.contains("vrs: stopped"))
        // The audit checkpointer wrote its first line (at start) into the embedded default file.
        let checkpoints = (try? String(contentsOfFile: dataDirectory + "/audit-checkpoints.jsonl", encoding: .utf8)) ?? ""
        #expect(checkpoints.hasPrefix("{\"heads\":[") && checkpoints.contains("\"previous\":null"), "checkpoint file: \(checkpoints)")
        let leftovers = try runTool(["pgrep", "-f", dataDirectory + "/pgdata"])
        #expect(leftovers.status == 1, "postgres still running: \(leftovers.output)")
    }

    private func status(of url: String) async throws -> Int {
        let (_, response) = try await URLSession.shared.data(from: URL(string: url)!)
        return (response as! HTTPURLResponse).statusCode
    }
}

