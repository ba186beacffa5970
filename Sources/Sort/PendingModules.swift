// TEMPORARY: stand-ins for Imaging's decoder and FaceAlign's geometry until those modules land on main.
// Deleted at the merge.
import Imaging
import FaceAlign

struct Point2D { var x: Double; var y: Double; init(_ x: Double, _ y: Double) { self.x = x; self.y = y } }
struct PendingModuleError: Error, CustomStringConvertible { var description: String { "module not merged yet" } }
func decodeImage(_ bytes: [UInt8]) throws -> Image { throw PendingModuleError() }
func estimatePitchYawRoll(alignedLandmarks: [Point2D], size: Int) throws -> (pitch: Double, yaw: Double, roll: Double) { throw PendingModuleError() }
func faceHullMask(landmarks: [Point2D], width: Int, height: Int, eyebrowsExpandMod: Double) throws -> FloatImage { throw PendingModuleError() }
