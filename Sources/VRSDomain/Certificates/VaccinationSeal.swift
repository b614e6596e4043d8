import Foundation

/// The travel document a VDS-NC seal is tied to, as its holder presents it (Doc 9303 Latin
/// characters, as in the passport's machine-readable zone).
public struct TravelDocument: Sendable, Equatable {
    /// Travel document number: 1–11 of A–Z and 0–9 (pid.i).
    public let number: String
    public let surname: String
    public let givenName: String
    /// ISO 3166-1 alpha-3 (or a Doc 9303 code such as D for Germany), as printed.
    public let nationality: String

    /// A checked travel document, exactly as its machine-readable zone prints it (capitals, no
    /// surrounding spaces: nothing is rewritten, so what the contract refuses is what the server
    /// refuses); the refusals name the field (`passport.number` and so on).
    public init(number: String, surname: String, givenName: String, nationality: String) throws(FieldRefusal) {
        func capitals(_ c: Character) -> Bool { c.isASCII && c.isUppercase }
        guard (1...11).contains(number.count), number.allSatisfy({ capitals($0) || ($0.isASCII && $0.isNumber) }) else {
            throw FieldRefusal(field: "passport.number", code: "format", message: "must be 1–11 capital letters A–Z or digits")
        }
        func latin(_ text: String, _ field: String) throws(FieldRefusal) {
            guard text.contains(where: capitals), text.allSatisfy({ $0 == " " || $0 == "-" || capitals($0) }) else {
                throw FieldRefusal(field: field, code: "format", message: "must be capital Latin letters, spaces or hyphens, as in the passport")
            }
        }
        try latin(surname, "passport.surname")
        try latin(givenName, "passport.givenName")
        guard surname.count + 1 + givenName.count <= 39 else {
            throw FieldRefusal(field: "passport.givenName", code: "too_long", message: "surname and given name together must fit 39 characters (pid.n)")
        }
        guard (1...3).contains(nationality.count), nationality.allSatisfy(capitals) else {
            throw FieldRefusal(field: "passport.nationality", code: "format", message: "must be the passport's 3-letter code in capitals, such as JPN")
        }
        self.number = number
        self.surname = surname
        self.givenName = givenName
        self.nationality = nationality
    }
}

/// A field a caller sent that a rule refuses: which, the machine code, and why.
public struct FieldRefusal: Error, Equatable, Sendable {
    public let field: String
    public let code: String
    public let message: String
}

/// The `data` of an ICAO VDS-NC proof of vaccination (`icao.vacc`, version 1; the WHO dataset):
/// header, certificate id (uvci), the holder as their passport names them, and each vaccine
/// with its doses. No Individual Number, no address number.
public enum VaccinationSeal {
    /// One dose as the seal states it.
    public struct Dose: Sendable, Equatable {
        public let productCode: String
        public let dose: Int
        /// `YYYY-MM-DD`.
        public let vaccinatedOn: String
        public let lotNumber: String
        /// The administering centre (at most 20 characters are kept).
        public let centre: String?

        /// A dose as the seal will show it.
        public init(productCode: String, dose: Int, vaccinatedOn: String, lotNumber: String, centre: String?) {
            self.productCode = productCode
            self.dose = dose
            self.vaccinatedOn = vaccinatedOn
            self.lotNumber = lotNumber
            self.centre = centre
        }
    }

    /// ICD-11 extension codes of the vaccine type, and the product names verifiers know, by the
    /// product table's code (its prefix names the maker's product line).
    static func vaccine(_ productCode: String) -> (des: String, nam: String) {
        switch productCode.split(separator: "-").prefix(2).joined(separator: "-") {
        case "pfizer-comirnaty": ("XM0GQ8", "Comirnaty")                 // mRNA
        case "moderna-spikevax": ("XM0GQ8", "Spikevax")
        case "daiichisankyo-daichirona": ("XM0GQ8", "Daichirona")
        case "astrazeneca-vaxzevria": ("XM9QW8", "Vaxzevria")           // non-replicating viral vector
        case "novavax-nuvaxovid": ("XM5JC5", "Nuvaxovid")               // protein subunit
        default: ("XM68M6", productCode)                                 // COVID-19 vaccine, unspecified
        }
    }

    /// The seal's `data`; `uvci` is the certificate's unique identifier (12 characters at most).
    public static func data(uvci: String, holder: CertificateHolder, sex: String?, passport: TravelDocument, doses: [Dose]) -> CanonicalJSON {
        var pid: [String: CanonicalJSON] = [
            "n": .string(passport.surname + " " + passport.givenName), "dob": .string(holder.birthDate), "i": .string(passport.number),
        ]
        if let sex, ["M", "F"].contains(sex) { pid["sex"] = .string(sex) }
        var byProduct: [(product: String, doses: [Dose])] = []
        for dose in doses {
            if let index = byProduct.firstIndex(where: { $0.product == dose.productCode }) { byProduct[index].doses.append(dose) } else {
                byProduct.append((dose.productCode, [dose]))
            }
        }
        let events: [CanonicalJSON] = byProduct.map { product, doses in
            let vaccine = vaccine(product)
            return .object([
                "des": .string(vaccine.des), "nam": .string(vaccine.nam), "dis": .string("RA01.0"),   // COVID-19
                "vd": .array(doses.map { dose in
                    var detail: [String: CanonicalJSON] = [
                        "dvc": .string(dose.vaccinatedOn), "seq": .integer(dose.dose), "ctr": .string("JPN"), "lot": .string(dose.lotNumber),
                    ]
                    if let centre = dose.centre, !centre.isEmpty { detail["adm"] = .string(String(centre.prefix(20))) }
                    return .object(detail)
                }),
            ])
        }
        return .object([
            "hdr": .object(["t": .string("icao.vacc"), "v": .integer(1), "is": .string("JPN")]),
            "msg": .object(["uvci": .string(uvci), "pid": .object(pid), "ve": .array(events)]),
        ])
    }
}
