/// A value decoded from (or to be encoded as) a Python pickle, limited to what DeepFaceLab stores.
/// Anything the reader does not understand is kept as `.opaque`; nothing is ever executed.
public indirect enum PickleValue: Equatable, Sendable {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case list([PickleValue])
    case tuple([PickleValue])
    /// A dict as its ordered key/value pairs (pickle order = Python insertion order).
    case dict([PicklePair])
    case ndarray(NDArray)
    case opaque(PickleOpaque)

    /// The value for a string key of a dict (the last one wins, as in Python); nil for non-dicts.
    public subscript(key: String) -> PickleValue? {
        guard case let .dict(pairs) = self else { return nil }
        return pairs.last(where: { $0.key == .string(key) })?.value
    }

    /// List or tuple elements; nil for anything else.
    public var sequence: [PickleValue]? {
        switch self {
        case let .list(a), let .tuple(a): return a
        default: return nil
        }
    }

    /// A Python number as Double (int, float or bool); nil otherwise.
    public var doubleValue: Double? {
        switch self {
        case let .int(i): return Double(i)
        case let .float(d): return d
        case let .bool(b): return b ? 1 : 0
        default: return nil
        }
    }

    /// A Python int (or bool) as Int; nil otherwise.
    public var intValue: Int? {
        switch self {
        case let .int(i): return i
        case let .bool(b): return b ? 1 : 0
        default: return nil
        }
    }

    /// The string, if this is a str.
    public var stringValue: String? {
        if case let .string(s) = self { return s }
        return nil
    }

    /// True when this value or anything inside it is `.opaque`.
    public var containsOpaque: Bool {
        switch self {
        case .opaque: return true
        case let .list(a), let .tuple(a): return a.contains { $0.containsOpaque }
        case let .dict(p): return p.contains { $0.key.containsOpaque || $0.value.containsOpaque }
        default: return false
        }
    }
}

/// One key/value entry of a pickled dict.
public struct PicklePair: Equatable, Sendable {
    public var key: PickleValue
    public var value: PickleValue
    public init(_ key: PickleValue, _ value: PickleValue) {
        self.key = key
        self.value = value
    }
}

/// A global the reader does not interpret (e.g. `os.system`), with what the pickle would have passed to it.
/// Kept only so parsing goes on; it is never called, and the writer refuses to emit it.
public struct PickleOpaque: Equatable, Sendable {
    public var module: String
    public var name: String
    /// The argument tuple of REDUCE/NEWOBJ, if the global was called.
    public var args: PickleValue?
    /// The BUILD state, if one was applied.
    public var state: PickleValue?
    public init(module: String, name: String, args: PickleValue? = nil, state: PickleValue? = nil) {
        self.module = module
        self.name = name
        self.args = args
        self.state = state
    }
}
