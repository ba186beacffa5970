import NeuralNet

/// Checkpoints in safetensors, parameters named by network and layer (`encoder.down1.downs_0.conv1.weight`).
/// The DFL name of a parameter is `dflKey(for:)`: file `<network>.npy`, key with `/` and the `:0` suffix.
extension SAEHDModel {
    /// DFL's model file and weight key for one of our parameter names.
    public static func dflKey(for name: String) -> (file: String, key: String) {
        let parts = name.split(separator: ".").map(String.init)
        return (parts[0] + ".npy", parts.dropFirst().joined(separator: "/") + ":0")
    }

    /// Writes all weights (and optimizer slots, prefixed `opt.<slot>.`) to `path` atomically.
    public func save(to path: String, includeOptimizer: Bool = true) throws {
        var list: [(name: String, tensor: Tensor)] = parameters.map { ($0.name, $0.value) }
        if includeOptimizer {
            for (i, p) in parameters.enumerated() {
                for (j, prefix) in optimizer.slotPrefixes.enumerated() { list.append(("opt.\(prefix)." + p.name, optimizer.slots[i][j])) }
            }
        }
        try SafeTensors.write(list, metadata: ["config": config.description, "channels": "\(config.channels)",
                                               "iterations": "\(optimizer.iterations)",
                                               "optimizer": optimizer.kind.rawValue], to: path)
    }

    /// Loads weights (and optimizer slots when present) by name; every parameter must be present with its shape.
    public func load(from path: String) throws {
        let file = try SafeTensors.read(path: path)
        for (i, p) in parameters.enumerated() {
            guard let e = file.tensors[p.name], e.shape == p.value.shape else {
                throw SafeTensorsError.badHeader("missing or mis-shaped tensor \(p.name)")
            }
            e.values.withUnsafeBufferPointer { p.value.data.update(from: $0.baseAddress!, count: p.value.count) }
            for (j, prefix) in optimizer.slotPrefixes.enumerated() {
                if let s = file.tensors["opt.\(prefix)." + p.name], s.values.count == p.value.count {
                    s.values.withUnsafeBufferPointer { optimizer.slots[i][j].data.update(from: $0.baseAddress!, count: p.value.count) }
                }
            }
        }
        if let it = file.metadata["iterations"].flatMap(Int.init) { optimizer.iterations = it }
    }
}
