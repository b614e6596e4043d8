import Foundation
import Logging
import PostgresNIO
import VRSCrypto
import VRSDomain

/// Registers and finds people of one municipality. Every statement binds the municipality code
/// explicitly, so the planner prunes to one partition (RLS filters as well).
public struct PersonRepository: Sendable {
    let keyRing: KeyRing
    let logger: Logger

    /// A repository sealing numbers with keys from `keyRing`.
    public init(keyRing: KeyRing, logger: Logger) {
        self.keyRing = keyRing
        self.logger = logger
    }

    /// Inserts people in one statement; returns their new ids in input order.
    public func insert(_ people: [NewPerson], into municipality: MunicipalityCode, on connection: PostgresConnection) async throws -> [UUID] {
        guard !people.isEmpty else { return [] }
        let cipher = try await keyRing.activeCipher(for: municipality, on: connection, logger: logger)
        let ids = people.map { _ in UUID() }
        let sealed = people.map { ByteBuffer(bytes: cipher.seal($0.individualNumber)) }
        let indexes = people.map { ByteBuffer(bytes: cipher.blindIndex($0.individualNumber)) }
        do {
            try await connection.query(
                """
                INSERT INTO vrs.person (municipality_code, person_id, address_number, individual_number_cipher,
                    individual_number_index, key_version, family_name, given_name, family_name_kana, given_name_kana,
                    birth_date, sex, moved_in_on)
                SELECT \(municipality), id, address, sealed, idx, \(cipher.keyVersion), fn, gn, fk, gk, bd::date, sex,
                       nullif(mi, '')::date
                FROM unnest(\(ids)::uuid[], \(people.map(\.addressNumber))::text[], \(sealed)::bytea[], \(indexes)::bytea[],
                            \(people.map(\.familyName))::text[], \(people.map(\.givenName))::text[],
                            \(people.map(\.familyNameKana))::text[], \(people.map(\.givenNameKana))::text[],
                            \(people.map(\.birthDate.description))::text[], \(people.map(\.sex.rawValue))::text[],
                            \(people.map { $0.movedInOn?.description ?? "" })::text[])
                     AS t(id, address, sealed, idx, fn, gn, fk, gk, bd, sex, mi)
                """,
                logger: logger)
        } catch {
            throw translated(error)
        }
        return ids
    }

    /// Finds a person by the municipality's own address number (宛名番号).
    public func find(addressNumber: String, in municipality: MunicipalityCode, on connection: PostgresConnection) async throws -> PersonRecord? {
        try await first(
            "SELECT \(unescaped: Self.columns) FROM vrs.person WHERE municipality_code = \(municipality) AND address_number = \(addressNumber)",
            municipality: municipality, on: connection)
    }

    /// Finds a person by id.
    public func find(id: UUID, in municipality: MunicipalityCode, on connection: PostgresConnection) async throws -> PersonRecord? {
        try await first(
            "SELECT \(unescaped: Self.columns) FROM vrs.person WHERE municipality_code = \(municipality) AND person_id = \(id)",
            municipality: municipality, on: connection)
    }

    /// Finds a person by Individual Number through the blind index of every key version in use.
    public func find(individualNumber: IndividualNumber, in municipality: MunicipalityCode, on connection: PostgresConnection) async throws -> PersonRecord? {
        let ciphers = try await keyRing.allCiphers(for: municipality, on: connection, logger: logger)
        let indexes = ciphers.map { ByteBuffer(bytes: $0.blindIndex(individualNumber)) }
        return try await first(
            """
            SELECT \(unescaped: Self.columns) FROM vrs.person
            WHERE municipality_code = \(municipality) AND individual_number_index = ANY(\(indexes)::bytea[])
            """,
            municipality: municipality, on: connection)
    }

    /// Finds the person a coupon number (券番号) was issued to, superseded coupons included.
    public func find(couponNumber: CouponNumber, in municipality: MunicipalityCode, on connection: PostgresConnection) async throws -> PersonRecord? {
        try await first(
            """
            SELECT \(unescaped: Self.columns) FROM vrs.person
            WHERE municipality_code = \(municipality) AND person_id = (
                SELECT person_id FROM vrs.coupon WHERE municipality_code = \(municipality) AND coupon_number = \(couponNumber.rawValue))
            """,
            municipality: municipality, on: connection)
    }

    /// Sets a person's status (転出/死亡 flags, or back to active); false when there is no such person.
    public func setStatus(_ status: PersonStatus, effectiveOn: CalendarDate?, destination: MunicipalityCode?, of id: UUID,
                          in municipality: MunicipalityCode, on connection: PostgresConnection) async throws -> Bool {
        try await connection.labelChanges("person.status", logger: logger)
        let rows = try await connection.query(
            """
            UPDATE vrs.person SET status = \(status.rawValue), status_effective_on = \(effectiveOn?.description)::date,
                   destination_code = \(destination?.rawValue)::char(6), updated_at = now()
            WHERE municipality_code = \(municipality) AND person_id = \(id) RETURNING 1
            """,
            logger: logger)
        for try await _ in rows { return true }
        return false
    }

    /// Decrypts a person's Individual Number: only for a caller who needs to see it.
    public func revealIndividualNumber(of person: PersonRecord, on connection: PostgresConnection) async throws -> IndividualNumber {
        let cipher = try await keyRing.cipher(for: person.municipality, version: person.keyVersion, on: connection, logger: logger)
        return try cipher.open(person.sealedIndividualNumber)
    }

    static let columns = """
        person_id, address_number, family_name, given_name, family_name_kana, given_name_kana, birth_date::text, sex::text,
        status, status_effective_on::text, destination_code::text, moved_in_on::text, key_version, individual_number_cipher,
        version, merged_into
        """

    private func first(_ query: PostgresQuery, municipality: MunicipalityCode, on connection: PostgresConnection) async throws -> PersonRecord? {
        let rows = try await connection.query(query, logger: logger)
        for try await row in rows {
            let (id, address, family, given, familyKana, givenKana, birth, sex, status, statusOn, destination, movedIn, keyVersion, sealed,
                 version, mergedInto) =
                try row.decode((UUID, String, String, String, String, String, String, String, String, String?, String?, String?, Int, Data,
                                Int, UUID?).self)
            return PersonRecord(
                id: id, municipality: municipality, addressNumber: address, familyName: family, givenName: given,
                familyNameKana: familyKana, givenNameKana: givenKana, birthDate: try CalendarDate(birth),
                sex: Sex(rawValue: sex) ?? .unknown, status: PersonStatus(rawValue: status) ?? .active,
                statusEffectiveOn: try statusOn.map { try CalendarDate($0) }, destinationCode: destination,
                movedInOn: try movedIn.map { try CalendarDate($0) }, keyVersion: keyVersion, sealedIndividualNumber: sealed,
                version: version, mergedInto: mergedInto)
        }
        return nil
    }
}
