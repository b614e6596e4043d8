import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import Testing
import VRSDomain
import VRSServer
import VRSStore
import VRSTestSupport

/// The unauthenticated path cannot be used to grow the central chain, to lock accounts from one
/// address, or to guess a password through a stolen session.
@Suite("Sign-in hardening")
struct SignInHardeningTests {
    @Test func aMalformedUserIDIsRefusedLikeAnyFailureAndAtMostSixtyFourCharactersAreKept() async throws {
        try await TestApp.run { app in
            try await app.account("a.staff", .staff, in: TestApp.a)
            let long = String(repeating: "x", count: 3000)
            let wrong = try await app.call(.post, "/v1/sessions", json: ["userId": "a.staff", "password": "not the password"])
            for userID in [long, "-starts-with-a-dash", "has space", "ab", "名前"] {
                let answer = try await app.call(.post, "/v1/sessions", json: ["userId": userID, "password": "whatever it is"])
                #expect(answer.status == .unauthorized)
                #expect(try answer.json()["detail"] as? String == (try wrong.json()["detail"] as? String))
            }
            let rows = try await app.store.admin.query(
                """
                SELECT max(length(actor_id)), max(length(target_id)), count(*)::int FROM vrs.audit_event
                WHERE municipality_code = '000000' AND details->>'reason' = 'malformed_user_id'
                """, logger: app.store.logger)
            for try await (actor, target, count) in rows.decode((Int?, Int?, Int).self) {
                #expect(count == 5)
                #expect(actor == 64 && target == 64)
            }
        }
    }

    @Test func oneClientAddressCannotLockAccountAfterAccount() async throws {
        var security = TestApp.security()
        security.maxFailedLoginsPerAddress = 3
        try await TestApp.run(security: security, testing: .live) { app in
            for name in ["a.one", "a.two", "a.three", "a.four"] { try await app.account(name, .staff, in: TestApp.a) }
            for name in ["a.one", "a.two", "nobody.here"] {
                #expect(try await app.call(.post, "/v1/sessions", json: ["userId": name, "password": "not the password"]).status == .unauthorized)
            }
            // The address has used its budget: even the right password of a fourth account is refused,
            // and that account's own failure count is untouched.
            #expect(try await app.call(.post, "/v1/sessions", json: ["userId": "a.four", "password": TestApp.password]).status == .unauthorized)
            let rows = try await app.store.admin.query(
                "SELECT failed_attempts, locked_until IS NULL FROM vrs.account WHERE user_id = 'a.four'", logger: app.store.logger)
            for try await (failures, unlocked) in rows.decode((Int, Bool).self) { #expect(failures == 0 && unlocked) }
            #expect(try await app.chain(TestApp.a).contains { $0.action == "session.create" && $0.actorID == "a.four" })
            // The window passes: the address may try again.
            try await app.store.admin.query(
                "UPDATE vrs.sign_in_throttle SET window_started_at = now() - interval '16 minutes'", logger: app.store.logger)
            #expect(try await app.signIn("a.four").hasPrefix("vrss_"))
        }
    }

    @Test func wrongCurrentPasswordsCountAsFailuresAndLockWithoutEndingTheSession() async throws {
        try await TestApp.run { app in
            try await app.account("a.staff", .staff, in: TestApp.a)
            let session = try await app.signIn("a.staff")
            for _ in 1...5 {
                let answer = try await app.call(.put, "/v1/users/me/password", token: session,
                                                json: ["currentPassword": "a guess of a thief", "newPassword": "a brand new passphrase"])
                #expect(answer.status == .unprocessableContent)
            }
            // Locked now: even the right current password is not checked until the lock ends.
            let locked = try await app.call(.put, "/v1/users/me/password", token: session,
                                            json: ["currentPassword": TestApp.password, "newPassword": "a brand new passphrase"])
            #expect(locked.status.code == 423)
            #expect(try await app.call(.post, "/v1/sessions", json: ["userId": "a.staff", "password": TestApp.password]).status == .unauthorized)
            #expect(try await app.call(.get, "/v1/sessions/current", token: session).status == .ok)
            let actions = try await app.chain(TestApp.a).map(\.action)
            #expect(actions.filter { $0 == "user.password.change" }.count == 5)
            #expect(actions.contains("user.lock"))
        }
    }

    @Test func aKnownPathWithAnotherMethodAnswers405WithAllow() async throws {
        try await TestApp.run { app in
            let patch = try await app.call(.patch, "/v1/sessions/current")
            #expect(patch.status == .methodNotAllowed)
            #expect(patch.isProblem)
            #expect(patch.headers[.allow] == "DELETE, GET")
            let get = try await app.call(.get, "/v1/sessions")
            #expect(get.status == .methodNotAllowed && get.headers[.allow] == "POST")
            let tablet = try await app.call(.delete, "/v1/tablet/device", on: \.public)
            #expect(tablet.status == .methodNotAllowed && tablet.headers[.allow] == "GET")
            #expect(try await app.call(.get, "/v1/nothing/here").status == .notFound)
        }
    }
}
