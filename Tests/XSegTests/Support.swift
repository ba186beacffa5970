import Foundation
import Imaging
import NeuralNet
import XCTest
@testable import XSeg

/// The fixtures (Fixtures/README.md): DFL-written XSeg folders, the labelled faces, an SAEHD folder.
enum Fixture {
    static let root = Bundle.module.resourcePath! + "/Fixtures"
    static let faces = ["grace_hopper_navy_1984_0.jpg", "lin_manuel_miranda_2009_0.jpg", "obama_speech_2009_0.jpg"]
    static func folder(_ resolution: Int) -> String { root + (resolution == 64 ? "/xseg-64-b4" : "/xseg-128-b8") }

    /// DFL's forward pass on the faces (float32 NHWC, BGR).
    static func reference(_ resolution: Int) throws -> [String: SafeTensors.Entry] {
        try SafeTensors.read(path: folder(resolution) + "/reference.safetensors").tensors
    }

    /// The face files as 8-bit RGB images.
    static func faceImages() throws -> [Image] {
        try faces.map { try readImage(path: root + "/faces/" + $0) }
    }

    /// A fresh temporary directory, removed at the end of the test.
    static func temporaryDirectory(_ test: XCTestCase) -> String {
        let dir = NSTemporaryDirectory() + "xseg-tests-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }
}

/// max |a − b| over two equal-length arrays.
func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "\(a.count) vs \(b.count) values")
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// An NHWC tensor's values with the channel axis reversed (RGB ↔ BGR).
func channelsReversed(_ values: [Float], channels c: Int) -> [Float] {
    var out = values
    for p in 0..<(values.count / c) { for ch in 0..<c { out[p * c + ch] = values[p * c + c - 1 - ch] } }
    return out
}
