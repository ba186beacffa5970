// The loop shared by every one-output-per-input tool: work on all cores, print the written paths in
// input order, report failures as `tool: path: reason`, and return the exit status.
import Foundation

public enum PerFileRunner {
    /// Runs `work(path)` for every input; each call returns the paths it wrote (printed on stdout in input
    /// order) or throws (reported, and the exit status becomes 1).
    public static func run(tool: String, inputs: [String], quiet: Bool = false,
                           work: @escaping (String) throws -> [String]) -> Int32 {
        let diagnostics = Diagnostics(toolName: tool)
        let progress = Progress(label: tool, total: inputs.count, quiet: quiet)
        OrderedParallel.run(count: inputs.count, work: { i -> Result<[String], Error> in
            Result { try work(inputs[i]) }
        }, emit: { i, result in
            switch result {
            case .success(let written):
                for p in written { print(p) }
            case .failure(let error):
                diagnostics.fail(inputs[i], error)
            }
            progress.advance()
        })
        progress.finish()
        fflush(stdout)
        return diagnostics.exitStatus
    }
}
