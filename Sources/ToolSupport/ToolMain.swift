// Entry point shared by every tool: swift-argument-parser's parsing and help, with the exit
// statuses of docs/ARCHITECTURE.md (usage errors exit 2, as Unix tools do, where the parser's default is 64).
import ArgumentParser
import Foundation

extension ParsableCommand {
    public static func runAsTool() -> Never {
        do {
            var command = try parseAsRoot()
            try command.run()
            Foundation.exit(0)
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write((fullMessage(for: error) + "\n").data(using: .utf8)!)
                Foundation.exit(2)
            }
            Self.exit(withError: error)
        }
    }
}
