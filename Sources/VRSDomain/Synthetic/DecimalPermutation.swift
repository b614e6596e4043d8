/// A keyed bijection on `0..<domain`, so every index gets its own number and the numbers look
/// scattered rather than sequential. A balanced Feistel network on the smallest even number of bits
/// covering the domain, with cycle walking to stay inside it (each step is itself a permutation).
struct DecimalPermutation: Sendable {
    let domain: UInt64
    private let halfBits: UInt64
    private let halfMask: UInt64
    private let keys: (UInt64, UInt64, UInt64, UInt64)

    init(domain: UInt64, key: UInt64) {
        self.domain = domain
        var bits: UInt64 = 2
        while (UInt64(1) << bits) < domain { bits += 2 }
        halfBits = bits / 2
        halfMask = (UInt64(1) << halfBits) - 1
        var generator = SplitMix64(seed: key)
        keys = (generator.next(), generator.next(), generator.next(), generator.next())
    }

    /// The image of `value` (which must be below `domain`).
    func callAsFunction(_ value: UInt64) -> UInt64 {
        var result = value
        repeat { result = round4(result) } while result >= domain
        return result
    }

    private func round4(_ value: UInt64) -> UInt64 {
        var left = value >> halfBits
        var right = value & halfMask
        // Unrolled: an array of keys here would allocate on every call.
        (left, right) = (right, left ^ (SplitMix64.mix(right ^ keys.0) & halfMask))
        (left, right) = (right, left ^ (SplitMix64.mix(right ^ keys.1) & halfMask))
        (left, right) = (right, left ^ (SplitMix64.mix(right ^ keys.2) & halfMask))
        (left, right) = (right, left ^ (SplitMix64.mix(right ^ keys.3) & halfMask))
        return (left << halfBits) | right
    }
}
