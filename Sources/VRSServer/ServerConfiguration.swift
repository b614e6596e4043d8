/// Where the two listeners bind. The LG-WAN listener serves municipal and operator APIs (the only
/// place an Individual Number may travel); the public listener serves tablets.
public struct ServerConfiguration: Sendable {
    /// Address and port of the LG-WAN listener.
    public var lgwanHost: String
    public var lgwanPort: Int
    /// Address and port of the public (tablet) listener.
    public var publicHost: String
    public var publicPort: Int

    /// Defaults: both on loopback, 8080 (LG-WAN) and 8081 (public).
    public init(lgwanHost: String = "127.0.0.1", lgwanPort: Int = 8080, publicHost: String = "127.0.0.1", publicPort: Int = 8081) {
        self.lgwanHost = lgwanHost
        self.lgwanPort = lgwanPort
        self.publicHost = publicHost
        self.publicPort = publicPort
    }
}
