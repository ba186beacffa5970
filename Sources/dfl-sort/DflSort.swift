// dfl-sort: DeepFaceLab's `sort` as a filter on a face list. Reads faces, scores them on all cores with
// the Sort library, and prints the paths in the new order (or copies them renamed with --rename).
import ArgumentParser
import Foundation
import Sort
import ToolSupport

extension SortMethod: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument) }
}

struct DflSort: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dfl-sort",
        abstract: "Order or filter a list of aligned faces by blur, pose, histogram, brightness and more.",
        discussion: HelpText.discussion,
        version: toolchainVersion)

    @OptionGroup var input: InputOptions

    @Option(name: [.short, .long], help: ArgumentHelp("Sort method (see the list below).", valueName: "method"))
    var by: SortMethod = .hist

    @Flag(name: [.short, .long], help: "Reverse the order (applied before --keep and --drop-below).")
    var reverse = false

    @Option(name: [.short, .long], help: ArgumentHelp("Keep only the first N faces of the order.", valueName: "N"))
    var keep: Int?

    @Option(name: .long, help: ArgumentHelp("Drop faces whose score is below VALUE.", valueName: "value"))
    var dropBelow: Double?

    @Flag(name: .long, help: "Print each face's score after its path, separated by a tab.")
    var printScore = false

    @Option(name: [.short, .long], help: ArgumentHelp("Number of faces final and final-fast pick.", valueName: "N"))
    var count: Int = 2000

    @Flag(name: .long, help: "absdiff: step to the most different face instead of the most similar.")
    var dissimilar = false

    @Option(name: .long, help: ArgumentHelp(
        "Copy the faces in order into DIR as 00000.jpg, 00001.jpg, ... and print the new paths.",
        valueName: "dir"))
    var rename: String?

    @Flag(name: .long, help: "Leave faces that cannot be scored out of the output (they are still reported).")
    var dropInvalid = false

    @Flag(name: [.short, .long], help: "No progress output.")
    var quiet = false

    func validate() throws {
        if let keep, keep < 0 { throw ValidationError("--keep must be 0 or more") }
        if count < 1 { throw ValidationError("--count must be at least 1") }
        if dropBelow != nil && !by.hasNumericScore {
            throw ValidationError("--drop-below needs a method with numeric scores; \(by.rawValue) has none")
        }
        if dissimilar && by != .absdiff { throw ValidationError("--dissimilar applies to --by absdiff only") }
        if let d = dropBelow, d.isNaN { throw ValidationError("--drop-below needs a number") }
    }

    func run() throws {
        let diagnostics = Diagnostics(toolName: "dfl-sort")
        let paths = try input.resolvePaths()
        let scored = FaceScoring.score(paths: paths, method: by, quiet: quiet)
        // Report unusable faces in input order, so stderr is deterministic too.
        var valid: [Int] = [], features: [FaceFeature] = []
        for (i, result) in scored.enumerated() {
            switch result {
            case .success(let feature): valid.append(i); features.append(feature)
            case .failure(let reason): diagnostics.fail(paths[i], reason)
            }
        }
        let arrangement = try by.arrange(features, options: ArrangeOptions(count: count, dissimilar: dissimilar))
            .filtered(reverse: reverse, dropBelow: dropBelow, keep: keep)

        var rows = arrangement.order.map { k in (path: paths[valid[k]], score: arrangement.scoreText(k)) }
        if let rename {
            // Only the sorted faces are copied; faces that could not be scored were reported above.
            do {
                rows = try Renamer.copy(rows, into: rename, inputs: paths, diagnostics: diagnostics)
            } catch {
                printError("dfl-sort: \(rename): \(error)")
                throw ExitCode(1)
            }
        } else if !dropInvalid {
            let usable = Set(valid)
            rows += scored.indices.filter { !usable.contains($0) }.map { (path: paths[$0], score: "nan") }
        }
        var out = ""
        for row in rows { out += printScore ? "\(row.path)\t\(row.score)\n" : "\(row.path)\n" }
        FileHandle.standardOutput.write(out.data(using: .utf8)!)
        if diagnostics.exitStatus != 0 { throw ExitCode(diagnostics.exitStatus) }
    }
}
