import Foundation
import Testing
import VRSCrypto
import VRSDomain

@Suite("Master key and wrapped municipality keys")
struct KeyWrappingTests {
    let chiba = try! MunicipalityCode("121002")
    let chiyoda = try! MunicipalityCode("131016")
    let number = try! IndividualNumber("983205673214")

    @Test func wrappedKeysUnwrapOnlyForTheirMunicipalityAndMaster() throws {
        let master = MasterKey.generate()
        let keys = MunicipalityKeys.generate(for: chiba, version: 1)
        let wrapped = try keys.wrapped(by: master)
        let back = try MunicipalityKeys.unwrap(data: wrapped.data, index: wrapped.index, municipality: chiba, version: 1, master: master)
        #expect(try IndividualNumberCipher(keys: back).open(IndividualNumberCipher(keys: keys).seal(number)).revealDigits() == "983205673214")
        #expect(throws: KeyMaterialError.self) {
            try MunicipalityKeys.unwrap(data: wrapped.data, index: wrapped.index, municipality: chiyoda, version: 1, master: master)
        }
        #expect(throws: KeyMaterialError.self) {
            try MunicipalityKeys.unwrap(data: wrapped.data, index: wrapped.index, municipality: chiba, version: 2, master: master)
        }
        #expect(throws: KeyMaterialError.self) {
            try MunicipalityKeys.unwrap(data: wrapped.data, index: wrapped.index, municipality: chiba, version: 1, master: .generate())
        }
        // Swapping the purposes fails too: each key is bound to its job.
        #expect(throws: KeyMaterialError.self) {
            try MunicipalityKeys.unwrap(data: wrapped.index, index: wrapped.data, municipality: chiba, version: 1, master: master)
        }
    }

    @Test func rewrappedKeyOpensUnderTheNewMasterOnly() throws {
        let old = MasterKey.generate(), next = MasterKey.generate()
        let keys = MunicipalityKeys.generate(for: chiba, version: 1)
        let wrapped = try keys.wrapped(by: old)
        let data = try KeyWrapper(master: old).rewrap(wrapped.data, municipality: chiba, purpose: .data, version: 1, to: next)
        let index = try KeyWrapper(master: old).rewrap(wrapped.index, municipality: chiba, purpose: .index, version: 1, to: next)
        let back = try MunicipalityKeys.unwrap(data: data, index: index, municipality: chiba, version: 1, master: next)
        #expect(IndividualNumberCipher(keys: back).blindIndex(number) == IndividualNumberCipher(keys: keys).blindIndex(number))
        #expect(throws: KeyMaterialError.self) {
            try MunicipalityKeys.unwrap(data: data, index: index, municipality: chiba, version: 1, master: old)
        }
        #expect(old.id != next.id)
    }

    @Test func keyFileIsWrittenPrivateAndReadBack() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vrs-key-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = MasterKeyFile(path: directory + "/master.key")
        let key = try file.ensure()
        var info = stat()
        stat(file.path, &info)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(try file.read().id == key.id)
        #expect(try file.ensure().id == key.id)  // ensure never replaces an existing key
    }

    @Test func keyFileReadableByOthersIsRefused() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vrs-key-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = MasterKeyFile(path: directory + "/master.key")
        _ = try file.ensure()
        chmod(file.path, 0o644)
        #expect(throws: KeyMaterialError.tooOpen(path: file.path, mode: "644")) { try file.read() }
    }

    @Test func keyFromEnvironmentMustBe32Base64Bytes() throws {
        let key = MasterKey.generate()
        #expect(try MasterKey.load(path: nil, environment: ["VRS_MASTER_KEY": key.base64EncodedString()]).id == key.id)
        #expect(throws: KeyMaterialError.wrongLength(16)) {
            try MasterKey.load(path: nil, environment: ["VRS_MASTER_KEY": Data(count: 16).base64EncodedString()])
        }
        #expect(throws: KeyMaterialError.notBase64(source: "VRS_MASTER_KEY")) {
            try MasterKey.load(path: nil, environment: ["VRS_MASTER_KEY": "not base64!"])
        }
        #expect(throws: KeyMaterialError.missing) { try MasterKey.load(path: nil, environment: [:]) }
    }
}
