// Standard error reporting for every tool: `tool: path: reason` lines on stderr, a count of failed
// inputs, and the exit status rules of docs/ARCHITECTURE.md (1 when any input failed, 2 for usage errors).
import ArgumentParser
import Foundation

/// Writes text to standard error (unbuffered, so messages interleave correctly with progress).
public func printError(_ message: String) {
    FileHandle.standardError.write((message + "\n").data(using: .utf8)!)
}

/// Runs `body`; an error it throws is reported as `tool: reason` on standard error and the command exits 1
/// (for a tool's whole-command failures: no inputs, a model that cannot be opened).
public func exitingOnFailure<T>(_ tool: String, _ body: () throws -> T) throws -> T {
    do { return try body() } catch {
        printError("\(tool): \(error)")
        throw ExitCode(1)
    }
}

/// Collects per-input failures so a tool can go on with the next input and exit 1 at the end.
public final class Diagnostics: @unchecked Sendable {
    public let toolName: String
    private let lock = NSLock()
    private var failures = 0

    public init(toolName: String) {
        self.toolName = toolName
    }

    /// Reports one bad input: `tool: path: reason`.
    public func fail(_ path: String, _ reason: Any) {
        lock.lock(); failures += 1; lock.unlock()
        printError("\(toolName): \(path): \(reason)")
    }

    /// Reports a warning that does not change the exit status.
    public func warn(_ message: String) {
        printError("\(toolName): warning: \(message)")
    }

    public var failureCount: Int {
        lock.lock(); defer { lock.unlock() }
        return failures
    }

    /// The exit status of docs/ARCHITECTURE.md: 0 when every input was processed, 1 otherwise.
    public var exitStatus: Int32 { failureCount == 0 ? 0 : 1 }
}
