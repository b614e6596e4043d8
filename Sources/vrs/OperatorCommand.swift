import ArgumentParser
import Foundation
import HummingbirdBcrypt
import VRSCrypto
import VRSServer
import VRSStore

/// `vrs operator create`: the host administrator bootstraps a central operator account.
struct OperatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "operator", abstract: "Central operator accounts.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an operator account; prints a one-time password and the TOTP enrolment (otpauth:// URL).")
        @OptionGroup var store: StoreOptions
        @Option(name: .customLong("user-id"), help: "The operator's user ID.") var userID: String
        @Option(name: .customLong("display-name")) var displayName: String?
        @Flag(help: "Print {\"userId\", \"initialPassword\", \"otpauthURL\"} as JSON.") var json = false

        func run() async throws {
            let runtime = try Runtime(store)
            let master = try runtime.masterKey()
            let security = try SecurityConfiguration(environment: runtime.environment)
            let enrolment = OperatorEnrolment.make(userID: userID, master: master, bcryptCost: security.bcryptCost)
            try await runtime.withStore { _, admin in
                do {
                    try await HostAdministration(admin: try ownerPool(admin), logger: runtime.logger).create(
                        NewAccount(userID: userID, role: .operator, municipality: nil, displayName: displayName ?? userID,
                                   passwordHash: enrolment.passwordHash, sealedTOTPSecret: enrolment.sealedSeed),
                        actor: ProcessInfo.processInfo.environment["USER"] ?? "host")
                } catch StoreError.duplicate {
                    throw ValidationError("the user ID \(userID) is taken")
                }
            }
            if json {
                let out: [String: String] = ["userId": userID, "initialPassword": enrolment.password, "otpauthURL": enrolment.otpauthURL]
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(out), as: UTF8.self))
            } else {
                print("operator \(userID) created")
                print("one-time password: \(enrolment.password)   (must be changed at first sign-in)")
                print("TOTP enrolment:    \(enrolment.otpauthURL)")
            }
        }
    }
}
