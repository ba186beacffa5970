import Foundation
import XCTest

/// Every option a tool's --help lists is documented in its man page (man/man1/<tool>.1), and every
/// tool has one.
final class ManPageTests: XCTestCase {
    static let tools = ["dfl-gray", "dfl-resize", "dfl-pack", "dfl-info", "dfl-sort", "dfl-extract", "dfl-train",
                        "dfl-merge"]
    /// Tools with subcommands: each subcommand's options are in the tool's page.
    static let subcommands = ["dfl-xseg": ["train", "apply", "remove", "import", "export", "label", "labelme"]]

    func testHelpOptionsAppearInManPages() throws {
        var checked = 0
        let runs = Self.tools.map { ($0, [String]()) } + Self.subcommands.flatMap { tool, subs in subs.map { (tool, [$0]) } }
        for (tool, sub) in runs {
            guard let help = try? runTool(tool, sub + ["--help"]), help.status == 0 else { continue }   // not built yet
            let page = try String(contentsOfFile: Repo.path("man/man1/\(tool).1"), encoding: .utf8)
            let options = helpOptions(help.stdout)
            XCTAssertFalse(options.isEmpty, "\(tool) --help lists no options")
            for option in options {
                // mdoc writes --out as "Fl -out" and -o as "Fl o".
                let flag = "Fl " + option.dropFirst()
                XCTAssertTrue(page.contains(flag + " ") || page.contains(flag + "\n") || page.contains(flag + " ,"),
                              "\(tool).1 does not document \(option)")
            }
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 4)
    }

    /// Option names from the OPTIONS section of swift-argument-parser's help text.
    func helpOptions(_ help: String) -> [String] {
        var names: [String] = []
        var inOptions = false
        for line in help.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasSuffix(":") && !line.hasPrefix(" ") { inOptions = line.contains("OPTIONS") }
            guard inOptions else { continue }
            let trimmed = line.drop(while: { $0 == " " })
            guard trimmed.hasPrefix("-"), line.hasPrefix("  "), !line.hasPrefix("        ") else { continue }
            // "-o, --out <out>   Output directory" → ["-o", "--out"]
            let head = trimmed.split(separator: " ", omittingEmptySubsequences: true)
            for token in head {
                let name = token.trimmingCharacters(in: CharacterSet(charactersIn: ","))
                if name.hasPrefix("-") { names.append(name) } else if !name.hasPrefix("<") { break }
            }
        }
        return names
    }
}
