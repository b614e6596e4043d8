import NIOCore
import PostgresNIO
import VRSDomain

/// A municipality code binds as `char(6)`, the type of every `municipality_code` partition key.
///
/// Bound as `text` (what `rawValue` would send), `municipality_code = $1` compares as text, the
/// planner cannot prune, and with ~1,750 partitions a lookup spends ~0.6 s planning every one of
/// them; bound as `bpchar` it plans one partition in ~0.2 ms.
extension MunicipalityCode: PostgresEncodable, PostgresNonThrowingEncodable {
    public static var psqlType: PostgresDataType { .bpchar }
    public static var psqlFormat: PostgresFormat { .binary }

    public func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        byteBuffer.writeString(rawValue)
    }
}
