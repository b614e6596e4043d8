import Testing
import VRSServer

@Suite("Security settings from the environment")
struct SecurityConfigurationTests {
    @Test func settingsAreReadAndOutOfRangeValuesAreNamed() throws {
        let configured = try SecurityConfiguration(environment: [
            "VRS_LOGIN_MAX_FAILURES": "3", "VRS_LOCK_MINUTES": "60", "VRS_SESSION_IDLE_MINUTES": "10",
            "VRS_SESSION_MAX_HOURS": "8", "VRS_BCRYPT_COST": "13", "VRS_MIN_PASSWORD_LENGTH": "16",
        ])
        #expect(configured.maxFailedLogins == 3)
        #expect(configured.lockDuration == .seconds(3600))
        #expect(configured.idleTimeout == .seconds(600))
        #expect(configured.absoluteTimeout == .seconds(8 * 3600))
        #expect(configured.bcryptCost == 13)
        #expect(configured.minimumPasswordLength == 16)
        let defaults = try SecurityConfiguration(environment: [:])
        #expect(defaults.maxFailedLogins == 5 && defaults.lockDuration == .seconds(900) && defaults.bcryptCost == 12)
        #expect(defaults.idleTimeout == .seconds(1800) && defaults.absoluteTimeout == .seconds(12 * 3600))
        #expect(throws: SecurityConfigurationError.self) { try SecurityConfiguration(environment: ["VRS_BCRYPT_COST": "40"]) }
        do {
            _ = try SecurityConfiguration(environment: ["VRS_LOCK_MINUTES": "soon"])
            Issue.record("a non-number was accepted")
        } catch {
            #expect("\(error)".contains("VRS_LOCK_MINUTES"))
        }
    }
}
