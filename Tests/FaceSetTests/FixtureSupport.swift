import Foundation
import XCTest
@testable import FaceSet

/// Access to the committed fixture files (Fixtures/ is copied into the test bundle).
enum Fixture {
    static var root: URL {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
    }

    static func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: root.appendingPathComponent(path)))
    }

    static func json(_ path: String) throws -> JSON {
        try JSONDecoder().decode(JSON.self, from: Data(contentsOf: root.appendingPathComponent(path)))
    }

    static func jsonLines(_ path: String) throws -> [JSON] {
        let text = String(decoding: try Data(contentsOf: root.appendingPathComponent(path)), as: UTF8.self)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(JSON.self, from: Data($0.utf8)) }
    }
}

/// A JSON value decoded with `JSONDecoder` (which parses doubles exactly; JSONSerialization on Linux
/// rounds some of them).
enum JSON: Decodable {
    case null, bool(Bool), number(Double), string(String), array([JSON]), object([String: JSON])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSON].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSON].self)) }
    }

    subscript(key: String) -> JSON? {
        if case let .object(o) = self { return o[key] }
        return nil
    }
    var array: [JSON]? { if case let .array(a) = self { return a }; return nil }
    var string: String? { if case let .string(s) = self { return s }; return nil }
    var double: Double? { if case let .number(d) = self { return d }; return nil }
    var int: Int? { double.flatMap { Int(exactly: $0) } }
    var bool: Bool? { if case let .bool(b) = self { return b }; return nil }
    var isNull: Bool { if case .null = self { return true }; return false }
}

/// JSON numbers → Swift values (nil for JSON null or a missing key).
func doubles(_ j: JSON?) -> [Double]? { j?.array?.compactMap(\.double) }
func ints(_ j: JSON?) -> [Int]? { j?.array?.compactMap(\.int) }
func points(_ j: JSON?) -> [SIMD2<Double>]? {
    j?.array?.compactMap { doubles($0).map { SIMD2($0[0], $0[1]) } }
}

func assertPoints(_ a: [SIMD2<Double>]?, _ b: [SIMD2<Double>]?, _ what: String,
                  file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a?.count, b?.count, "\(what) count", file: file, line: line)
    guard let a, let b, a.count == b.count else { return }
    for (p, q) in zip(a, b) { XCTAssertEqual(p, q, "\(what) exact value", file: file, line: line) }
}

func hexBytes(_ s: String) -> [UInt8] {
    var out: [UInt8] = []
    var i = s.startIndex
    while i < s.endIndex {
        let j = s.index(i, offsetBy: 2)
        out.append(UInt8(s[i..<j], radix: 16)!)
        i = j
    }
    return out
}

/// Small deterministic RNG (SplitMix64) for the fuzz test.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
