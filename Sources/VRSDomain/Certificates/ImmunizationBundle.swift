import Foundation

/// Whom a certificate names: the name and birth date a verifier compares with a passport or card,
/// and nothing else (no Individual Number, no address number, no sex).
public struct CertificateHolder: Sendable, Equatable {
    public let familyName: String
    public let givenName: String
    /// `YYYY-MM-DD`.
    public let birthDate: String

    /// A holder as the certificate will show them.
    public init(familyName: String, givenName: String, birthDate: String) {
        self.familyName = familyName
        self.givenName = givenName
        self.birthDate = birthDate
    }
}

/// One recorded dose as a certificate states it.
public struct CertifiedDose: Sendable, Equatable {
    /// `YYYY-MM-DD`.
    public let vaccinatedOn: String
    /// The product's CDC CVX code (`vrs.vaccine_product.cvx_code`).
    public let cvxCode: String
    public let lotNumber: String?
    /// Who gave the dose, as a verifier may read it (the site, or the municipality).
    public let performer: String?

    /// A dose as the certificate will show it.
    public init(vaccinatedOn: String, cvxCode: String, lotNumber: String?, performer: String?) {
        self.vaccinatedOn = vaccinatedOn
        self.cvxCode = cvxCode
        self.lotNumber = lotNumber
        self.performer = performer
    }
}

/// The FHIR R4 bundle of a SMART Health Card (spec.smarthealth.cards, "Modeling W3C Verifiable
/// Credentials in FHIR"): one Patient and one Immunization per dose, with the minimal elements the
/// spec's data-minimisation rules allow; resources are referenced as `resource:N`.
public enum ImmunizationBundle {
    /// The verifiable credential's payload (the JWS payload before compression), minified JSON;
    /// `revocationID` goes into `vc.rid`, which the issuer's revocation list names to revoke it.
    public static func credentialPayload(issuer: String, issuedAt: Date, holder: CertificateHolder, doses: [CertifiedDose],
                                         revocationID: String? = nil) throws -> Data {
        let patient = Entry(fullUrl: "resource:0", resource: .patient(Patient(
            name: [HumanName(family: holder.familyName, given: [holder.givenName])], birthDate: holder.birthDate)))
        let immunizations = doses.enumerated().map { index, dose in
            Entry(fullUrl: "resource:\(index + 1)", resource: .immunization(Immunization(
                vaccineCode: CodeableConcept(coding: [Coding(system: "http://hl7.org/fhir/sid/cvx", code: dose.cvxCode)]),
                patient: Reference(reference: "resource:0"), occurrenceDateTime: dose.vaccinatedOn,
                performer: dose.performer.map { [Performer(actor: Display(display: $0))] }, lotNumber: dose.lotNumber)))
        }
        let payload = Payload(
            iss: issuer, nbf: Int(issuedAt.timeIntervalSince1970),
            vc: Credential(credentialSubject: Subject(fhirBundle: Bundle(entry: [patient] + immunizations)), rid: revocationID))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(payload)
    }

    struct Payload: Encodable {
        let iss: String
        let nbf: Int
        let vc: Credential
    }

    struct Credential: Encodable {
        let type = ["https://smarthealth.cards#health-card", "https://smarthealth.cards#immunization", "https://smarthealth.cards#covid19"]
        let credentialSubject: Subject
        let rid: String?
    }

    struct Subject: Encodable {
        let fhirVersion = "4.0.1"
        let fhirBundle: Bundle
    }

    struct Bundle: Encodable {
        let resourceType = "Bundle"
        let type = "collection"
        let entry: [Entry]
    }

    struct Entry: Encodable {
        let fullUrl: String
        let resource: Resource
    }

    enum Resource: Encodable {
        case patient(Patient)
        case immunization(Immunization)

        func encode(to encoder: any Encoder) throws {
            switch self {
            case .patient(let patient): try patient.encode(to: encoder)
            case .immunization(let immunization): try immunization.encode(to: encoder)
            }
        }
    }

    struct Patient: Encodable {
        let resourceType = "Patient"
        let name: [HumanName]
        let birthDate: String
    }

    struct HumanName: Encodable {
        let family: String
        let given: [String]
    }

    struct Immunization: Encodable {
        let resourceType = "Immunization"
        let status = "completed"
        let vaccineCode: CodeableConcept
        let patient: Reference
        let occurrenceDateTime: String
        let performer: [Performer]?
        let lotNumber: String?
    }

    struct CodeableConcept: Encodable { let coding: [Coding] }
    struct Coding: Encodable { let system: String; let code: String }
    struct Reference: Encodable { let reference: String }
    struct Performer: Encodable { let actor: Display }
    struct Display: Encodable { let display: String }
}
