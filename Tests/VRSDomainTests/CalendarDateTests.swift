import Foundation
import Testing
import VRSDomain

@Suite("Calendar date")
struct CalendarDateTests {
    @Test("parses YYYY-MM-DD and YYYYMMDD to the same date")
    func parse() throws {
        let date = try CalendarDate("2021-04-12")
        #expect(try CalendarDate("20210412") == date)
        #expect(try CalendarDate("２０２１０４１２") == date)
        #expect((date.year, date.month, date.day) == (2021, 4, 12))
        #expect(date.description == "2021-04-12")
        #expect(date.compactDescription == "20210412")
    }

    @Test("impossible dates name the part that is out of range")
    func invalid() throws {
        #expect(throws: ValidationError(field: "date", rule: .outOfRange(position: 9, allowed: 1...28))) {
            try CalendarDate("2023-02-29")
        }
        #expect(throws: ValidationError(field: "date", rule: .outOfRange(position: 7, allowed: 1...30))) {
            try CalendarDate("20230431")
        }
        #expect(throws: ValidationError(field: "date", rule: .outOfRange(position: 6, allowed: 1...12))) {
            try CalendarDate("2023-13-01")
        }
        #expect(throws: ValidationError(field: "date", rule: .separator(position: 5))) {
            try CalendarDate("2023/01/01")
        }
        #expect(throws: ValidationError(field: "date", rule: .length(expected: [8, 10], actual: 9))) {
            try CalendarDate("2023-1-01")
        }
        #expect(throws: ValidationError(field: "date", rule: .empty)) { try CalendarDate("") }
        #expect(try CalendarDate("2024-02-29").day == 29)
        #expect(throws: ValidationError.self) { try CalendarDate("1900-02-29") }
        #expect(try CalendarDate("2000-02-29").day == 29)
    }

    @Test("orders chronologically and is Codable as YYYY-MM-DD")
    func orderAndCodable() throws {
        #expect(try CalendarDate("2021-12-31") < CalendarDate("2022-01-01"))
        #expect(try CalendarDate("2022-01-09") < CalendarDate("2022-01-10"))
        struct Body: Codable { let vaccinatedOn: CalendarDate }
        let body = try JSONDecoder().decode(Body.self, from: Data(#"{"vaccinatedOn":"20210412"}"#.utf8))
        #expect(String(decoding: try JSONEncoder().encode(body), as: UTF8.self) == #"{"vaccinatedOn":"2021-04-12"}"#)
        #expect(throws: ValidationError(field: "vaccinatedOn", rule: .outOfRange(position: 6, allowed: 1...12))) {
            try JSONDecoder().decode(Body.self, from: Data(#"{"vaccinatedOn":"2021-00-12"}"#.utf8))
        }
    }

    @Test("day arithmetic round-trips and agrees with known day counts")
    func days() throws {
        #expect(try CalendarDate("1970-01-01").daysSinceEpoch == 0)
        #expect(try CalendarDate("2000-03-01").daysSinceEpoch == 11_017)
        #expect(try CalendarDate("1930-01-01").daysSinceEpoch == -14_610)
        #expect(try CalendarDate("2021-04-12").adding(days: 21) == CalendarDate("2021-05-03"))
        #expect(try CalendarDate("2021-04-12").days(until: CalendarDate("2021-05-10")) == 28)
        for day in stride(from: -30_000, through: 30_000, by: 7) {
            let date = CalendarDate(daysSinceEpoch: day)
            #expect(date.daysSinceEpoch == day)
            #expect(try CalendarDate(date.description) == date)
        }
    }

    @Test("age counts completed years")
    func age() throws {
        let born = try CalendarDate("1956-04-12")
        #expect(born.age(on: try CalendarDate("2021-04-11")) == 64)
        #expect(born.age(on: try CalendarDate("2021-04-12")) == 65)
        let leapling = try CalendarDate("2000-02-29")
        #expect(leapling.age(on: try CalendarDate("2001-02-28")) == 0)
        #expect(leapling.age(on: try CalendarDate("2001-03-01")) == 1)
    }
}
