// `--config FILE`: merge settings as `key=value` lines (keys are the long option names without the dashes,
// `#` starts a comment). Command-line flags override the file; the resolved settings are printed once.
import ArgumentParser
import ColorTransfer
import Foundation
import Merge
import NeuralNet
import ToolSupport

/// Why a config file or setting value was refused.
struct ConfigError: Error, CustomStringConvertible {
    let description: String
}

/// The keys a config file may set.
let configKeys: Set<String> = ["mode", "mask-mode", "erode", "blur", "motion-blur", "output-face-scale", "color-transfer",
                               "masked-hist-match", "hist-match-threshold", "sharpen-mode", "sharpen-amount",
                               "color-mode", "chroma", "seed", "jpeg-quality"]

/// Parses `text` into key → value; throws for an unknown key, a line without `=`, or a repeated key.
func parseConfig(_ text: String, path: String) throws -> [String: String] {
    guard text.utf8.count <= 1 << 20 else { throw ConfigError(description: "\(path): config file larger than 1 MiB") }
    var values: [String: String] = [:]
    for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        var line = Substring(raw)
        if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { continue }
        guard let eq = trimmed.firstIndex(of: "=") else {
            throw ConfigError(description: "\(path):\(n + 1): expected key=value")
        }
        let key = trimmed[..<eq].trimmingCharacters(in: .whitespaces)
        let value = trimmed[trimmed.index(after: eq)...].trimmingCharacters(in: .whitespaces)
        guard configKeys.contains(key) else {
            throw ConfigError(description: "\(path):\(n + 1): unknown setting '\(key)' (known: \(configKeys.sorted().joined(separator: ", ")))")
        }
        guard values[key] == nil else { throw ConfigError(description: "\(path):\(n + 1): '\(key)' set twice") }
        values[key] = value
    }
    return values
}

/// Value parsers of the config file: the flags' own parsers (`init?(argument:)`), so a value means the same
/// in both places.
enum SettingValue {
    static func int(_ s: String, _ key: String) throws -> Int {
        guard let v = Int(s) else { throw ConfigError(description: "\(key): '\(s)' is not an integer") }
        return v
    }
    static func choice<T: ExpressibleByArgument>(_ s: String, _ key: String, _ type: T.Type) throws -> T {
        guard let v = T(argument: s) else {
            throw ConfigError(description: "\(key): '\(s)' is not one of \(T.allValueStrings.joined(separator: ", "))")
        }
        return v
    }
}

/// A yes/no setting (`--masked-hist-match`): yes, no, and the usual spellings (1/0, true/false, y/n, on/off).
struct YesNo: ExpressibleByArgument, Equatable {
    let value: Bool
    init(_ value: Bool) { self.value = value }
    init?(argument: String) {
        switch argument.lowercased() {
        case "1", "true", "yes", "y", "on": value = true
        case "0", "false", "no", "n", "off": value = false
        default: return nil
        }
    }
    static var allValueStrings: [String] { ["yes", "no"] }
}

extension MergeMode: ExpressibleByArgument {}
extension MaskMode: ExpressibleByArgument {}
extension ColorMode: ExpressibleByArgument {}
extension ChromaMode: ExpressibleByArgument {}
extension SharpenMode: ExpressibleByArgument {}
extension MatmulPrecision: ExpressibleByArgument {}
