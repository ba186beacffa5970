// SIGINT / SIGTERM as a request to stop: the handler only sets an atomic flag, which the training loop
// reads between steps (so the step in progress finishes and the model is saved). A second signal ends
// the process at once: saves are crash-safe, so the last save still loads.
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

private let stopFlag = Atomic<Int>(0)

public enum StopRequest {
    /// Installs the handlers for SIGINT and SIGTERM.
    public static func install() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig) { _ in
                if stopFlag.add(1, ordering: .relaxed).newValue >= 2 { _exit(130) }
            }
        }
    }

    /// Whether a stop was requested.
    public static var isRequested: Bool { stopFlag.load(ordering: .relaxed) > 0 }
}
