import Foundation
import Testing
import VRSDomain

@Suite("Individual Number: never shown in full")
struct IndividualNumberMaskingTests {
    struct Resident { let name: String; let number: IndividualNumber }

    /// Encodes only the mask, the way a response type must carry a number.
    struct MaskedResident: Encodable {
        let number: IndividualNumber
        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(["personalNumber": number.masked])
        }
    }

    let digits = "983205673214"

    @Test("descriptions, reflection and dump show only ********3214")
    func masked() throws {
        let number = try IndividualNumber(digits)
        var dumped = ""
        dump(number, to: &dumped)
        var dumpedResident = ""
        dump(Resident(name: "佐藤", number: number), to: &dumpedResident)
        let renderings = [
            "\(number)", String(describing: number), String(reflecting: number), dumped, dumpedResident,
            "\([number])", String(describing: Optional(number)), String(reflecting: Resident(name: "佐藤", number: number)),
            Mirror(reflecting: number).children.map { "\($0.value)" }.joined(),
        ]
        for text in renderings {
            #expect(!text.contains(digits))
            #expect(!text.contains("98320567"))
        }
        #expect(number.description == "********3214")
        #expect(String(reflecting: number) == "********3214")
        #expect(dumped.contains("********3214"))
    }

    @Test("it is Decodable but not Encodable; a custom encoding carries only the mask")
    func encoding() throws {
        #expect(!(IndividualNumber.self is any Encodable.Type))
        let number = try IndividualNumber(digits)
        let json = String(decoding: try JSONEncoder().encode(MaskedResident(number: number)), as: UTF8.self)
        #expect(!json.contains(digits))
        #expect(json.contains("********3214"))
    }

    @Test("decoding validates and names the JSON key")
    func decoding() throws {
        struct Body: Decodable { let myNumber: IndividualNumber }
        let body = try JSONDecoder().decode(Body.self, from: Data(#"{"myNumber":"9832-0567-3214"}"#.utf8))
        #expect(body.myNumber.revealDigits() == digits)
        #expect(throws: ValidationError(field: "myNumber", rule: .checkDigit(position: 12))) {
            try JSONDecoder().decode(Body.self, from: Data(#"{"myNumber":"983205673215"}"#.utf8))
        }
    }

    @Test("error messages for invalid numbers never contain the input digits")
    func errorsDoNotEcho() {
        var random = SplitMix64(seed: 7)
        for _ in 0..<2000 {
            let length = Int.random(in: 4...16, using: &random)
            var text = String((0..<length).map { _ in Character(String(Int.random(in: 0...9, using: &random))) })
            if Bool.random(using: &random) {
                let index = text.index(text.startIndex, offsetBy: Int.random(in: 0..<length, using: &random))
                text.replaceSubrange(index...index, with: "x")
            }
            do {
                _ = try IndividualNumber(text)
            } catch {
                for rendered in [error.message, error.description, error.localizedDescription] {
                    #expect(!rendered.contains(text))
                    // Positions and lengths have at most two digits; any longer run would be input.
                    #expect(rendered.firstRange(of: /\d{3,}/) == nil, "\(rendered)")
                }
            }
        }
    }
}
