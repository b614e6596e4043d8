import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import Testing
import VRSServer
import VRSStore
import VRSTestSupport

@Suite("The tamper-evident audit log")
struct AuditTests {
    @Test func verificationPassesOnABusyLogAndNamesTheRowChangedBehindItsBack() async throws {
        try await TestApp.run { app in
            let seed = try await app.account("op.one", .operator, in: nil)
            try await app.account("a.admin", .admin, in: TestApp.a)
            try await app.account("b.admin", .admin, in: TestApp.b)
            let op = try await app.signIn("op.one", seed: seed)
            let adminA = try await app.signIn("a.admin")
            let adminB = try await app.signIn("b.admin")
            for i in 0..<8 {
                _ = try await app.call(.post, "/v1/users", token: adminA, json: ["userId": "a.user\(i)", "role": "staff", "displayName": "職員"])
                _ = try await app.call(.post, "/v1/users", token: adminB, json: ["userId": "b.user\(i)", "role": "staff", "displayName": "職員"])
                _ = try await app.call(.post, "/v1/sessions", json: ["userId": "a.user\(i)", "password": "wrong"])
                _ = try await app.call(.post, "/v1/users/a.user\(i)/lock", token: op)
            }
            let intact = try await AuditLog.verify(chain: nil, admin: app.store.admin, logger: app.store.logger)
            #expect(intact.allSatisfy { $0.brokenSeq == nil })
            // The host creating a.admin, its sign-in, 8 users created, 8 failed sign-ins, and the 8
            // operator locks, which land in the municipality's chain as well as the central one.
            #expect(intact.first { $0.chain == "131016" }?.events == 26)

            // A superuser edits one event directly (triggers off, as an attacker with full rights would).
            try await app.store.admin.withConnection { connection in
                try await connection.query("BEGIN", logger: app.store.logger)
                try await connection.query("ALTER TABLE vrs.audit_event_p131016 DISABLE TRIGGER USER", logger: app.store.logger)
                try await connection.query("UPDATE vrs.audit_event_p131016 SET outcome = 'success' WHERE seq = 7", logger: app.store.logger)
                try await connection.query("ALTER TABLE vrs.audit_event_p131016 ENABLE TRIGGER USER", logger: app.store.logger)
                try await connection.query("COMMIT", logger: app.store.logger)
            }
            let verdicts = try await AuditLog.verify(chain: nil, admin: app.store.admin, logger: app.store.logger)
            let broken = verdicts.filter { $0.brokenSeq != nil }
            #expect(broken.map(\.chain) == ["131016"])
            #expect(broken.first?.brokenSeq == 7)
        }
    }

    @Test func eachReaderSeesOnlyItsOwnChain() async throws {
        try await TestApp.run { app in
            let seed = try await app.account("op.one", .operator, in: nil)
            try await app.account("a.admin", .admin, in: TestApp.a)
            try await app.account("b.admin", .admin, in: TestApp.b)
            let op = try await app.signIn("op.one", seed: seed)
            let adminA = try await app.signIn("a.admin")
            let adminB = try await app.signIn("b.admin")
            _ = try await app.call(.post, "/v1/devices", token: adminA, json: ["label": "A の端末"])
            _ = try await app.call(.post, "/v1/users/a.admin/lock", token: op)
            func chains(_ token: String) async throws -> Set<String> {
                let events = try await app.call(.get, "/v1/audit-events", token: token).json()["events"] as? [[String: Any]] ?? []
                return Set(events.compactMap { $0["chain"] as? String })
            }
            #expect(try await chains(op) == ["000000"])
            #expect(try await chains(adminB) == ["011002"])
            let aEvents = try await app.call(.get, "/v1/audit-events?limit=50", token: try await app.signIn("b.admin")).json()
            #expect((aEvents["events"] as? [[String: Any]])?.contains { $0["action"] as? String == "device.create" } == false)
            // A's admin was locked by the operator, so A's chain is checked through the database.
            var aActions: [String] = []
            for try await action in try await app.store.admin.query(
                "SELECT action FROM vrs.audit_event WHERE municipality_code = '131016' ORDER BY seq", logger: app.store.logger).decode(String.self) {
                aActions.append(action)
            }
            #expect(aActions.contains("device.create"))
            #expect(try await app.call(.get, "/v1/audit-events", token: adminA).status == .unauthorized)
        }
    }
}
