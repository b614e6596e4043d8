import ArgumentParser
import Foundation
import VRSCrypto
import VRSDomain
import VRSStore

/// `vrs keys …`: the master key and municipality key rotation.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "keys", abstract: "Master key, issuer key and key rotation.", subcommands: [Init.self, InitIssuer.self, RotateMaster.self, RotateData.self])

    /// `vrs keys init`: create the master key file.
    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a master key file (mode 0600) if none exists.")
        @OptionGroup var store: StoreOptions
        @Option(help: "Where to write the key (default: VRS_MASTER_KEY_FILE or DATA-DIR/master.key).") var path: String?

        func run() throws {
            guard let target = try path ?? Runtime(store).masterKeyPath else { throw ValidationError("give --path or set VRS_MASTER_KEY_FILE") }
            let file = MasterKeyFile(path: target)
            if file.exists { throw ValidationError("\(target) exists; refusing to overwrite a master key") }
            let key = MasterKey.generate()
            try file.write(key)
            print("master key \(key.id) written to \(target)")
        }
    }

    /// `vrs keys init-issuer`: the certificate issuer's ES256 key, sealed under the master key.
    struct InitIssuer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init-issuer",
            abstract: "Create the certificate issuer's keys if missing: ES256 for SMART Health Cards, and for ICAO VDS-NC a CSCA with a barcode signer it issues.",
            discussion: "Private keys are sealed under the master key; the SMART Health Card key's public JWK is published at the public listener's /.well-known/jwks.json. With --rotate the active card key and barcode signer are retired (they stay published, so what they signed still verifies) and successors sign from then on; the CSCA stays.")
        @OptionGroup var store: StoreOptions
        @Flag(help: "Retire the active key and create its successor.") var rotate = false

        func run() async throws {
            let runtime = try Runtime(store)
            let master = try runtime.masterKey()
            let outcome = try await runtime.withStore { _, admin in
                try await IssuerKeyAdministration(admin: try ownerPool(admin), logger: runtime.logger).initialise(master: master, rotate: rotate)
            }
            switch (outcome.created, outcome.retired) {
            case (false, _): print("issuer key \(outcome.kid) is active already (--rotate replaces it)")
            case (true, nil): print("issuer key \(outcome.kid) created")
            case (true, let old?): print("issuer key \(outcome.kid) created; \(old) retired and still published")
            }
            print("VDS-NC barcode signer \(outcome.signerKid) \(outcome.signerCreated ? "issued by the CSCA" : "is active already")")
        }
    }

    /// `vrs keys rotate-master`: re-wrap every municipality key under a new master key.
    struct RotateMaster: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-master",
            abstract: "Re-wrap all municipality keys under a new master key; person rows are not touched.",
            discussion: "The new key is written to KEYFILE.next first, the database is updated in one transaction, then the files are swapped (the old key is kept as KEYFILE.retired-ID). Re-running after an interruption completes the rotation.")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let runtime = try Runtime(store)
            guard let path = runtime.masterKeyPath, runtime.environment["VRS_MASTER_KEY"] == nil else {
                throw ValidationError("rotate-master works on a key file: set VRS_MASTER_KEY_FILE instead of VRS_MASTER_KEY")
            }
            let current = try MasterKeyFile(path: path).read()
            let nextFile = MasterKeyFile(path: path + ".next")
            let next = try nextFile.exists ? nextFile.read() : { let k = MasterKey.generate(); try nextFile.write(k); return k }()
            let count = try await runtime.withStore { database, admin in
                try await KeyRotation(database: database, admin: try ownerPool(admin), keyRing: KeyRing(master: current), logger: runtime.logger)
                    .rewrapAll(from: current, to: next)
            }
            let retired = path + ".retired-" + current.id
            guard rename(path, retired) == 0, rename(nextFile.path, path) == 0 else {
                throw ValidationError("re-wrapped \(count) keys but could not swap \(path) and \(nextFile.path): move them by hand")
            }
            print("re-wrapped \(count) keys under master key \(next.id); old key kept at \(retired) — destroy it once backups made with it have expired")
        }
    }

    /// `vrs keys rotate-data --municipality CODE`.
    struct RotateData: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-data",
            abstract: "Give a municipality new data and index keys and re-encrypt its rows in batches (resumable).")
        @OptionGroup var store: StoreOptions
        @Option(help: "The municipality code.") var municipality: String
        @Option(name: .customLong("batch-size")) var batchSize = 1000

        func run() async throws {
            let code = try MunicipalityCode(municipality)
            let runtime = try Runtime(store)
            let master = try runtime.masterKey()
            let progress = try await runtime.withStore { database, admin in
                try await KeyRotation(database: database, admin: try ownerPool(admin), keyRing: KeyRing(master: master), logger: runtime.logger)
                    .rotateData(of: code, master: master, batchSize: batchSize)
            }
            print("municipality \(code): key v\(progress.version), re-encrypted \(progress.reencrypted), remaining \(progress.remaining)")
        }
    }
}

