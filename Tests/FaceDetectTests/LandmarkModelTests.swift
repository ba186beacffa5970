// Model path resolution and the errors for a missing or wrong model file.
import XCTest
@testable import FaceDetect
import Foundation

final class LandmarkModelTests: XCTestCase {
    func testPathResolutionOrder() {
        let env = [LandmarkModel.environmentVariable: "/from/env.dat"]
        XCTAssertEqual(LandmarkModel.resolvePath("/explicit.dat", environment: env), "/explicit.dat")
        XCTAssertEqual(LandmarkModel.resolvePath(nil, environment: env), "/from/env.dat")
        XCTAssertEqual(LandmarkModel.resolvePath(nil, environment: [:]),
                       "/usr/share/dlib/shape_predictor_68_face_landmarks.dat")
        XCTAssertEqual(LandmarkModel.resolvePath(nil, environment: [LandmarkModel.environmentVariable: ""]),
                       "/usr/share/dlib/shape_predictor_68_face_landmarks.dat")
    }

    func testMissingModelNamesTheDebianPackage() {
        XCTAssertThrowsError(try LandmarkModel(path: "/nonexistent/shape_predictor.dat")) { error in
            guard case FaceDetectError.modelMissing(let path, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "/nonexistent/shape_predictor.dat")
            let text = "\(error)"
            XCTAssertTrue(text.contains("libdlib-data"), text)
            XCTAssertTrue(text.contains("/nonexistent/shape_predictor.dat"), text)
        }
    }

    func testWrongFileIsAnInvalidModel() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-model-\(getpid()).dat")
        defer { try? FileManager.default.removeItem(at: url) }
        for bytes in [[UInt8](), [UInt8](repeating: 0x41, count: 1000), [0x80, 0x01, 0xFF, 0xFF]] {
            try Data(bytes).write(to: url)
            XCTAssertThrowsError(try LandmarkModel(path: url.path)) { error in
                guard case FaceDetectError.modelInvalid = error else { return XCTFail("\(error)") }
            }
        }
    }
}
