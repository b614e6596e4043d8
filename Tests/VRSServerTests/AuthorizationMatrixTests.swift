import Crypto
import Foundation
import HTTPTypes
import Testing
import VRSServer
import VRSStore
import VRSTestSupport
import HummingbirdTesting
import PostgresNIO

/// Every LG-WAN route × every kind of caller, with the exact status each must get (architecture.md §2–§4).
/// Columns run left to right, so the state-changing calls of admin A come last in each row.
@Suite("Authorization matrix")
struct AuthorizationMatrixTests {
    enum Who: String, CaseIterable { case none, expired, tabletA, `operator`, viewer, staffA, adminB, adminA }

    struct Row {
        let method: HTTPRequest.Method
        let path: String
        let body: (Who) -> [String: String?]?
        let expected: [Who: Int]
        init(_ method: HTTPRequest.Method, _ path: String, body: @escaping (Who) -> [String: String?]? = { _ in nil }, _ statuses: [Int]) {
            self.method = method
            self.path = path
            self.body = body
            expected = Dictionary(uniqueKeysWithValues: zip(Who.allCases, statuses))
        }
    }

    //                                                                       none expired tablet  op viewer staffA adminB adminA
    static func rows(deviceOfA: String) -> [Row] { [
        Row(.get, "/healthz",                                                 [200, 401, 401, 200, 200, 200, 200, 200]),
        Row(.get, "/readyz",                                                  [200, 401, 401, 200, 200, 200, 200, 200]),
        Row(.get, "/metrics",                                                 [200, 401, 401, 200, 200, 200, 200, 200]),
        Row(.get, "/openapi.yaml",                                            [200, 401, 401, 200, 200, 200, 200, 200]),
        Row(.get, "/v1/sessions/current",                                     [401, 401, 401, 200, 200, 200, 200, 200]),
        Row(.put, "/v1/users/me/password", body: { _ in ["currentPassword": "wrong password", "newPassword": "a new long password"] },
                                                                              [401, 401, 401, 422, 422, 422, 422, 422]),
        Row(.post, "/v1/municipalities", body: { _ in ["code": "121002"] },   [401, 401, 401, 201, 403, 403, 403, 403]),
        Row(.get, "/v1/municipalities",                                       [401, 401, 401, 200, 403, 403, 403, 403]),
        // A has an admin: a further one waits for a second operator (202).
        Row(.post, "/v1/municipalities/131016/users", body: newAdmin,         [401, 401, 401, 202, 403, 403, 403, 403]),
        Row(.post, "/v1/users", body: newUser,                                [401, 401, 401, 403, 403, 403, 201, 201]),
        // The operator's lock is out of the admin's reach until an operator lifts it (next row).
        Row(.post, "/v1/users/a.target/lock",                                 [401, 401, 401, 200, 403, 403, 404, 403]),
        Row(.post, "/v1/users/a.target/unlock",                               [401, 401, 401, 200, 403, 403, 404, 200]),
        Row(.post, "/v1/users/a.target/password-reset",                       [401, 401, 401, 202, 403, 403, 404, 200]),
        Row(.post, "/v1/users/a.admin/password-reset",                        [401, 401, 401, 202, 403, 403, 404, 409]),
        Row(.post, "/v1/account-requests", body: { _ in ["kind": "reset_password", "userId": "a.staff"] },
                                                                              [401, 401, 401, 201, 403, 403, 403, 403]),
        Row(.get, "/v1/account-requests",                                     [401, 401, 401, 200, 403, 403, 403, 403]),
        Row(.post, "/v1/devices", body: { _ in ["label": "会場1 タブレット"] }, [401, 401, 401, 403, 403, 403, 201, 201]),
        Row(.delete, "/v1/devices/\(deviceOfA)",                              [401, 401, 401, 403, 403, 403, 404, 204]),
        // People and doses: municipal callers only, each in its own municipality (B finds nothing of A's).
        Row(.get, "/v1/persons?addressNumber=A-1",                            [401, 401, 401, 403, 403, 200, 200, 200]),
        Row(.get, "/v1/persons/00000000-0000-4000-8000-000000000000",         [401, 401, 401, 403, 403, 404, 404, 404]),
        Row(.post, "/v1/persons/import", body: { _ in ["not": "csv"] },       [401, 401, 401, 403, 403, 415, 415, 415]),
        // A coupon of A not registered yet: pending for A's staff, a duplicate for A's admin, another municipality's for B.
        Row(.post, "/v1/vaccinations", body: { _ in ["couponCode": "111310160000000042", "vaccinatedOn": "2024-10-01",
                                                     "product": "pfizer-comirnaty", "lotNumber": "FA1234"] },
                                                                              [401, 401, 401, 403, 403, 201, 422, 201]),
        Row(.get, "/v1/vaccinations/pending",                                 [401, 401, 401, 403, 403, 200, 200, 200]),
        // Corrections: without If-Match a correction is refused (428) before anything is looked up.
        Row(.get, "/v1/vaccinations/00000000-0000-4000-8000-000000000000",    [401, 401, 401, 403, 403, 404, 404, 404]),
        Row(.post, "/v1/vaccinations/00000000-0000-4000-8000-000000000000/void", body: { _ in ["reason": "誤登録"] },
                                                                              [401, 401, 401, 403, 403, 428, 428, 428]),
        Row(.patch, "/v1/persons/00000000-0000-4000-8000-000000000000", body: { _ in ["familyName": "山田", "reason": "訂正"] },
                                                                              [401, 401, 401, 403, 403, 428, 428, 428]),
        Row(.get, "/v1/persons/00000000-0000-4000-8000-000000000000/history", [401, 401, 401, 403, 403, 404, 404, 404]),
        Row(.get, "/v1/exports/ledger",                                       [401, 401, 401, 403, 403, 200, 200, 200]),
        Row(.get, "/v1/exports/pending",                                      [401, 401, 401, 403, 403, 200, 200, 200]),
        // Transfer inquiries: A asks B (not found: 200); B asking itself is refused; operators never ask.
        Row(.post, "/v1/transfer-inquiries", body: { _ in ["previousMunicipalityCode": "011002", "personalNumber": "700000009018"] },
                                                                              [401, 401, 401, 403, 403, 200, 422, 200]),
        Row(.get, "/v1/transfer-inquiries/purposes",                          [401, 401, 401, 403, 403, 200, 200, 200]),
        Row(.post, "/v1/transfer-inquiries/batches", body: { _ in ["not": "csv"] },
                                                                              [401, 401, 401, 403, 403, 415, 415, 415]),
        Row(.get, "/v1/transfer-inquiries/batches/00000000-0000-4000-8000-000000000000",
                                                                              [401, 401, 401, 403, 403, 404, 404, 404]),
        // Provision records: municipal callers name a direction (422 without one); operators get daily counts.
        Row(.get, "/v1/provision-records?direction=outbound",                 [401, 401, 401, 200, 403, 200, 200, 200]),
        Row(.get, "/v1/provision-records",                                    [401, 401, 401, 200, 403, 422, 422, 422]),
        // Only an admin of the user's municipality clears an inquiry lock; a.staff has none (404).
        Row(.post, "/v1/users/a.staff/inquiry-unlock",                        [401, 401, 401, 403, 403, 403, 404, 404]),
        // Certificates: municipal callers for their own people (none exists: 404); revoking is the admins'.
        Row(.post, "/v1/persons/00000000-0000-4000-8000-000000000000/certificates", body: { _ in ["format": "shc"] },
                                                                              [401, 401, 401, 403, 403, 404, 404, 404]),
        Row(.get, "/v1/persons/00000000-0000-4000-8000-000000000000/certificates",
                                                                              [401, 401, 401, 403, 403, 404, 404, 404]),
        Row(.post, "/v1/certificates/00000000-0000-4000-8000-000000000000/revoke",
                                                                              [401, 401, 401, 403, 403, 403, 404, 404]),
        // Statistics: everyone signed in but tablets, each in its scope (the viewer's is prefecture 13; B is in 01).
        Row(.get, "/v1/statistics/vaccinations",                              [401, 401, 401, 200, 200, 200, 200, 200]),
        Row(.get, "/v1/statistics/vaccinations?prefecture=01",                [401, 401, 401, 200, 403, 403, 200, 403]),
        Row(.get, "/v1/statistics/vaccinations?by=municipality",              [401, 401, 401, 200, 200, 200, 200, 200]),
        Row(.get, "/v1/statistics/vaccinations?by=prefecture",                [401, 401, 401, 200, 200, 403, 403, 403]),
        Row(.get, "/v1/viewers",                                              [401, 401, 401, 200, 403, 403, 403, 403]),
        Row(.post, "/v1/viewers", body: { who in ["userId": "viewer.\(who.rawValue)", "displayName": "閲覧者", "prefecture": "13"] },
                                                                              [401, 401, 401, 201, 403, 403, 403, 403]),
        Row(.get, "/v1/audit-events",                                         [401, 401, 401, 200, 403, 403, 200, 200]),
        Row(.get, "/v1/no-such-route",                                        [404, 401, 401, 404, 404, 404, 404, 404]),
        Row(.patch, "/v1/sessions/current",                                   [405, 401, 401, 405, 405, 405, 405, 405]),
        Row(.get, "/v1/sessions",                                             [405, 401, 401, 405, 405, 405, 405, 405]),
        Row(.delete, "/v1/sessions/current",                                  [401, 401, 401, 204, 204, 204, 204, 204]),
    ] }

    static func newAdmin(_ who: Who) -> [String: String?] {
        ["userId": "admin.\(who.rawValue)", "role": "admin", "displayName": "新規 管理者"]
    }

    static func newUser(_ who: Who) -> [String: String?] {
        ["userId": "new.\(who.rawValue)", "role": "staff", "displayName": "新規 職員"]
    }

    @Test func everyRouteAnswersEveryCallerAsSpecified() async throws {
        try await TestApp.run { app in
            let seed = try await app.account("op.one", .operator, in: nil)
            try await app.account("a.admin", .admin, in: TestApp.a)
            try await app.account("a.staff", .staff, in: TestApp.a)
            try await app.account("a.target", .staff, in: TestApp.a)
            try await app.account("b.admin", .admin, in: TestApp.b)
            var tokens: [Who: String] = [
                .operator: try await app.signIn("op.one", seed: seed),
                .adminA: try await app.signIn("a.admin"),
                .staffA: try await app.signIn("a.staff"),
                .adminB: try await app.signIn("b.admin"),
            ]
            tokens[.tabletA] = try await app.call(.post, "/v1/devices", token: tokens[.adminA], json: ["label": "tablet"]).json()["token"] as? String
            let deviceOfA = try await app.call(.post, "/v1/devices", token: tokens[.adminA], json: ["label": "spare"]).json()["deviceId"] as! String
            tokens[.expired] = try await expiredSession(app, for: "a.staff")
            tokens[.viewer] = try await StatisticsTests.viewer("view.tokyo", prefecture: "13", app: app, operator: tokens[.operator]!)

            var mismatches: [String] = []
            for row in Self.rows(deviceOfA: deviceOfA) {
                for who in Who.allCases {
                    let response = try await app.call(row.method, row.path, token: tokens[who], json: row.body(who))
                    if response.status.code != row.expected[who] {
                        mismatches.append("\(row.method) \(row.path) as \(who): \(response.status.code), expected \(row.expected[who]!) — \(response.text.prefix(160))")
                    }
                    if response.status.code >= 400 && !response.isProblem {
                        mismatches.append("\(row.method) \(row.path) as \(who): \(response.status.code) is not a problem document")
                    }
                }
            }
            #expect(mismatches.isEmpty, "\(mismatches.count) mismatches:\n\(mismatches.joined(separator: "\n"))")
        }
    }

    @Test func thePublicListenerTakesDeviceTokensOnly() async throws {
        try await TestApp.run { app in
            try await app.account("a.admin", .admin, in: TestApp.a)
            let session = try await app.signIn("a.admin")
            let device = try await app.call(.post, "/v1/devices", token: session, json: ["label": "t"]).json()
            let token = device["token"] as! String
            #expect(try await app.call(.get, "/v1/tablet/device", token: token, on: \.public).status == .ok)
            #expect(try await app.call(.get, "/v1/tablet/device", on: \.public).status == .unauthorized)
            #expect(try await app.call(.get, "/v1/tablet/device", token: session, on: \.public).status == .unauthorized)
            // Nothing of the LG-WAN API exists on the public listener.
            #expect(try await app.call(.post, "/v1/sessions", json: ["userId": "a.admin", "password": TestApp.password], on: \.public).status == .notFound)
            #expect(try await app.call(.get, "/v1/audit-events", token: token, on: \.public).status == .notFound)
            // A revoked device token stops working at once.
            #expect(try await app.call(.delete, "/v1/devices/\(device["deviceId"] as! String)", token: session).status == .noContent)
            #expect(try await app.call(.get, "/v1/tablet/device", token: token, on: \.public).status == .unauthorized)
        }
    }

    /// A session whose absolute expiry has passed: a real one, cut short by the superuser (the
    /// session trigger lets an expiry move earlier only).
    private func expiredSession(_ app: TestApp, for userID: String) async throws -> String {
        let token = try await app.signIn(userID)
        let hash = Data(SHA256.hash(data: Data(token.utf8)))
        try await app.store.admin.query(
            "UPDATE vrs.session SET expires_at = now() - interval '1 second' WHERE token_hash = \(hash)", logger: app.store.logger)
        return token
    }
}
