import Foundation

/// A float32 tensor over an owned (or borrowed) contiguous buffer. Images are NHWC; vectors are (n, features).
///
/// Storage is allocated once, 64-byte aligned, and zero-filled. A *view* shares a contiguous batch range of
/// another tensor's storage (NHWC puts the batch first, so such a range is contiguous) and keeps it alive.
public final class Tensor {
    /// Dimensions, outermost first (e.g. `[n, h, w, c]`).
    public let shape: [Int]
    /// Number of elements.
    public let count: Int
    /// The first element.
    public let data: UnsafeMutablePointer<Float>
    let base: Tensor?
    /// Taken from `GradientPool` (only such tensors may be given back).
    var pooled = false
    /// Currently on the pool's free list.
    var inPool = false
    /// The element count `GradientPool.take` last handed this (pooled) buffer out for.
    var issuedCount = 0
    /// A view of the first samples of `base` made by `reuse` (which may hand out `base` again).
    var isBatchPrefix = false

    /// The tensor owning the storage (self unless this is a view).
    var root: Tensor { base?.root ?? self }

    /// A new zero-filled tensor.
    public init(shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension")
        self.shape = shape
        count = shape.reduce(1, *)
        var raw: UnsafeMutableRawPointer?
        let bytes = max(64, count * MemoryLayout<Float>.stride)
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else { fatalError("out of memory (\(bytes) bytes)") }
        data = raw.bindMemory(to: Float.self, capacity: max(1, count))
        data.initialize(repeating: 0, count: count)
        base = nil
    }

    /// A new tensor holding `values` (count must match the shape).
    public convenience init(shape: [Int], values: [Float]) {
        self.init(shape: shape)
        precondition(values.count == count, "value count \(values.count) does not match shape \(shape)")
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    /// A view of samples `batch` of `base` (outermost dimension), sharing its storage.
    public init(viewOf base: Tensor, batch: Range<Int>) {
        precondition(batch.lowerBound >= 0 && batch.upperBound <= base.shape[0])
        let per = base.count / max(1, base.shape[0])
        shape = [batch.count] + base.shape.dropFirst()
        count = per * batch.count
        data = base.data + per * batch.lowerBound
        self.base = base
    }

    /// A view of the first elements of `base`'s storage with `shape` (at most `base.count` elements).
    init(prefixOf base: Tensor, shape: [Int]) {
        self.shape = shape
        count = shape.reduce(1, *)
        precondition(count <= base.count, "prefix \(shape) of \(base.shape)")
        data = base.data
        self.base = base
    }

    /// A view of the same storage with another shape of equal element count.
    public init(reshaping base: Tensor, to shape: [Int]) {
        precondition(shape.reduce(1, *) == base.count, "reshape \(base.shape) -> \(shape) changes the count")
        self.shape = shape
        count = base.count
        data = base.data
        self.base = base
    }

    deinit {
        if base == nil { free(data) }
    }

    /// The elements as a mutable buffer.
    @inlinable public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: data, count: count) }

    /// The elements copied into an array.
    public var array: [Float] { Array(buffer) }

    /// Batch size (outermost dimension).
    public var batch: Int { shape[0] }

    /// Sets every element to zero.
    public func zero() { data.update(repeating: 0, count: count) }

    /// Reverses the order of the elements along `axis` in place (e.g. the channel axis of an HWIO kernel:
    /// RGB ↔ BGR).
    public func reverse(axis: Int) {
        precondition(shape.indices.contains(axis), "axis \(axis) of shape \(shape)")
        let n = shape[axis]
        let inner = shape[(axis + 1)...].reduce(1, *)
        let outer = shape[..<axis].reduce(1, *)
        guard n > 1, inner > 0 else { return }
        for o in 0..<outer {
            let block = data + o * n * inner
            for i in 0..<(n / 2) {
                let a = block + i * inner, b = block + (n - 1 - i) * inner
                for k in 0..<inner { let t = a[k]; a[k] = b[k]; b[k] = t }
            }
        }
    }

    /// Copies all elements of `other` (same count) into this tensor.
    public func copy(from other: Tensor) {
        precondition(other.count == count)
        data.update(from: other.data, count: count)
    }

    /// Returns `existing` when it already has `shape`; when `shape` differs only in having fewer samples
    /// (outermost dimension) than the buffer `existing` came from, a view of that buffer's first samples
    /// (contents undefined, as always); otherwise a new zeroed tensor of that shape.
    /// Layers call this on every forward, so their buffers are allocated once for the largest batch they
    /// see: a pass over half the batch (the discriminator step's generator pass, a preview batch) and the
    /// full pass after it share one buffer instead of reallocating it each time.
    public static func reuse(_ existing: Tensor?, shape: [Int]) -> Tensor {
        guard let existing else { return Tensor(shape: shape) }
        if existing.shape == shape { return existing }
        // The buffer itself, or the one a smaller batch's view (made here) lies in.
        let owner = existing.isBatchPrefix ? existing.base! : existing
        if owner.base == nil, !owner.pooled, !shape.isEmpty, owner.shape.count == shape.count, shape[0] <= owner.shape[0],
           owner.shape.dropFirst() == shape.dropFirst() {
            if shape[0] == owner.shape[0] { return owner }
            let view = Tensor(viewOf: owner, batch: 0..<shape[0])
            view.isBatchPrefix = true
            return view
        }
        return Tensor(shape: shape)
    }
}

/// A trainable tensor with its gradient. Gradients accumulate until the optimizer consumes them.
public final class Parameter {
    /// Name by network and layer, e.g. `encoder.down1.downs_0.conv1.weight`.
    public var name: String
    /// The weights.
    public let value: Tensor
    /// The accumulated gradient (same shape).
    public let grad: Tensor

    /// A zero-initialised parameter.
    public init(name: String, shape: [Int]) {
        self.name = name
        value = Tensor(shape: shape)
        grad = Tensor(shape: shape)
    }
}

/// Scratch buffers shared by layers that run one after another (im2col columns, pre-activation gradients).
/// A buffer grows to the largest request and is never shrunk; contents do not survive between layers.
public final class Workspace {
    private var buffers: [Int: Tensor] = [:]

    /// The precision of the matrix multiplies of the layers working in this workspace (an engine's
    /// convolutions); nil follows `MatmulPrecision.global`.
    public var precision: MatmulPrecision?

    /// An empty workspace.
    public init() {}

    /// The GEMM routine of this workspace's layers, resolved on this CPU.
    var matmulKernel: MatmulKernel { (precision ?? MatmulPrecision.global).resolved }

    /// Scratch of at least `count` floats for `slot` (distinct slots never alias).
    public func scratch(_ slot: Int, count: Int) -> UnsafeMutablePointer<Float> {
        if let t = buffers[slot], t.count >= count { return t.data }
        let t = Tensor(shape: [count])
        buffers[slot] = t
        return t.data
    }

    /// Total floats held.
    public var floatCount: Int { buffers.values.reduce(0) { $0 + $1.count } }
}

/// Gradient buffers shared by all layers. A `backward` takes its input-gradient tensor here, and whoever
/// consumes that gradient gives it back once done, so gradient memory is a handful of buffers rather than
/// one per layer. Contents of a taken tensor are undefined (every backward writes all of its output).
/// The engine runs layers from one thread at a time; the pool is not thread-safe.
public enum GradientPool {
    nonisolated(unsafe) private static var free: [Int: [Tensor]] = [:]

    /// A gradient tensor of `shape`: a free buffer of the same size, else the first elements of the
    /// smallest free buffer of up to 4× the size (the backward passes run from large gradients to small
    /// ones and back, so the large buffers serve the small requests between), else a new buffer.
    public static func take(_ shape: [Int]) -> Tensor {
        let count = shape.reduce(1, *)
        if var list = free[count], let t = list.popLast() {
            free[count] = list
            t.inPool = false
            t.issuedCount = count
            return t.shape == shape ? t : Tensor(reshaping: t, to: shape)
        }
        if let size = free.keys.filter({ $0 > count && $0 <= 4 * count && !free[$0]!.isEmpty }).min() {
            let t = free[size]!.removeLast()
            t.inPool = false
            t.issuedCount = count
            return Tensor(prefixOf: t, shape: shape)
        }
        let t = Tensor(shape: shape)
        t.pooled = true
        t.issuedCount = count
        return t
    }

    /// Returns `t` (a tensor from `take`, or a reshape of one) for reuse; other tensors are ignored.
    public static func give(_ t: Tensor) {
        let r = t.root
        guard r.pooled, !r.inPool, t.count == r.issuedCount else { return }
        r.inPool = true
        free[r.count, default: []].append(r)
    }

    /// Frees every buffer on the free list.
    public static func drain() { free.removeAll() }

    /// Fills every buffer on the free list with `value`: tests use it to check that each backward writes
    /// all of the gradient it takes from the pool.
    public static func poisonFreeBuffers(with value: Float) {
        for list in free.values { for t in list { t.data.update(repeating: value, count: t.count) } }
    }

    /// Floats held on the free list.
    public static var freeFloats: Int { free.values.reduce(0) { $0 + $1.reduce(0) { $0 + $1.count } } }
}
