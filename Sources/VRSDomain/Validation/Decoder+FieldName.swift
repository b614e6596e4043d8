extension Decoder {
    /// The nearest named key in the coding path, used as the field of a validation error.
    var fieldName: String? {
        codingPath.last(where: { $0.intValue == nil })?.stringValue
    }
}
