import XCTest
final class FaceSetTestsPlaceholder: XCTestCase { func testNothingYet() {} }
