import FaceSet
import Foundation
import Imaging
import NeuralNet
import XCTest
@testable import XSeg

/// The merger's XSeg side (docs/xseg.md, "XSeg in the merger"): one face at a time through a DFL-written
/// model folder gives DFL's own `extract` for that face.
final class XSegFaceMaskerTests: XCTestCase {
    /// DFL's network input (BGR, in the reference) turned to RGB, one face at a time, gives DFL's `extract`;
    /// the face type comes from XSeg_data.dat.
    func testFaceMaskIsDFLsExtractOfTheFolder() throws {
        for resolution in [64, 128] {
            let masker = try XSegMasker(model: try XSegModelFolder.read(Fixture.folder(resolution), includeOptimizer: false))
            XCTAssertEqual(masker.resolution, resolution)
            XCTAssertEqual(masker.faceType, .wholeFace)
            let ref = try Fixture.reference(resolution)
            let input = channelsReversed(ref["input"]!.values, channels: 3), extract = ref["extract"]!.values
            let per = resolution * resolution
            for i in 0..<Fixture.faces.count {
                let face = FloatImage(width: resolution, height: resolution, channels: 3,
                                      data: Array(input[(3 * per * i)..<(3 * per * (i + 1))]))
                let mask = try masker.mask(face)
                XCTAssertEqual(mask.channels, 1)
                let diff = maxAbsDifference(mask.data, Array(extract[(per * i)..<(per * (i + 1))]))
                XCTAssertLessThanOrEqual(diff, 5e-5, "xseg-\(resolution) face \(i)")
            }
        }
    }

    /// A folder without XSeg_data.dat says no face type; a face of the wrong size is refused.
    func testFaceTypeIsOptionalAndTheSizeIsChecked() throws {
        let dir = Fixture.temporaryDirectory(self)
        try FileManager.default.copyItem(atPath: Fixture.folder(64) + "/XSeg_64.npy", toPath: dir + "/XSeg_64.npy")
        let masker = try XSegMasker(model: try XSegModelFolder.read(dir, includeOptimizer: false))
        XCTAssertNil(masker.faceType)
        XCTAssertThrowsError(try masker.mask(FloatImage(width: 32, height: 32, channels: 3)))
    }
}
