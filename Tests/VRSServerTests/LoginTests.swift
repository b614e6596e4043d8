import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import Testing
import VRSServer
import VRSStore
import VRSTestSupport

@Suite("Signing in, sessions and locks")
struct LoginTests {
    @Test func unknownUserWrongPasswordAndWrongCodeGetTheSameAnswer() async throws {
        try await TestApp.run { app in
            let seed = try await app.account("op.one", .operator, in: nil)
            try await app.account("a.staff", .staff, in: TestApp.a)
            let unknown = try await app.call(.post, "/v1/sessions", json: ["userId": "nobody", "password": TestApp.password])
            let wrongPassword = try await app.call(.post, "/v1/sessions", json: ["userId": "a.staff", "password": "not it at all"])
            let noCode = try await app.call(.post, "/v1/sessions", json: ["userId": "op.one", "password": TestApp.password])
            let wrongCode = try await app.call(.post, "/v1/sessions", json: ["userId": "op.one", "password": TestApp.password, "otp": "000000"])
            let answers = [unknown, wrongPassword, noCode, wrongCode]
            #expect(answers.allSatisfy { $0.status == .unauthorized && $0.isProblem })
            let bodies = Set(try answers.map { answer in
                try answer.json().filter { $0.key != "instance" }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
            })
            #expect(bodies.count == 1, "the answers differ: \(bodies)")
            #expect(try await app.signIn("op.one", seed: seed).hasPrefix("vrss_"))
        }
    }

    @Test func fiveFailuresLockTheAccountEvenForTheRightPasswordAndAreAudited() async throws {
        try await TestApp.run { app in
            try await app.account("a.staff", .staff, in: TestApp.a)
            let session = try await app.signIn("a.staff")
            for _ in 1...5 {
                #expect(try await app.call(.post, "/v1/sessions", json: ["userId": "a.staff", "password": "wrong password"]).status == .unauthorized)
            }
            #expect(try await app.call(.post, "/v1/sessions", json: ["userId": "a.staff", "password": TestApp.password]).status == .unauthorized)
            // A failure lock ends no session: someone else typing wrong passwords cannot throw the user out.
            #expect(try await app.call(.get, "/v1/sessions/current", token: session).status == .ok)
            let actions = try await auditTrail(app, chain: "131016")
            #expect(actions.filter { $0 == "session.create/failure" }.count == 5)
            #expect(actions.contains("user.lock/success"))
            #expect(actions.last == "session.create/denied")
            let metrics = try await app.call(.get, "/metrics").text
            #expect(metrics.contains("vrs_auth_account_locks_total"))
            #expect(metrics.contains("vrs_auth_login_failures_total"))
        }
    }

    @Test func anAdminUnlockLiftsAFailureLock() async throws {
        try await TestApp.run { app in
            try await app.account("a.admin", .admin, in: TestApp.a)
            try await app.account("a.staff", .staff, in: TestApp.a)
            let admin = try await app.signIn("a.admin")
            for _ in 1...5 { _ = try await app.call(.post, "/v1/sessions", json: ["userId": "a.staff", "password": "wrong password"]) }
            #expect(try await app.call(.post, "/v1/users/a.staff/unlock", token: admin).status == .ok)
            #expect(try await app.signIn("a.staff").hasPrefix("vrss_"))
        }
    }

    @Test func aTOTPCodeIsAcceptedOnce() async throws {
        try await TestApp.run { app in
            let seed = try #require(try await app.account("op.one", .operator, in: nil))
            let code = OperatorEnrolment.currentCode(base32Seed: seed)
            let first = try await app.call(.post, "/v1/sessions", json: ["userId": "op.one", "password": TestApp.password, "otp": code])
            #expect(first.status == .created)
            let replay = try await app.call(.post, "/v1/sessions", json: ["userId": "op.one", "password": TestApp.password, "otp": code])
            #expect(replay.status == .unauthorized)
        }
    }

    @Test func anInitialPasswordMustBeChangedBeforeAnythingElse() async throws {
        try await TestApp.run { app in
            try await app.account("a.admin", .admin, in: TestApp.a, mustChange: true)
            let token = try await app.signIn("a.admin")
            let blocked = try await app.call(.post, "/v1/devices", token: token, json: ["label": "t"])
            #expect(blocked.status == .forbidden)
            #expect(try blocked.json()["type"] as? String == "urn:vrs:problem:password-change-required")
            #expect(try await app.call(.get, "/v1/sessions/current", token: token).status == .ok)
            let short = try await app.call(.put, "/v1/users/me/password", token: token, json: ["currentPassword": TestApp.password, "newPassword": "short"])
            #expect(short.status == .unprocessableContent)
            #expect(try (short.json()["errors"] as? [[String: Any]])?.first?["field"] as? String == "newPassword")
            let changed = try await app.call(
                .put, "/v1/users/me/password", token: token, json: ["currentPassword": TestApp.password, "newPassword": "a much longer passphrase"])
            #expect(changed.status == .noContent)
            // The change ended every session; the new password opens a new one with full rights.
            #expect(try await app.call(.get, "/v1/sessions/current", token: token).status == .unauthorized)
            let fresh = try await app.signIn("a.admin", password: "a much longer passphrase")
            #expect(try await app.call(.post, "/v1/devices", token: fresh, json: ["label": "t"]).status == .created)
        }
    }

    @Test func signingOutAndIdlingEndSessions() async throws {
        try await TestApp.run { app in
            try await app.account("a.staff", .staff, in: TestApp.a)
            let first = try await app.signIn("a.staff")
            #expect(try await app.call(.delete, "/v1/sessions/current", token: first).status == .noContent)
            #expect(try await app.call(.get, "/v1/sessions/current", token: first).status == .unauthorized)
            let second = try await app.signIn("a.staff")
            #expect(try await app.call(.get, "/v1/sessions/current", token: second).status == .ok)
            // Thirty-one idle minutes pass (the default idle timeout is thirty): the session is over.
            try await app.store.admin.query(
                "UPDATE vrs.session SET last_seen_at = now() - interval '31 minutes' WHERE revoked_at IS NULL", logger: app.store.logger)
            #expect(try await app.call(.get, "/v1/sessions/current", token: second).status == .unauthorized)
        }
    }

    @Test func tokensAreStoredOnlyAsHashes() async throws {
        try await TestApp.run { app in
            try await app.account("a.admin", .admin, in: TestApp.a)
            let session = try await app.signIn("a.admin")
            let device = try await app.call(.post, "/v1/devices", token: session, json: ["label": "t"]).json()["token"] as! String
            let dump = try runTool(["pg_dump", "--data-only", app.store.testDatabase.adminURL.connectionString])
            #expect(dump.status == 0)
            #expect(!dump.output.contains(session) && !dump.output.contains(String(session.dropFirst(5))))
            #expect(!dump.output.contains(device) && !dump.output.contains(String(device.dropFirst(5))))
            #expect(session.count >= 5 + 43)  // 256 bits in base64url
        }
    }

    private func auditTrail(_ app: TestApp, chain: String) async throws -> [String] {
        var trail: [String] = []
        let rows = try await app.store.admin.query(
            "SELECT action || '/' || outcome FROM vrs.audit_event WHERE municipality_code = \(chain) ORDER BY seq", logger: app.store.logger)
        for try await entry in rows.decode(String.self) { trail.append(entry) }
        return trail
    }
}
