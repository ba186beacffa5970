/// Reads the subset of Python's pickle format that DeepFaceLab writes (protocols 2–5,
/// docs/dfl-faceset.md §1.8).
///
/// Safety: no global is ever imported or called. numpy arrays/dtypes/scalars and DFL's IntEnums are
/// interpreted from their bytes; every other global becomes `PickleValue.opaque`. Every length is checked
/// against the remaining input, and the stack, memo and nesting depth are bounded, so malformed input throws
/// `FaceSetError.pickle` instead of trapping.
public enum PickleReader {
    /// Limits that keep hostile input cheap.
    public struct Limits: Sendable {
        public var maxStack = 1 << 20
        public var maxMemo = 1 << 20
        public var maxDepth = 64
        /// Upper bound on values produced when expanding shared references (memo gets).
        public var maxValues = 4 << 20
        public init() {}
    }

    /// Decodes one pickle; trailing bytes after STOP are ignored, as Python does.
    public static func read(_ bytes: [UInt8], limits: Limits = Limits()) throws -> PickleValue {
        var machine = Machine(bytes: bytes, limits: limits)
        defer { machine.tearDown() }
        let root = try machine.run()
        var budget = limits.maxValues
        return try root.value(depth: 0, limits: limits, budget: &budget)
    }
}

/// A node of the object graph being built. Reference semantics so that memo gets and in-place BUILD/APPEND
/// behave as in Python (a memoised dtype is later BUILT, a memoised list is later APPENDed to).
private final class Node {
    enum Kind {
        case scalar(PickleValue)
        case list([Node])
        case tuple([Node])
        case dict([(Node, Node)])
        case global(module: String, name: String)
        case dtype(typeString: String, byteOrder: String)
        /// `_reconstruct(ndarray, …)` before BUILD gives it content.
        case emptyArray
        case array(NDArray)
        case opaque(module: String, name: String, args: Node?, state: Node?)
    }
    var kind: Kind
    init(_ kind: Kind) { self.kind = kind }

    func value(depth: Int, limits: PickleReader.Limits, budget: inout Int) throws -> PickleValue {
        guard depth <= limits.maxDepth else { throw FaceSetError.pickle("nesting deeper than \(limits.maxDepth)", offset: -1) }
        budget -= 1
        guard budget >= 0 else { throw FaceSetError.pickle("too many values (shared references expand too far)", offset: -1) }
        func sub(_ n: Node) throws -> PickleValue { try n.value(depth: depth + 1, limits: limits, budget: &budget) }
        switch kind {
        case let .scalar(v): return v
        case let .list(a): return .list(try a.map(sub))
        case let .tuple(a): return .tuple(try a.map(sub))
        case let .dict(p): return .dict(try p.map { PicklePair(try sub($0.0), try sub($0.1)) })
        case let .global(m, n): return .opaque(PickleOpaque(module: m, name: n))
        case let .dtype(t, b):
            return .opaque(PickleOpaque(module: "numpy", name: "dtype", args: .tuple([.string(t)]), state: .string(b)))
        case .emptyArray: return .opaque(PickleOpaque(module: "numpy", name: "ndarray"))
        case let .array(a): return .ndarray(a)
        case let .opaque(m, n, args, state):
            return .opaque(PickleOpaque(module: m, name: n, args: try args.map(sub), state: try state.map(sub)))
        }
    }
}

private struct Machine {
    let bytes: [UInt8]
    let limits: PickleReader.Limits
    var pos = 0
    var stack: [Node] = []
    var marks: [Int] = []
    var memo: [Int: Node] = [:]
    var opStart = 0
    /// Every node made, so teardown can cut all links iteratively (no deep recursive deinit, no cycles leaked).
    var nodes: [Node] = []

    mutating func make(_ kind: Node.Kind) -> Node {
        let n = Node(kind)
        nodes.append(n)
        return n
    }

    func tearDown() {
        for n in nodes { n.kind = .scalar(.none) }
    }

    init(bytes: [UInt8], limits: PickleReader.Limits) {
        self.bytes = bytes
        self.limits = limits
    }

    func fail(_ message: String) -> FaceSetError { .pickle(message, offset: opStart) }

    // MARK: Input

    mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= bytes.count - pos else {
            throw fail("length \(n) runs past the end of the data (\(bytes.count - pos) bytes left)")
        }
        defer { pos += n }
        return bytes[pos..<pos + n]
    }

    mutating func u8() throws -> Int {
        let s = try take(1)
        return Int(s[s.startIndex])
    }

    /// Little-endian unsigned integer of `n` bytes (n ≤ 8).
    mutating func uLE(_ n: Int) throws -> UInt64 {
        var v: UInt64 = 0
        for (i, b) in try take(n).enumerated() { v |= UInt64(b) << UInt64(8 * i) }
        return v
    }

    /// A u32/u64 length, checked to fit the remaining input before anything is allocated.
    mutating func length(_ n: Int) throws -> Int {
        let v = try uLE(n)
        guard v <= UInt64(bytes.count - pos) else {
            throw fail("length \(v) runs past the end of the data (\(bytes.count - pos) bytes left)")
        }
        return Int(v)
    }

    mutating func utf8(_ n: Int) throws -> String {
        let raw = try take(n)
        guard let s = String(validating: raw, as: UTF8.self) else { throw fail("string is not valid UTF-8") }
        return s
    }

    mutating func line() throws -> String {
        guard let nl = bytes[pos...].firstIndex(of: 0x0A) else { throw fail("unterminated GLOBAL name") }
        let s = try utf8(nl - pos)
        pos += 1
        return s
    }

    // MARK: Stack

    mutating func push(_ n: Node) throws {
        guard stack.count < limits.maxStack else { throw fail("stack deeper than \(limits.maxStack)") }
        stack.append(n)
    }

    mutating func push(_ v: PickleValue) throws { try push(make(.scalar(v))) }

    mutating func pop() throws -> Node {
        guard stack.count > (marks.last ?? 0), let n = stack.popLast() else {
            throw fail("stack underflow")
        }
        return n
    }

    mutating func top() throws -> Node {
        guard let n = stack.last, stack.count > (marks.last ?? 0) else { throw fail("stack underflow") }
        return n
    }

    /// Pops everything above the last MARK (and the mark).
    mutating func popMark() throws -> [Node] {
        guard let m = marks.popLast() else { throw fail("no MARK on the stack") }
        let items = Array(stack[m...])
        stack.removeSubrange(m...)
        return items
    }

    mutating func memoPut(_ index: Int) throws {
        guard memo.count < limits.maxMemo || memo[index] != nil else { throw fail("memo larger than \(limits.maxMemo)") }
        memo[index] = try top()
    }

    mutating func memoGet(_ index: Int) throws {
        guard let n = memo[index] else { throw fail("memo index \(index) was never stored") }
        try push(n)
    }

    // MARK: Main loop

    mutating func run() throws -> Node {
        while true {
            opStart = pos
            guard pos < bytes.count else { throw fail("data ends before STOP") }
            let op = bytes[pos]
            pos += 1
            switch op {
            case 0x80: // PROTO
                let p = try u8()
                guard p >= 2 && p <= 5 else { throw fail("unsupported pickle protocol \(p)") }
            case 0x95: _ = try uLE(8) // FRAME: framing is only a read-ahead hint
            case 0x2E: // STOP
                guard marks.isEmpty, stack.count == 1, let r = stack.first else {
                    throw fail("STOP with \(stack.count) values on the stack")
                }
                return r
            case 0x7D: try push(make(.dict([])))
            case 0x5D: try push(make(.list([])))
            case 0x29: try push(make(.tuple([])))
            case 0x28: // MARK
                guard marks.count < limits.maxStack else { throw fail("too many MARKs") }
                marks.append(stack.count)
            case 0x30: _ = try pop() // POP
            case 0x31: _ = try popMark() // POP_MARK
            case 0x73: // SETITEM
                let v = try pop(), k = try pop()
                try setItems(try top(), [(k, v)])
            case 0x75: // SETITEMS
                let items = try popMark()
                guard items.count % 2 == 0 else { throw fail("SETITEMS with an odd number of values") }
                let pairs = stride(from: 0, to: items.count, by: 2).map { (items[$0], items[$0 + 1]) }
                try setItems(try top(), pairs)
            case 0x61: // APPEND
                let v = try pop()
                try append(try top(), [v])
            case 0x65: // APPENDS
                let items = try popMark()
                try append(try top(), items)
            case 0x74: try push(make(.tuple(try popMark()))) // TUPLE
            case 0x85: try push(make(.tuple([try pop()])))
            case 0x86:
                let b = try pop(), a = try pop()
                try push(make(.tuple([a, b])))
            case 0x87:
                let c = try pop(), b = try pop(), a = try pop()
                try push(make(.tuple([a, b, c])))
            case 0x58: try push(.string(try utf8(try length(4)))) // BINUNICODE
            case 0x8C: try push(.string(try utf8(try u8()))) // SHORT_BINUNICODE
            case 0x8D: try push(.string(try utf8(try length(8)))) // BINUNICODE8
            case 0x47: // BINFLOAT, big-endian
                var v: UInt64 = 0
                for b in try take(8) { v = (v << 8) | UInt64(b) }
                try push(.float(Double(bitPattern: v)))
            case 0x4B: try push(.int(try u8())) // BININT1
            case 0x4D: try push(.int(Int(try uLE(2)))) // BININT2
            case 0x4A: try push(.int(Int(Int32(truncatingIfNeeded: try uLE(4))))) // BININT
            case 0x8A: // LONG1
                let n = try u8()
                try push(.int(try long(try take(n))))
            case 0x8B: // LONG4
                let n = try length(4)
                try push(.int(try long(try take(n))))
            case 0x4E: try push(.none)
            case 0x88: try push(.bool(true))
            case 0x89: try push(.bool(false))
            case 0x43, 0x55: try push(.bytes(Array(try take(try u8())))) // SHORT_BINBYTES, SHORT_BINSTRING (py2 str)
            case 0x54: // BINSTRING (py2 str; a signed length)
                let n = Int32(truncatingIfNeeded: try uLE(4))
                guard n >= 0 else { throw fail("negative BINSTRING length") }
                try push(.bytes(Array(try take(Int(n)))))
            case 0x42: try push(.bytes(Array(try take(try length(4))))) // BINBYTES
            case 0x8E, 0x96: try push(.bytes(Array(try take(try length(8))))) // BINBYTES8, BYTEARRAY8
            case 0x63: // GLOBAL
                let module = try line(), name = try line()
                try push(make(.global(module: module, name: name)))
            case 0x93: // STACK_GLOBAL
                let n = try pop(), m = try pop()
                guard case let .scalar(.string(name)) = n.kind, case let .scalar(.string(module)) = m.kind else {
                    throw fail("STACK_GLOBAL needs two strings")
                }
                try push(make(.global(module: module, name: name)))
            case 0x52, 0x81: // REDUCE, NEWOBJ
                let args = try pop(), callable = try pop()
                try push(try call(callable, args))
            case 0x62: // BUILD
                let state = try pop()
                try build(try top(), state)
            case 0x71: try memoPut(try u8()) // BINPUT
            case 0x72: try memoPut(Int(try uLE(4))) // LONG_BINPUT
            case 0x94: try memoPut(memo.count) // MEMOIZE
            case 0x68: try memoGet(try u8()) // BINGET
            case 0x6A: try memoGet(Int(try uLE(4))) // LONG_BINGET
            default:
                throw fail("unsupported pickle opcode 0x\(String(op, radix: 16))")
            }
        }
    }

    /// Two's-complement little-endian integer of up to 8 bytes.
    func long(_ raw: ArraySlice<UInt8>) throws -> Int {
        guard raw.count <= 8 else { throw fail("integer of \(raw.count) bytes is too large") }
        guard let last = raw.last else { return 0 }
        var v: UInt64 = last & 0x80 != 0 ? ~0 : 0
        for b in raw.reversed() { v = (v << 8) | UInt64(b) }
        return Int(Int64(bitPattern: v))
    }

    func setItems(_ target: Node, _ pairs: [(Node, Node)]) throws {
        switch target.kind {
        case var .dict(p):
            target.kind = .scalar(.none) // release the array buffer so appending does not copy
            p.append(contentsOf: pairs)
            target.kind = .dict(p)
        case .opaque: break // setting items on an unknown object: ignore, keep parsing
        default: throw fail("SETITEM(S) on a value that is not a dict")
        }
    }

    func append(_ target: Node, _ items: [Node]) throws {
        switch target.kind {
        case var .list(a):
            target.kind = .scalar(.none)
            a.append(contentsOf: items)
            target.kind = .list(a)
        case .opaque: break
        default: throw fail("APPEND(S) on a value that is not a list")
        }
    }

    // MARK: Calls (interpreted, never executed)

    mutating func call(_ callable: Node, _ argsNode: Node) throws -> Node {
        guard case let .global(module, name) = callable.kind else {
            if case let .opaque(m, n, _, _) = callable.kind {
                return make(.opaque(module: m, name: n, args: argsNode, state: nil))
            }
            throw fail("REDUCE on a value that is not a global")
        }
        guard case let .tuple(args) = argsNode.kind else {
            throw fail("REDUCE arguments are not a tuple")
        }
        let opaque = make(.opaque(module: module, name: name, args: argsNode, state: nil))
        switch (module, name) {
        case ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"):
            return make(.emptyArray)
        case ("numpy", "dtype"):
            guard let first = args.first, case let .scalar(.string(t)) = first.kind else { return opaque }
            return make(.dtype(typeString: t, byteOrder: "="))
        case ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"):
            guard args.count == 2, case let .dtype(t, order) = args[0].kind,
                  case let .scalar(.bytes(raw)) = args[1].kind,
                  let a = try? NDArray(typeString: t, byteOrder: order, shape: [], data: raw) else { return opaque }
            if t.hasPrefix("f"), let d = try? a.doubles().first { return make(.scalar(.float(d))) }
            if t == "b1", let i = try? a.ints().first { return make(.scalar(.bool(i != 0))) }
            if let i = try? a.ints().first { return make(.scalar(.int(i))) }
            return opaque
        case ("_codecs", "encode"):
            // How Python 3 pickles `bytes` at protocol 2: encode(text, 'latin1'). A pure function; decode it.
            guard args.count == 2, case let .scalar(.string(text)) = args[0].kind,
                  case let .scalar(.string(enc)) = args[1].kind, ["latin1", "latin-1", "iso-8859-1"].contains(enc.lowercased()),
                  text.unicodeScalars.allSatisfy({ $0.value < 256 }) else { return opaque }
            return make(.scalar(.bytes(text.unicodeScalars.map { UInt8($0.value) })))
        case ("__builtin__", "bytes"), ("builtins", "bytes"):
            // Protocol 2 writes b'' as bytes(); other argument forms stay opaque.
            guard args.isEmpty else { return opaque }
            return make(.scalar(.bytes([])))
        case ("samplelib.Sample", "SampleType"), ("facelib.FaceType", "FaceType"):
            // DFL IntEnums: the value is the int argument.
            guard args.count == 1, case let .scalar(.int(i)) = args[0].kind else { return opaque }
            return make(.scalar(.int(i)))
        default:
            return opaque
        }
    }

    mutating func build(_ target: Node, _ stateNode: Node) throws {
        switch target.kind {
        case .dtype(let t, _):
            // State: (version, byteorder, subarray, names, fields, elsize, alignment, flags)
            guard case let .tuple(s) = stateNode.kind, s.count >= 2, case let .scalar(.string(order)) = s[1].kind else {
                throw fail("numpy dtype state is not (version, byteorder, …)")
            }
            target.kind = .dtype(typeString: t, byteOrder: order)
        case .emptyArray:
            // State: (version, shape, dtype, is_fortran, raw bytes)
            guard case let .tuple(s) = stateNode.kind, s.count == 5, case let .tuple(dims) = s[1].kind,
                  case let .dtype(t, order) = s[2].kind else {
                throw fail("numpy array state is not (version, shape, dtype, fortran, data)")
            }
            var shape: [Int] = []
            for d in dims {
                guard case let .scalar(.int(i)) = d.kind else { throw fail("numpy array shape is not integers") }
                shape.append(i)
            }
            let fortran: Bool
            switch s[3].kind {
            case let .scalar(.bool(b)): fortran = b
            case let .scalar(.int(i)): fortran = i != 0
            default: throw fail("numpy array fortran flag is not a bool")
            }
            guard case let .scalar(.bytes(raw)) = s[4].kind else {
                // Object arrays keep a list here; keep them, uninterpreted.
                target.kind = .opaque(module: "numpy", name: "ndarray", args: nil, state: stateNode)
                return
            }
            do {
                target.kind = .array(try NDArray(typeString: t, byteOrder: order, shape: shape,
                                                 fortranOrder: fortran, data: raw))
            } catch let e as FaceSetError {
                throw fail(e.description)
            }
        case let .opaque(m, n, args, _):
            target.kind = .opaque(module: m, name: n, args: args, state: stateNode)
        case let .global(m, n):
            target.kind = .opaque(module: m, name: n, args: nil, state: stateNode)
        default:
            throw fail("BUILD on a value that has no state")
        }
    }
}
