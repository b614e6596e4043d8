import Foundation
import PostgresNIO
import Testing
import VRSDomain
import VRSStore
import VRSTestSupport

/// The store scoped as municipality A, handed B's user ids and device ids, gets nothing and changes nothing.
@Suite("Account and device isolation between municipalities")
struct AccountIsolationTests {
    @Test func municipalityACannotSeeLockResetOrRevokeAnythingOfB() async throws {
        try await withTestStore { store in
            try await store.provision(Town.a, Town.b)
            let accounts = AccountRepository(logger: store.logger)
            let devices = DeviceRepository(logger: store.logger)
            let bDevice = try await store.database.transaction(as: .municipalAdmin(Town.b)) { connection in
                try await accounts.create(
                    NewAccount(userID: "b.staff", role: .staff, municipality: Town.b, displayName: "B", passwordHash: "x", mustChangePassword: false),
                    on: connection)
                return try await devices.create(label: "B tablet", tokenHash: Data(repeating: 7, count: 32), createdBy: "b.staff", in: Town.b, on: connection)
            }
            try await store.database.transaction(as: .municipalAdmin(Town.a)) { connection in
                let seen = try await accounts.managed("b.staff", on: connection)
                #expect(seen == nil)
                #expect(try await accounts.setLocked("b.staff", true, on: connection) == false)
                #expect(try await accounts.resetPassword("b.staff", hash: "stolen", on: connection) == false)
                #expect(try await devices.revoke(bDevice, in: Town.b, on: connection) == false)
            }
            await #expect(throws: (any Error).self) {
                try await store.database.transaction(as: .municipalAdmin(Town.a)) { connection in
                    try await accounts.create(
                        NewAccount(userID: "planted", role: .admin, municipality: Town.b, displayName: "x", passwordHash: "x"), on: connection)
                }
            }
            let rows = try await store.admin.query(
                "SELECT password_hash, locked, (SELECT count(*)::int FROM vrs.account WHERE user_id = 'planted') FROM vrs.account WHERE user_id = 'b.staff'",
                logger: store.logger)
            for try await (hash, locked, planted) in rows.decode((String, Bool, Int).self) {
                #expect(hash == "x" && !locked && planted == 0)
            }
            let device = try await store.database.transaction(as: .authentication) {
                try await devices.find(tokenHash: Data(repeating: 7, count: 32), on: $0)
            }
            #expect(device?.deviceID == bDevice && device?.municipality == Town.b)
        }
    }
}
