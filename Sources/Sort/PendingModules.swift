// TEMPORARY: stand-in for Imaging's decoder until Imaging lands on main. Deleted at that merge.
import Imaging

struct PendingModuleError: Error, CustomStringConvertible { var description: String { "image decoding not merged yet" } }
func decodeImage(_ bytes: [UInt8]) throws -> Image { throw PendingModuleError() }
