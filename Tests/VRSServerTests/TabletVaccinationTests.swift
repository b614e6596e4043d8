import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import VRSDomain
import VRSServer
import VRSStore
import VRSTestSupport
import PostgresNIO

@Suite("The tablet door and the pending list")
struct TabletVaccinationTests {
    typealias File = RegistrationFile

    /// A's staff with people 1...n registered (coupon numbers 1...n), and a tablet issued by B.
    struct Site {
        let app: TestApp
        let staffA: String
        let tabletB: String

        func dose(_ code: String, on date: String = "2024-10-01", product: String = "pfizer-comirnaty",
                  record: String = UUID().uuidString, token: String? = nil) async throws -> TestResponse {
            let body = ["couponCode": code, "vaccinatedOn": date, "product": product, "lotNumber": "FA1234",
                        "siteName": "幕張メッセ", "doctorName": "医師 一郎", "clientRecordId": record]
            return try await app.call(.post, "/v1/tablet/vaccinations", token: token ?? tabletB, json: body, on: \.public)
        }

        func answer(_ response: TestResponse) throws -> (result: String, flags: Set<String>) {
            try #require(response.status == .created, "\(response.status): \(response.text)")
            let json = try response.json()
            return (json["result"] as? String ?? "", Set(json["flags"] as? [String] ?? []))
        }

        struct Answer { let result: String; let flags: Set<String> }

        func send(_ code: String, on date: String = "2024-10-01", record: String = UUID().uuidString) async throws -> Answer {
            let (result, flags) = try answer(try await dose(code, on: date, record: record))
            return Answer(result: result, flags: flags)
        }

        func personID(_ address: String) async throws -> String {
            let json = try await app.call(.get, "/v1/persons?addressNumber=\(address)", token: staffA).json()
            return try #require(((json["persons"] as? [[String: Any]])?.first?["personId"]) as? String)
        }
    }

    /// Coupon code for kind 1, `dose`, municipality A and coupon number `n`.
    static func code(_ n: Int, dose: Int = 1, municipality: String = "131016") -> String {
        "1\(dose)\(municipality)\(String(format: "%010d", n))"
    }

    func withSite(people: Int = 5, _ body: @escaping @Sendable (Site) async throws -> Void) async throws {
        try await TestApp.run { app in
            let staffA = try await app.staff("a.staff", in: TestApp.a)
            let upload = try await app.upload("/v1/persons/import", token: staffA, csv: File.file(people))
            try #require(upload.status == .ok, "\(upload.text)")
            try await app.account("b.admin", .admin, in: TestApp.b)
            let adminB = try await app.signIn("b.admin")
            let device = try await app.call(.post, "/v1/devices", token: adminB, json: ["label": "札幌会場 1"]).json()
            try await body(Site(app: app, staffA: staffA, tabletB: try #require(device["token"] as? String)))
        }
    }

    @Test func aTabletOfAnotherMunicipalityStoresTheDoseWhereTheCouponWasIssued() async throws {
        try await withSite { site in
            let response = try await site.dose(Self.code(1))
            #expect(try site.answer(response).result == "recorded")
            let json = try response.json()
            #expect(json["municipalityCode"] as? String == "131016")
            #expect(json["municipalityName"] as? String == "千代田区")
            #expect(json["dose"] as? Int == 1)
            #expect(json["couponKind"] as? Int == 1)
            for absent in ["familyName", "givenName", "personalNumber", "birthDate", "personId", "addressNumber"] {
                #expect(json[absent] == nil, "\(absent) is not for tablets")
            }
            #expect(try await site.app.count("vaccination", in: TestApp.a) == 1)
            #expect(try await site.app.count("vaccination", in: TestApp.b) == 0)
            let person = try await site.app.call(.get, "/v1/persons/\(try await site.personID("A-00001"))", token: site.staffA).json()
            #expect((person["vaccinations"] as? [[String: Any]])?.first?["lotNumber"] as? String == "FA1234")
        }
    }

    @Test func aRetryAndASecondReadOfTheSameCouponAndDoseAreStoredOnce() async throws {
        try await withSite { site in
            let record = UUID().uuidString
            let first = try await site.send(Self.code(2), record: record)
            let retried = try await site.send(Self.code(2), record: record)
            let readAgain = try await site.send(Self.code(2))
            #expect([first.result, retried.result, readAgain.result] == ["recorded", "duplicate", "duplicate"])
            #expect(try await site.app.count("vaccination", in: TestApp.a) == 1)
        }
    }

    @Test func anUnregisteredCouponWaitsAndIsLinkedWhenItIsRegistered() async throws {
        try await withSite { site in
            let pending = try await site.send(Self.code(77))
            #expect(pending.result == "pending_registration")
            #expect(pending.flags.contains("coupon_unknown"), "A has registered coupons, so the code may be a misread")
            let list = try await site.app.call(.get, "/v1/vaccinations/pending", token: site.staffA).json()
            #expect((list["pending"] as? [[String: Any]])?.map { $0["couponNumber"] as? String } == ["0000000077"])

            let file = File.header + "\n" + File.line(77) + "\n"
            let counts = try await site.app.upload("/v1/persons/import", token: site.staffA, csv: file).json()
            #expect(counts["pendingLinked"] as? Int == 1)
            let after = try await site.app.call(.get, "/v1/vaccinations/pending", token: site.staffA).json()
            #expect((after["pending"] as? [Any])?.isEmpty == true)
            let person = try await site.app.call(.get, "/v1/persons/\(try await site.personID("A-00077"))", token: site.staffA).json()
            #expect((person["vaccinations"] as? [Any])?.count == 1)
        }
    }

    @Test func aLinkedDoseGetsTheFlagsOfItsCouponAndPersonAsTheyAreNow() async throws {
        try await withSite { site in
            #expect(try await site.send(Self.code(88)).result == "pending_registration")
            let one = try await site.personID("A-00001")
            let moved = try await site.app.call(.post, "/v1/persons/\(one)/status", token: site.staffA,
                                                json: ["status": "moved_out", "effectiveDate": "2024-09-01"])
            #expect(moved.status == .ok)
            let reissue = try await site.app.lgwan.execute(uri: "/v1/persons/\(one)/coupons", method: .post,
                headers: [.authorization: "Bearer \(site.staffA)", .contentType: "application/json"],
                body: ByteBuffer(string: #"{"couponNumber":"0000000088","kind":1}"#))
            #expect(reissue.status == .created, "\(reissue.text)")
            let doses = try reissue.json()["vaccinations"] as? [[String: Any]] ?? []
            #expect(doses.count == 1)
            #expect(Set(doses.first?["flags"] as? [String] ?? []) == ["person_moved_out"], "coupon_unknown gone, the move-out added")
        }
    }

    @Test func aSuspendedMunicipalityTakesNoDoses() async throws {
        try await withSite { site in
            try await site.app.store.admin.query("UPDATE vrs.municipality SET status = 'suspended' WHERE code = '131016'", logger: site.app.store.logger)
            let refused = try await site.dose(Self.code(1))
            #expect(refused.status == .unprocessableContent, "\(refused.text)")
            #expect(try await site.app.count("vaccination", in: TestApp.a) == 0)
        }
    }

    @Test func aMunicipalityWithoutCouponsGetsNoCouponUnknownFlag() async throws {
        try await withSite { site in
            let response = try await site.send(Self.code(5, municipality: "011002"))
            #expect(response.result == "pending_registration")
            #expect(!response.flags.contains("coupon_unknown"))
            #expect(try await site.app.count("vaccination", in: TestApp.b) == 1)
        }
    }

    @Test func eachFlagIsRaisedForReviewAndTheDoseIsStillRecorded() async throws {
        try await withSite { site in
            let app = site.app
            // coupon_superseded: coupon 1 reissued as 901.
            let one = try await site.personID("A-00001")
            #expect(try await app.call(.post, "/v1/persons/\(one)/coupons", token: site.staffA, json: ["couponNumber": "0000000901", "kind": nil]).status == .unprocessableContent)
            let reissue = try await app.lgwan.execute(uri: "/v1/persons/\(one)/coupons", method: .post,
                headers: [.authorization: "Bearer \(site.staffA)", .contentType: "application/json"],
                body: ByteBuffer(string: #"{"couponNumber":"0000000901","kind":1}"#))
            #expect(reissue.status == .created, "\(reissue.text)")
            #expect(try await site.send(Self.code(1)).flags == ["coupon_superseded"])
            // person_moved_out and person_deceased.
            let two = try await site.personID("A-00002")
            let moved = try await app.call(.post, "/v1/persons/\(two)/status", token: site.staffA,
                                           json: ["status": "moved_out", "effectiveDate": "2024-09-01", "destinationCode": "011002"])
            #expect(moved.status == .ok, "\(moved.text)")
            #expect(try await site.send(Self.code(2)).flags == ["person_moved_out"])
            let three = try await site.personID("A-00003")
            _ = try await app.call(.post, "/v1/persons/\(three)/status", token: site.staffA, json: ["status": "deceased", "effectiveDate": "2024-09-01"])
            #expect(try await site.send(Self.code(3)).flags == ["person_deceased"])
            // dose_mismatch: a sticker for dose 3 on someone with no dose yet.
            #expect(try await site.send(Self.code(4, dose: 3)).flags == ["dose_mismatch"])
            // interval_short: dose 2 nine days after dose 1.
            #expect(try await site.send(Self.code(5), on: "2024-01-01").flags.isEmpty)
            #expect(try await site.send(Self.code(5, dose: 2), on: "2024-01-10").flags == ["interval_short"])
            #expect(try await app.count("vaccination", in: TestApp.a) == 6)
        }
    }

    @Test func misreadCodesUnknownProductsAndImpossibleDatesAreRefusedSayingWhy() async throws {
        try await withSite { site in
            let misread = try await site.dose("11131017" + "0000000001")          // 131016 with its check digit misread
            #expect(misread.status == .unprocessableContent)
            let error = try #require((try misread.json()["errors"] as? [[String: Any]])?.first)
            #expect(error["field"] as? String == "couponCode")
            #expect((error["message"] as? String)?.contains("municipality code (positions 3–8)") == true, "\(error)")
            #expect(try await site.dose("1113101600000001").status == .unprocessableContent)   // 16 digits
            let product = try await site.dose(Self.code(1), product: "sputnik")
            #expect(product.status == .unprocessableContent)
            #expect(product.text.contains("pfizer-comirnaty"), "the answer lists the accepted products")
            #expect(try await site.dose(Self.code(1), on: "2099-01-01").status == .unprocessableContent)
            #expect(try await site.dose(Self.code(1), on: "2020-06-01").status == .unprocessableContent)  // before approval
            #expect(try await site.app.count("vaccination", in: TestApp.a) == 0)
        }
    }

    @Test func aRevokedTabletAndASessionTokenAreRefused() async throws {
        try await withSite { site in
            #expect(try await site.dose(Self.code(1), token: site.staffA).status == .unauthorized)
            let tablet = try await site.app.call(.get, "/v1/tablet/device", token: site.tabletB, on: \.public).json()
            let adminB = try await site.app.signIn("b.admin")
            let revoke = try await site.app.call(.delete, "/v1/devices/\(tablet["deviceId"] as! String)", token: adminB)
            #expect(revoke.status == .noContent)
            #expect(try await site.dose(Self.code(1)).status == .unauthorized)
            #expect(try await site.app.count("vaccination", in: TestApp.a) == 0)
        }
    }

    @Test func staffRecordTheirOwnMunicipalitysDosesByHandAndByFile() async throws {
        try await withSite { site in
            let app = site.app
            let body = ["couponCode": Self.code(1), "vaccinatedOn": "2024-10-01", "product": "moderna-spikevax", "lotNumber": "3004217"]
            let own = try await app.call(.post, "/v1/vaccinations", token: site.staffA, json: body)
            #expect(own.status == .created, "\(own.text)")
            #expect(try own.json()["result"] as? String == "recorded")
            var other = body
            other["couponCode"] = Self.code(1, municipality: "011002")
            #expect(try await app.call(.post, "/v1/vaccinations", token: site.staffA, json: other).status == .unprocessableContent)

            let forms = "coupon_code,vaccinated_on,product,lot_number,site_name,doctor_name\n"
                + "\(Self.code(2)),20241001,pfizer-comirnaty,FA1,区役所,医師\n\(Self.code(3)),2024-10-02,pfizer-comirnaty,FA1,,\n"
                + "\(Self.code(99)),2024-10-02,pfizer-comirnaty,FA1,,\n"
            let counts = try await app.upload("/v1/vaccinations/import", token: site.staffA, csv: forms).json()
            #expect(counts["recorded"] as? Int == 2 && counts["pending"] as? Int == 1 && counts["duplicate"] as? Int == 0)
            let again = try await app.upload("/v1/vaccinations/import", token: site.staffA, csv: forms).json()
            #expect(again["duplicate"] as? Int == 3)
            let bad = forms + "\(Self.code(4)),2024-10-02,unknown-product,FA1,,\n"
            let refused = try await app.upload("/v1/vaccinations/import", token: site.staffA, csv: bad)
            #expect(refused.status == .unprocessableContent)
            #expect((try refused.json()["errors"] as? [[String: Any]])?.first?["line"] as? Int == 5)
            #expect(try await app.count("vaccination", in: TestApp.a) == 4)
        }
    }
}
