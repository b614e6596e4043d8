import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PostgresNIO
import Testing
import VRSDomain
@testable import VRSServer
import VRSStore
import VRSTestSupport

@Suite("Cached token checks and their revocation")
struct TokenCacheTests {
    /// Two servers ("processes") on one database, each with its revocation listener running.
    func withTwoServers(_ body: @escaping @Sendable (TestApp, TestApp) async throws -> Void) async throws {
        try await withTestStore { store in
            try await store.provision(TestApp.a, TestApp.b)
            let configuration = ServerConfiguration(security: TestApp.security())
            let one = buildApplications(configuration: configuration, database: store.database, master: store.master, logger: store.logger)
            let two = buildApplications(configuration: configuration, database: store.database, master: store.master, logger: store.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await one.revocations.run() }
                group.addTask { try await two.revocations.run() }
                try await one.lgwan.test(.router) { lgwan1 in
                    try await one.public.test(.router) { public1 in
                        try await two.lgwan.test(.router) { lgwan2 in
                            try await two.public.test(.router) { public2 in
                                try await body(TestApp(store: store, lgwan: lgwan1, public: public1),
                                               TestApp(store: store, lgwan: lgwan2, public: public2))
                            }
                        }
                    }
                }
                group.cancelAll()
            }
        }
    }

    /// Asks until the answer is `status` (a notice crosses processes in milliseconds), at most 2 s.
    func eventually(_ status: HTTPResponse.Status, _ request: () async throws -> TestResponse) async throws -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        while clock.now - start < .seconds(2) {
            if try await request().status == status { return clock.now - start }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw TestFailure("still not \(status) after 2 s")
    }

    @Test func aCachedSessionIsServedWithoutTheDatabaseUntilItIsRevokedInAnotherProcess() async throws {
        try await withTwoServers { one, two in
            try await one.account("a.admin", .admin, in: TestApp.a)
            try await one.account("a.staff", .staff, in: TestApp.a)
            let staff = try await one.signIn("a.staff")
            let admin = try await one.signIn("a.admin")
            // Wait until the second server is listening, then let it check and cache the token.
            _ = try await eventually(.ok) { try await two.call(.get, "/v1/sessions/current", token: staff) }
            // A cached check answers even while the session row cannot be read: proof it did not ask.
            let logger = one.store.logger
            let answered = try await one.store.admin.withConnection { connection in
                try await connection.query("BEGIN", logger: logger)
                try await connection.query("LOCK TABLE vrs.session IN ACCESS EXCLUSIVE MODE", logger: logger)
                let status = try await withThrowingTaskGroup(of: HTTPResponse.Status?.self) { group in
                    group.addTask { try await two.call(.get, "/v1/sessions/current", token: staff).status }
                    group.addTask { try await Task.sleep(for: .seconds(2)); return nil }
                    let first = try await group.next() ?? nil
                    group.cancelAll()
                    return first
                }
                try await connection.query("ROLLBACK", logger: logger)
                return status
            }
            #expect(answered == .ok, "answered from the cache while the session table was locked")

            // The admin locks the staff account on the FIRST server; the second drops the entry on the notice.
            #expect(try await one.call(.post, "/v1/users/a.staff/lock", token: admin).status == .ok)
            let took = try await eventually(.unauthorized) { try await two.call(.get, "/v1/sessions/current", token: staff) }
            #expect(took < .milliseconds(500), "revocation crossed processes in \(took)")
        }
    }

    @Test func aChangeInThisProcessHoldsForTheVeryNextRequest() async throws {
        try await withTwoServers { one, _ in
            try await one.account("a.admin", .admin, in: TestApp.a)
            let admin = try await one.signIn("a.admin")
            _ = try await eventually(.ok) { try await one.call(.get, "/v1/sessions/current", token: admin) }
            #expect(try await one.call(.delete, "/v1/sessions/current", token: admin).status == .noContent)
            #expect(try await one.call(.get, "/v1/sessions/current", token: admin).status == .unauthorized)

            let again = try await one.signIn("a.admin")
            let device = try await one.call(.post, "/v1/devices", token: again, json: ["label": "会場"]).json()
            let token = try #require(device["token"] as? String)
            #expect(try await one.call(.get, "/v1/tablet/device", token: token, on: \.public).status == .ok)
            #expect(try await one.call(.delete, "/v1/devices/\(device["deviceId"] as! String)", token: again).status == .noContent)
            #expect(try await one.call(.get, "/v1/tablet/device", token: token, on: \.public).status == .unauthorized)
        }
    }

    @Test func noticesDropWhatTheyNameAndNothingElse() {
        let cache = TokenCache(lifetime: .seconds(10))
        let user = SignedInUser(userID: "a.staff", role: .staff, municipality: TestApp.a, mustChangePassword: false,
                                expiresAt: Date().addingTimeInterval(3600), tokenHash: Data(repeating: 1, count: 32))
        cache.remember(.user(user), for: user.tokenHash, checkedSince: cache.generation)
        #expect(cache.count == 0, "nothing is kept while no notices can arrive")
        cache.setEnabled(true)
        let before = cache.generation
        cache.remember(.user(user), for: user.tokenHash, checkedSince: before)
        #expect(cache.caller(for: user.tokenHash) != nil)
        cache.revoke(notice: "u:someone.else")
        #expect(cache.count == 1)
        cache.remember(.user(user), for: Data(repeating: 2, count: 32), checkedSince: before)
        #expect(cache.count == 1, "a check that began before a notice does not store its answer")
        cache.revoke(notice: "u:A.STAFF")
        #expect(cache.count == 0)
        cache.remember(.user(user), for: user.tokenHash, checkedSince: cache.generation)
        cache.revoke(notice: "s:" + user.tokenHash.map { String(format: "%02x", $0) }.joined())
        #expect(cache.caller(for: user.tokenHash) == nil)
    }
}
