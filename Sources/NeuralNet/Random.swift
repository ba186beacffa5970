/// A small seeded generator (SplitMix64) so that initialisation and dropout masks are reproducible.
public struct SeededRNG: RandomNumberGenerator {
    private var state: UInt64

    /// A generator starting from `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform float in [0, 1) with 24 random bits.
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }
}

public enum Initializer {
    /// Glorot (Xavier) uniform: U(-L, L), L = sqrt(6 / (fanIn + fanOut)) — TF's default for leras convs and
    /// the explicit initialiser of its dense layers (docs/saehd-model.md §1.0).
    public static func glorotUniform(_ t: Tensor, fanIn: Int, fanOut: Int, rng: inout SeededRNG) {
        let limit = (6.0 / Float(fanIn + fanOut)).squareRoot()
        for i in 0..<t.count { t.data[i] = (rng.nextUnitFloat() * 2 - 1) * limit }
    }
}
