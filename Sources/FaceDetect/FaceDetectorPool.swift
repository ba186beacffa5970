// HOG detectors are not thread-safe, and creating one per frame would waste time: a pool lends each
// worker thread its own detector for the length of one call.
import Foundation
import Imaging

/// A thread-safe pool of `FaceDetector`s sharing one landmark model, one CNN model and one set of options.
public final class FaceDetectorPool: @unchecked Sendable {
    public let model: LandmarkModel
    public let cnnModel: CNNFaceModel?
    public let options: FaceDetectionOptions
    private let lock = NSLock()
    private var idle: [FaceDetector] = []

    /// Checks the options by creating the first detector.
    public init(model: LandmarkModel, cnnModel: CNNFaceModel? = nil,
                options: FaceDetectionOptions = FaceDetectionOptions()) throws {
        self.model = model
        self.cnnModel = cnnModel
        self.options = options
        idle.append(try FaceDetector(model: model, cnnModel: cnnModel, options: options))
    }

    /// Runs `body` with a detector no other thread is using, then returns it to the pool.
    public func withDetector<T>(_ body: (FaceDetector) throws -> T) throws -> T {
        lock.lock()
        let lent = idle.popLast()
        lock.unlock()
        let detector = try lent ?? FaceDetector(model: model, cnnModel: cnnModel, options: options)
        defer {
            lock.lock()
            idle.append(detector)
            lock.unlock()
        }
        return try body(detector)
    }

    /// `FaceDetector.detectFaces(in:)` on a pooled detector.
    public func detectFaces(in image: Image) throws -> [DetectedFace] {
        try withDetector { try $0.detectFaces(in: image) }
    }
}
