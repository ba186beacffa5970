/// An SAEHD model configuration: archi (`df`/`liae` with options `u`, `d`, `t`), resolution, dims and the
/// image channel count (3 for SAEHD, 1 for SAEHDBW). docs/saehd-model.md §1.0–1.6.
public struct ModelConfig: Equatable, Sendable, CustomStringConvertible {
    public enum Archi: String, Sendable { case df, liae }

    public var archi: Archi
    /// Archi options: `u` (pixel norm), `d` (double resolution head), `t` (deeper encoder/decoder).
    public var options: Set<Character>
    public var resolution: Int
    public var aeDims: Int
    public var eDims: Int
    public var dDims: Int
    public var dMaskDims: Int
    public var channels: Int

    /// Errors for a malformed configuration string.
    public struct ParseError: Error, CustomStringConvertible {
        public let description: String
    }

    public init(archi: Archi, options: Set<Character>, resolution: Int, aeDims: Int, eDims: Int, dDims: Int,
                dMaskDims: Int, channels: Int) throws {
        self.archi = archi; self.options = options; self.resolution = resolution; self.aeDims = aeDims
        self.eDims = eDims; self.dDims = dDims; self.dMaskDims = dMaskDims; self.channels = channels
        guard options.isSubset(of: ["u", "d", "t"]) else {
            throw ParseError(description: "archi options must be among u, d, t (the c option is not supported)")
        }
        let multiple = options.contains("d") ? 32 : 16
        guard resolution >= 32, resolution <= 640, resolution % multiple == 0 else {
            throw ParseError(description: "resolution \(resolution) must be in 32...640 and a multiple of \(multiple)")
        }
        if options.contains("t") && resolution % 32 != 0 {
            throw ParseError(description: "the t option needs a resolution that is a multiple of 32")
        }
        guard [aeDims, eDims, dDims, dMaskDims].allSatisfy({ $0 >= 1 && $0 <= 4096 }) else {
            throw ParseError(description: "dims must be in 1...4096")
        }
        guard channels == 1 || channels == 3 else { throw ParseError(description: "channels must be 1 or 3") }
    }

    /// Parses an archi with its options as DFL writes it (`df`, `liae-ud`, `df-udt`).
    public static func parseArchi(_ string: String) throws -> (archi: Archi, options: Set<Character>) {
        let parts = string.lowercased().split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let archi = Archi(rawValue: String(parts[0])) else {
            throw ParseError(description: "archi '\(string)' is not supported (df or liae with options u, d, t)")
        }
        let options = parts.count == 2 ? Set(parts[1]) : []
        if options.contains("c") { throw ParseError(description: "archi '\(string)': the c option is not supported") }
        guard options.isSubset(of: ["u", "d", "t"]) else {
            throw ParseError(description: "archi '\(string)': options must be among u, d, t")
        }
        return (archi, options)
    }

    /// Parses `archi-res-ae-e-d-dm`, e.g. `df-ud-96-256-64-64-22` or `liae-ud-96-32-32-32-16`.
    public init(_ string: String, channels: Int) throws {
        let parts = string.lowercased().split(separator: "-").map(String.init)
        guard parts.count == 6 || parts.count == 7, let archi = Archi(rawValue: parts[0]) else {
            throw ParseError(description: "config '\(string)' is not archi[-opts]-res-ae-e-d-dm")
        }
        let opts = parts.count == 7 ? Set(parts[1]) : []
        let nums = parts.suffix(5).map { Int($0) }
        guard nums.allSatisfy({ $0 != nil }) else { throw ParseError(description: "config '\(string)' has non-numeric sizes") }
        try self.init(archi: archi, options: opts, resolution: nums[0]!, aeDims: nums[1]!, eDims: nums[2]!,
                      dDims: nums[3]!, dMaskDims: nums[4]!, channels: channels)
    }

    /// The same architecture for images with `channels` channels.
    public func withChannels(_ channels: Int) -> ModelConfig {
        var c = self
        c.channels = channels
        return c
    }

    /// The archi with its options as DFL writes it: `df`, `liae-ud`, …
    public var archiName: String {
        let o = ["u", "d", "t"].filter { options.contains(Character($0)) }.joined()
        return archi.rawValue + (o.isEmpty ? "" : "-" + o)
    }

    public var pixelNorm: Bool { options.contains("u") }
    public var doubleHead: Bool { options.contains("d") }
    public var deep: Bool { options.contains("t") }
    /// `lowest_dense_res`: r/32 with `d`, else r/16.
    public var lowest: Int { doubleHead ? resolution / 32 : resolution / 16 }
    /// Encoder output resolution: r/32 with `t`, else r/16.
    public var encoderResolution: Int { deep ? resolution / 32 : resolution / 16 }
    /// Flattened encoder length E.
    public var encoderLength: Int { 8 * eDims * encoderResolution * encoderResolution }
    /// Channels of the inter output (df: ae; liae: 2·ae per inter).
    public var interOutChannels: Int { archi == .df ? aeDims : 2 * aeDims }
    /// Channels of the decoder input (df: ae; liae: 4·ae).
    public var decoderInChannels: Int { archi == .df ? aeDims : 4 * aeDims }

    public var description: String { "\(archiName)-\(resolution)-\(aeDims)-\(eDims)-\(dDims)-\(dMaskDims)" }

    /// DFL's default decoder mask dims for decoder dims `d`: d/3, rounded up to an even number
    /// (docs/saehd-model.md §6.1).
    public static func defaultMaskDims(decoderDims d: Int) -> Int { max(2, d / 3 + (d / 3) % 2) }
}
