import Foundation
import Testing
import VRSCrypto
import VRSDomain

@Suite("Individual Number cipher and blind index")
struct IndividualNumberCipherTests {
    let chiba = try! MunicipalityCode("121002")
    let chiyoda = try! MunicipalityCode("131016")
    let number = try! IndividualNumber("123456789018")

    @Test func sealedNumberOpensToTheSameNumber() throws {
        let cipher = IndividualNumberCipher(keys: .generate(for: chiba, version: 1))
        let sealed = cipher.seal(number)
        #expect(try cipher.open(sealed).revealDigits() == "123456789018")
        #expect(sealed.count == IndividualNumberCipher.ciphertextLength)
        #expect(IndividualNumberCipher.keyVersion(of: sealed) == 1)
    }

    @Test func ciphertextCarriesNoDigitsAndDiffersEachTime() {
        let cipher = IndividualNumberCipher(keys: .generate(for: chiba, version: 1))
        let first = cipher.seal(number), second = cipher.seal(number)
        #expect(first != second)
        #expect(first.range(of: Data("123456789018".utf8)) == nil)
    }

    @Test func ciphertextCopiedToAnotherMunicipalityDoesNotOpen() {
        let keys = MunicipalityKeys.generate(for: chiba, version: 1)
        let sealed = IndividualNumberCipher(keys: keys).seal(number)
        // Even with the same key bytes, the additional data names the municipality.
        let elsewhere = IndividualNumberCipher(keys: .generate(for: chiyoda, version: 1))
        #expect(throws: CipherError.authenticationFailed) { try elsewhere.open(sealed) }
    }

    @Test func tamperedCiphertextIsRejected() {
        let cipher = IndividualNumberCipher(keys: .generate(for: chiba, version: 1))
        var sealed = cipher.seal(number)
        sealed[sealed.count - 1] ^= 0x01
        #expect(throws: CipherError.authenticationFailed) { try cipher.open(sealed) }
        #expect(throws: CipherError.malformed) { try cipher.open(sealed.prefix(20)) }
    }

    @Test func ciphertextOfAnotherKeyVersionIsNamedAsSuch() {
        let v1 = IndividualNumberCipher(keys: .generate(for: chiba, version: 1))
        let v2 = IndividualNumberCipher(keys: .generate(for: chiba, version: 2))
        #expect(throws: CipherError.wrongKeyVersion(expected: 2, found: 1)) { try v2.open(v1.seal(number)) }
    }

    @Test func blindIndexIsStablePerMunicipalityAndDiffersBetweenThem() {
        let a = IndividualNumberCipher(keys: .generate(for: chiba, version: 1))
        let b = IndividualNumberCipher(keys: .generate(for: chiyoda, version: 1))
        #expect(a.blindIndex(number) == a.blindIndex(number))
        #expect(a.blindIndex(number).count == 32)
        #expect(a.blindIndex(number) != b.blindIndex(number))
        #expect(a.blindIndex(number) != a.blindIndex(try! IndividualNumber("983205673214")))
    }
}
