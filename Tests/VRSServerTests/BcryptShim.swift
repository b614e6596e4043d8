import HummingbirdBcrypt

/// bcrypt at cost 4 for fixtures (production uses ≥ 12).
enum HummingbirdBcryptShim {
    static func hash(_ password: String) -> String { Bcrypt.hash(password, cost: 4) }
}
