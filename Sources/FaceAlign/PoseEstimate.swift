// DFL's `estimate_pitch_yaw_roll` (docs/dfl-faceset.md §3.7): head pose from aligned landmarks.
import Foundation

/// Head pose angles in radians, each clipped to [−π/2, π/2].
public struct HeadPose: Sendable, Hashable {
    public var pitch: Double
    public var yaw: Double
    public var roll: Double

    public init(pitch: Double, yaw: Double, roll: Double) {
        self.pitch = pitch
        self.yaw = yaw
        self.roll = roll
    }
}

/// The landmark rows DFL fits the 3-D head to: the jaw and brows (0–26) and the lower nose (30–35).
public let poseLandmarkIndices: [Int] = Array(0...26) + Array(30...35)

/// The camera DFL assumes for an aligned face of width `size`: f = size, centre (size/2, size/2).
public func alignedFaceCamera(size: Int) -> PinholeCamera {
    PinholeCamera(focalLength: Double(size), centre: Point2D(Double(size) / 2, Double(size) / 2))
}

/// Pitch, yaw and roll of a face from its 68 aligned `landmarks` in an aligned image of width `size`:
/// the pose of `headTemplate3D` (rows `poseLandmarkIndices`) that best reprojects onto the landmarks,
/// decomposed as R = Rz·Ry·Rx and returned as (pitch −x, yaw y, roll z), each clipped to ±π/2.
///
/// Differences from DFL: DFL calls cv2.solvePnP, which on some inputs (and OpenCV versions) lands on the
/// depth-mirrored solution behind the camera (t_z < 0), giving a roll near ±π (clipped to ±π/2) and
/// slightly different pitch and yaw. This solver always returns the solution in front of the camera; on
/// real faces that is also what OpenCV returns. `initialPose` lets a caller choose the start (tests use it
/// to reach the mirrored solution). Landmarks are rounded to Float as DFL passes them.
public func estimatePitchYawRoll(alignedLandmarks landmarks: [Point2D], size: Int,
                                 initialPose: RigidPose? = nil) throws -> HeadPose {
    guard landmarks.count == 68 else { throw FaceAlignError.wrongLandmarkCount(expected: 68, got: landmarks.count) }
    guard size > 0 else { throw FaceAlignError.invalidSize(Double(size)) }
    let object = poseLandmarkIndices.map { headTemplate3D[$0] }
    let image = poseLandmarkIndices.map { Point2D(Double(Float(landmarks[$0].x)), Double(Float(landmarks[$0].y))) }
    guard let pose = solvePerspectivePose(objectPoints: object, imagePoints: image,
                                          camera: alignedFaceCamera(size: size), initialPose: initialPose)
    else { throw FaceAlignError.degenerateLandmarks }
    let e = pose.rotation.eulerAngles
    let clip = { (a: Double) in min(max(a, -Double.pi / 2), Double.pi / 2) }
    return HeadPose(pitch: -clip(e.x), yaw: clip(e.y), roll: clip(e.z))
}
