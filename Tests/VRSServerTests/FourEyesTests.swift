import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import Testing
import VRSDomain
import VRSServer
import VRSStore
import VRSTestSupport

/// An operator cannot become a municipal user alone (architecture.md §2): the first admin of an
/// empty municipality is the one account an operator creates alone; further admins and every reset
/// need a second operator, and the municipality's own audit chain shows each step.
@Suite("Operators and four-eyes account requests")
struct FourEyesTests {
    @Test func anOperatorAloneCreatesOnlyTheFirstAdminAndNeverLearnsAPasswordOfAMunicipalityWithData() async throws {
        try await TestApp.run { app in
            let seedOne = try await app.account("op.one", .operator, in: nil)
            let seedTwo = try await app.account("op.two", .operator, in: nil)
            try await app.account("a.admin", .admin, in: TestApp.a)
            let one = try await app.signIn("op.one", seed: seedOne)
            let adminA = try await app.signIn("a.admin")

            // B has no admin yet: created at once, password shown.
            let first = try await app.call(.post, "/v1/municipalities/011002/users", token: one,
                                           json: ["userId": "b.admin", "role": "admin", "displayName": "札幌 管理"])
            #expect(first.status == .created)
            #expect(try first.json()["initialPassword"] is String)
            // Operators do not create staff at all.
            #expect(try await app.call(.post, "/v1/municipalities/011002/users", token: one,
                                       json: ["userId": "b.staff", "role": "staff", "displayName": "職員"]).status == .forbidden)

            // A has an admin: a further admin and a reset become requests, and no password comes back.
            let further = try await app.call(.post, "/v1/municipalities/131016/users", token: one,
                                             json: ["userId": "a.admin2", "role": "admin", "displayName": "千代田 管理2"])
            #expect(further.status == .accepted)
            #expect(try further.json()["initialPassword"] == nil)
            let reset = try await app.call(.post, "/v1/users/a.admin/password-reset", token: one)
            #expect(reset.status == .accepted)
            #expect(try reset.json()["initialPassword"] == nil)
            let resetID = try #require(try reset.json()["id"] as? String)
            // Nothing changed yet: the admin's session still works, its password still signs in.
            #expect(try await app.call(.get, "/v1/sessions/current", token: adminA).status == .ok)
            #expect(try await app.accountExists("a.admin2") == false)

            // The requester cannot approve its own request.
            let own = try await app.call(.post, "/v1/account-requests/\(resetID)/approve", token: one)
            #expect(own.status == .forbidden)
            #expect(try own.json()["type"] as? String == "urn:vrs:problem:forbidden")

            // Another operator sees both requests, approves the reset, and gets the password once.
            let two = try await app.signIn("op.two", seed: seedTwo)
            let waiting = try await app.call(.get, "/v1/account-requests", token: two).json()["requests"] as? [[String: Any]] ?? []
            #expect(Set(waiting.compactMap { $0["userId"] as? String }) == ["a.admin2", "a.admin"])
            #expect(waiting.allSatisfy { $0["requestedBy"] as? String == "op.one" })
            let approved = try await app.call(.post, "/v1/account-requests/\(resetID)/approve", token: two)
            #expect(approved.status == .ok)
            let password = try #require(try approved.json()["initialPassword"] as? String)
            #expect(try await app.call(.post, "/v1/account-requests/\(resetID)/approve", token: two).status == .conflict)
            // The reset ended the admin's sessions; the one-time password opens one that must change it.
            #expect(try await app.call(.get, "/v1/sessions/current", token: adminA).status == .unauthorized)
            let renewed = try await app.signIn("a.admin", password: password)
            #expect(try await app.call(.post, "/v1/devices", token: renewed, json: ["label": "t"]).status == .forbidden)

            // A's chain shows what the operators did to its accounts.
            let actions = try await app.chain(TestApp.a).filter { $0.actorRole == "operator" }.map { "\($0.action) by \($0.actorID)" }
            #expect(actions.contains("account_request.create by op.one"))
            #expect(actions.contains("user.password.reset by op.two"))
            #expect(try await app.chain(TestApp.b).contains { $0.action == "user.create" && $0.actorID == "op.one" })
        }
    }

    @Test func theMunicipalitysAdminReadsTheOperatorsActionsInItsOwnAuditLog() async throws {
        try await TestApp.run { app in
            let seed = try await app.account("op.one", .operator, in: nil)
            try await app.account("a.admin", .admin, in: TestApp.a)
            try await app.account("a.staff", .staff, in: TestApp.a)
            let op = try await app.signIn("op.one", seed: seed)
            #expect(try await app.call(.post, "/v1/users/a.staff/lock", token: op).status == .ok)
            #expect(try await app.call(.post, "/v1/users/a.staff/unlock", token: op).status == .ok)
            let admin = try await app.signIn("a.admin")
            let events = try await app.call(.get, "/v1/audit-events", token: admin).json()["events"] as? [[String: Any]] ?? []
            let byOperator = events.filter { $0["actorRole"] as? String == "operator" }.compactMap { $0["action"] as? String }
            #expect(byOperator.sorted() == ["user.lock", "user.unlock"])
            // The central chain has them too, and the operator reads only that one.
            let central = try await app.call(.get, "/v1/audit-events", token: op).json()["events"] as? [[String: Any]] ?? []
            #expect(central.contains { $0["action"] as? String == "user.lock" && $0["targetId"] as? String == "a.staff" })
        }
    }

    @Test func anAdminManagesItsStaffButNotAnotherAdmin() async throws {
        try await TestApp.run { app in
            try await app.account("a.admin", .admin, in: TestApp.a)
            try await app.account("a.admin2", .admin, in: TestApp.a)
            try await app.account("a.staff", .staff, in: TestApp.a)
            let admin = try await app.signIn("a.admin")
            let other = try await app.signIn("a.admin2")
            #expect(try await app.call(.post, "/v1/users/a.admin2/password-reset", token: admin).status == .forbidden)
            #expect(try await app.call(.post, "/v1/users/a.admin2/lock", token: admin).status == .forbidden)
            #expect(try await app.call(.get, "/v1/sessions/current", token: other).status == .ok)
            let reset = try await app.call(.post, "/v1/users/a.staff/password-reset", token: admin)
            #expect(reset.status == .ok)
            #expect(try reset.json()["initialPassword"] is String)
        }
    }

    @Test func aTakenUserIDGetsTheSameAnswerWhereverItIsUsed() async throws {
        try await TestApp.run { app in
            try await app.account("a.admin", .admin, in: TestApp.a)
            try await app.account("a.staff", .staff, in: TestApp.a)
            try await app.account("b.staff", .staff, in: TestApp.b)
            try await app.account("op.one", .operator, in: nil)
            let admin = try await app.signIn("a.admin")
            var bodies: Set<String> = []
            for taken in ["a.staff", "b.staff", "op.one", "B.STAFF"] {
                let answer = try await app.call(.post, "/v1/users", token: admin, json: ["userId": taken, "role": "staff", "displayName": "職員"])
                #expect(answer.status == .conflict)
                #expect(!answer.text.contains("011002") && !answer.text.contains("札幌") && !answer.text.contains(taken))
                bodies.insert(try answer.json().filter { $0.key != "instance" }.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "&"))
            }
            #expect(bodies.count == 1, "the answers differ: \(bodies)")
        }
    }
}

/// One stored audit event, as a test reads it over the superuser pool.
struct ChainEntry {
    let action: String
    let actorID: String
    let actorRole: String
}

extension TestApp {
    /// The events of one chain, oldest first.
    func chain(_ code: MunicipalityCode) async throws -> [ChainEntry] {
        var entries: [ChainEntry] = []
        let rows = try await store.admin.query(
            "SELECT action, coalesce(actor_id, ''), actor_role FROM vrs.audit_event WHERE municipality_code = \(code) ORDER BY seq",
            logger: store.logger)
        for try await (action, actor, role) in rows.decode((String, String, String).self) {
            entries.append(ChainEntry(action: action, actorID: actor, actorRole: role))
        }
        return entries
    }

    /// Whether an account exists, checked as the superuser.
    func accountExists(_ userID: String) async throws -> Bool {
        for try await n in try await store.admin.query("SELECT count(*)::int FROM vrs.account WHERE user_id = \(userID)", logger: store.logger)
            .decode(Int.self) { return n > 0 }
        return false
    }
}
