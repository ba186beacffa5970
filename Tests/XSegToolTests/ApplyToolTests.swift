import FaceAlign
import FaceSet
import Foundation
import Imaging
import ModelStore
import NeuralNet
import Samples
import TestSupport
import Trainer
import XCTest
@testable import XSeg

/// dfl-xseg apply and remove as a user runs them, on DFL's own model folders and faces.
final class ApplyToolTests: XCTestCase {
    /// Faces masked in their own type with DFL's folders: each stored mask is the network's `extract` thresholded
    /// at 0.5, at the model's resolution, on the face resized without clipping (DFL's apply); the same network on
    /// the clipped input (what DFL's reference `extract` was made from) gives DFL's mask exactly, but for
    /// pixels within 1e-3 of the threshold. Clipping matters only where Lanczos-4 overshoots, i.e. when the face
    /// is resized (never for 256-px faces and DFL's 256-px model).
    func testAppliedMasksAreDFLsExtractThresholded() throws {
        let work = temporaryDirectory(self)
        for res in [64, 128] {
            let faces = try Fixture.copyFaces(to: work)
            let r = try xseg(["apply", "--model", Fixture.folder(res), "--face-type", "same", "--quiet", faces])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(r.stdoutLines, Fixture.faces.map { faces + "/" + $0 })
            let ref = try Fixture.reference(res)
            let extract = ref["extract"]!.values, pred = ref["pred"]!.values
            let net = try XSegModelFolder.read(Fixture.folder(res)).network
            let images = try Fixture.faces.map { try decodeJPEG(bytes(Fixture.root + "/faces/" + $0)) }
            let unclipped = XSegNetwork.extract(net.forward(try net.inputTensor(images, clip: false))).array
            let clipped = XSegNetwork.extract(net.forward(try net.inputTensor(images, clip: true))).array
            var fromDFL = 0, near = 0, byClip = 0
            for (i, name) in Fixture.faces.enumerated() {
                guard let mask = try storedMask(faces + "/" + name) else { return XCTFail("\(name): no xseg_mask") }
                XCTAssertEqual([mask.width, mask.height, mask.channels], [res, res, 1], name)
                XCTAssertTrue(mask.pixels.contains(255) && mask.pixels.contains(0), name)
                for p in 0..<(res * res) {
                    let k = i * res * res + p
                    XCTAssertEqual(mask.pixels[p], unclipped[k] >= 0.5 ? 255 : 0, "\(name) pixel \(p)")
                    if (clipped[k] >= 0.5) != (extract[k] >= 0.5) {
                        if abs(pred[k] - 0.5) < 1e-3 { near += 1 } else { fromDFL += 1 }
                    }
                    if (clipped[k] >= 0.5) != (unclipped[k] >= 0.5) { byClip += 1 }
                }
            }
            print("xseg apply \(res): \(fromDFL) pixels off DFL's extract, \(near) at the threshold, \(byClip) of \(3 * res * res) changed by the unclipped input")
            XCTAssertEqual(fromDFL, 0)
            XCTAssertLessThanOrEqual(near, 3)
            XCTAssertLessThan(byClip, 3 * res * res / 100)
        }
    }

    /// The masks are what dfl-train reads: FaceRecord decodes them, and the training store's full mask comes
    /// from them (the excluded bar below the mouth is 0 where the landmark hull is 1).
    func testDFLTrainReadsTheAppliedMasks() throws {
        let work = temporaryDirectory(self), faces = try Fixture.copyFaces(to: work, [Fixture.faces[0]])
        let path = faces + "/" + Fixture.faces[0]
        let before = try FaceRecord(faceFile: bytes(path))
        XCTAssertNil(before.xsegMask)
        XCTAssertEqual(try xseg(["apply", "--model", Fixture.folder(128), "--quiet", faces]).status, 0)
        let after = try FaceRecord(faceFile: bytes(path))
        let mask = try XCTUnwrap(after.xsegMask)
        XCTAssertEqual([mask.width, mask.height], [128, 128])
        XCTAssertEqual(mask, try XCTUnwrap(try storedMask(path)).toFloat())
        let store = try loadFaceStore(.files([path]), side: "dst", resolution: 64, faceType: .wholeFace)
        let hull = try loadFaceStore(.files([Fixture.root + "/faces/" + Fixture.faces[0]]), side: "dst", resolution: 64, faceType: .wholeFace)
        let m = store.faces[0].fullMask, h = hull.faces[0].fullMask
        let differ = zip(m.pixels, h.pixels).filter { abs(Int($0) - Int($1)) > 128 }.count
        XCTAssertGreaterThan(differ, 64, "the stored mask is not what training uses")
        let expected = mask.resized(width: 256, height: 256, method: .cubic)
        XCTAssertEqual(m, FloatImage(width: 256, height: 256, channels: 1, data: expected.data.map { min(max($0, 0), 1) })
            .resized(width: 64, height: 64, method: .linear).toUInt8())
    }

    /// Faces of another type than the model's (wf): head and f faces are converted with their frame
    /// landmarks (DFL's three corners), masked, and the mask taken back; face pixels outside the wf crop get 0.
    func testOtherFaceTypesAreConvertedLikeDFL() throws {
        let work = temporaryDirectory(self), faces = try Fixture.copyFaces(to: work)
        XCTAssertEqual(try xseg(["apply", "--model", Fixture.folder(64), "--quiet", faces]).status, 0)
        let model = try XSegModelFolder.read(Fixture.folder(64))
        XCTAssertEqual(model.state?.faceType, "wf")
        for name in Fixture.faces {
            let file = try bytes(faces + "/" + name)
            let meta = try DFLJPG.readMetadata(file)
            let image = try decodeJPEG(file)
            let w = image.width
            let face = FloatImage(width: w, height: w, channels: 3, data: image.pixels.map { Float($0) / 255 })
            var expected: [UInt8]
            var outside: ((Int, Int) -> Bool)? = nil
            if meta.faceType == .wholeFace {
                let x = try model.network.inputTensor(floats: [face], clip: false)
                expected = XSegNetwork.extract(model.network.forward(x)).array.map { $0 >= 0.5 ? 255 : 0 }
            } else {
                // DFL's xseg apply, step by step (docs/xseg.md, "Applying a model").
                let lm = meta.sourceLandmarks!.map { Point2D($0.x, $0.y) }
                let mf = try transformMatrix(landmarks: lm, size: w, faceType: .wholeFace)
                let mi = try transformMatrix(landmarks: lm, size: w, faceType: meta.faceType)
                let s = Double(w)
                let c = [Point2D(0, 0), Point2D(s, 0), Point2D(0, s)].map { mi.apply(mf.inverted!.apply($0)) }
                let a = Affine2D(mapping: (c[0], c[1], c[2]), to: (Point2D(0, 0), Point2D(s, 0), Point2D(0, s)))!
                let crop = warpAffine(face, matrix: a.rows.flatMap { $0 }, width: w, height: w, interpolation: .bilinear)
                let x = try model.network.inputTensor(floats: [crop], clip: false)
                var m = FloatImage(width: 64, height: 64, channels: 1, data: XSegNetwork.extract(model.network.forward(x)).array)
                m = m.resized(width: w, height: w, method: .lanczos4)
                m = warpAffine(m, matrix: a.inverted!.rows.flatMap { $0 }, width: w, height: w, interpolation: .lanczos4)
                m = m.resized(width: 64, height: 64, method: .lanczos4)
                expected = m.data.map { $0 >= 0.5 ? 255 : 0 }
                outside = { px, py in
                    // The face pixel the stored pixel stands for, taken into the wf crop: outside it by 3 px.
                    let q = a.apply(Point2D((Double(px) + 0.5) * s / 64 - 0.5, (Double(py) + 0.5) * s / 64 - 0.5))
                    return q.x < -3 || q.y < -3 || q.x > s + 3 || q.y > s + 3
                }
            }
            let stored = try XCTUnwrap(try storedMask(faces + "/" + name))
            XCTAssertEqual(stored.pixels, expected, name)
            if let outside {
                var out = 0
                for y in 0..<64 { for x in 0..<64 where outside(x, y) { out += 1; XCTAssertEqual(stored.pixels[y * 64 + x], 0, "\(name) \(x),\(y)") } }
                if meta.faceType == .head { XCTAssertGreaterThan(out, 100, "the head face reaches beyond the wf crop") }
            }
        }
        // A face without frame landmarks cannot be converted: that face fails, the others are written.
        let stripped = try Fixture.copyFaces(to: work, [Fixture.faces[1]])
        var meta = try DFLJPG.readMetadata(bytes(stripped + "/" + Fixture.faces[1]))
        meta.sourceLandmarks = nil
        meta.dictionary.removeAll { $0.key == .string("source_landmarks") }
        try Data(DFLJPG.embed(meta, into: bytes(stripped + "/" + Fixture.faces[1]))).write(to: URL(fileURLWithPath: stripped + "/" + Fixture.faces[1]))
        try FileManager.default.copyItem(atPath: Fixture.root + "/faces/" + Fixture.faces[0], toPath: stripped + "/" + Fixture.faces[0])
        let before = try bytes(stripped + "/" + Fixture.faces[1])
        let r = try xseg(["apply", "--model", Fixture.folder(64), "--quiet", stripped])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains(Fixture.faces[1]) && r.stderr.contains("source_landmarks"), r.stderr)
        XCTAssertEqual(r.stdoutLines, [stripped + "/" + Fixture.faces[0]])
        XCTAssertEqual(try bytes(stripped + "/" + Fixture.faces[1]), before)
    }

    /// apply, apply again, remove: the faces DFL wrote without a mask get their exact bytes back; the face with
    /// DFL's own mask keeps every other key; the image data never changes.
    func testRemoveRestoresTheOriginalMetadataBytes() throws {
        let work = temporaryDirectory(self), faces = try Fixture.copyFaces(to: work)
        let original = try Fixture.faces.map { try bytes(Fixture.root + "/faces/" + $0) }
        XCTAssertEqual(try xseg(["apply", "--model", Fixture.folder(64), "--quiet", faces]).status, 0)
        let once = try Fixture.faces.map { try bytes(faces + "/" + $0) }
        XCTAssertEqual(try xseg(["apply", "--model", Fixture.folder(64), "--quiet", faces]).status, 0)
        XCTAssertEqual(try Fixture.faces.map { try bytes(faces + "/" + $0) }, once, "a second apply is not the first")
        for (name, o) in zip(Fixture.faces, original) {
            let a = try JPEGFile(parsing: try bytes(faces + "/" + name)), b = try JPEGFile(parsing: o)
            XCTAssertEqual(a.segments.filter { $0.marker != JPEGSegment.app15 }, b.segments.filter { $0.marker != JPEGSegment.app15 }, name)
        }
        let r = try xseg(["remove", faces])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdoutLines, Fixture.faces.map { faces + "/" + $0 })
        XCTAssertEqual(try bytes(faces + "/" + Fixture.faces[0]), original[0])
        XCTAssertEqual(try bytes(faces + "/" + Fixture.faces[1]), original[1])
        guard case let .dict(got)? = try DFLJPG.readDictionary(bytes(faces + "/" + Fixture.faces[2])),
              case let .dict(want)? = try DFLJPG.readDictionary(original[2]) else { return XCTFail("no metadata") }
        XCTAssertEqual(got, want.filter { $0.key != .string("xseg_mask") })
        XCTAssertEqual(want.count, got.count + 1)
        // Nothing left to remove: nothing printed, nothing changed.
        let again = try xseg(["remove", faces])
        XCTAssertEqual(again.status, 0)
        XCTAssertEqual(again.stdout, "")
        XCTAssertTrue(again.stderr.contains("3 of 3 faces had no xseg_mask"), again.stderr)
    }

    /// Batching and threads change nothing: one face per pass on one thread equals three per pass.
    func testMasksDoNotDependOnBatchSize() throws {
        let work = temporaryDirectory(self)
        let a = try Fixture.copyFaces(to: work), b = try Fixture.copyFaces(to: work)
        XCTAssertEqual(try xseg(["apply", "--model", Fixture.folder(128), "--batch-size", "1", "--threads", "1", "--quiet", a]).status, 0)
        let r = try xseg(["apply", "--model", Fixture.folder(128), "--batch-size", "3", "--quiet"], stdin: Fixture.faces.map { b + "/" + $0 }.joined(separator: "\n"))
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdoutLines, Fixture.faces.map { b + "/" + $0 })
        for name in Fixture.faces { XCTAssertEqual(try storedMask(a + "/" + name), try storedMask(b + "/" + name), name) }
    }

    /// A 1-channel face is masked as its gray value repeated in R, G and B (DFL cannot read it at all).
    func testGrayFacesAreMaskedAsTheirRGBRepeat() throws {
        let work = temporaryDirectory(self), faces = try Fixture.copyFaces(to: work, [Fixture.faces[0]])
        let gray = work + "/gray"
        XCTAssertEqual(try xseg(["--out", gray, "--quiet", faces], tool: "dfl-gray").status, 0)
        let path = gray + "/" + Fixture.faces[0]
        XCTAssertEqual(try decodeJPEG(bytes(path)).channels, 1)
        let r = try xseg(["apply", "--model", Fixture.folder(64), "--quiet", path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let masker = try XSegStore.openMasker(Fixture.folder(64))
        let rgb = try decodeJPEG(bytes(path)).grayToRGB()
        let want = try masker.appliedMasks([(rgb, DFLJPG.readMetadata(bytes(path)))])[0].get()
        XCTAssertEqual(try storedMask(path), want)
        XCTAssertEqual(try masker.appliedMasks([(try decodeJPEG(bytes(path)), DFLJPG.readMetadata(bytes(path)))])[0].get(), want)
    }
}
