import Foundation

/// Every file under `dir` with its bytes (symlinks as their targets), to check that nothing changed.
public func snapshot(_ dir: String) -> [String: Data] {
    var out: [String: Data] = [:]
    guard let e = FileManager.default.enumerator(atPath: dir) else { return out }
    for case let rel as String in e {
        let p = dir + "/" + rel
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: p) { out[rel] = Data(("-> " + target).utf8); continue }
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: p, isDirectory: &isDir), !isDir.boolValue {
            out[rel] = FileManager.default.contents(atPath: p)
        }
    }
    return out
}
