import Foundation
import Imaging
import XCTest

/// A measurement, not a check: per-frame chroma shift and fringe of a luma-mode merge on real material.
///
/// Set `MERGE_MEASURE=ORIGINALS:MERGED[:MERGED2…]:MASKS` (folders; frames matched by file name, masks as
/// `dfl-merge --mask-out` writes them, `<stem>.png`) and run
///
///     MERGE_MEASURE=frames:merged-keep:merged-fit:masks swift test -c release -Xswiftc -enable-testing \
///       --skip-build --disable-swift-testing --filter ChromaShiftReport
///
/// (absolute paths: `swift test` runs in the package directory). It prints one line per frame and merged folder: the mean Cb and Cr (BT.601, 8-bit levels) of the merged
/// frame minus the original's, over the face core (`FringeMeasure`'s region: mask 255, eroded by 2 px) and
/// weighted by the mask (the whole blend, edges included), and the mask-weighted mean luma shift dY; the fringe (`FringeMeasure`) of the original and
/// the merge; then a summary (range of the shifts, mean fringe) per merged folder. Without the variable the
/// test is skipped.
final class ChromaShiftReport: XCTestCase {
    func testReportChromaShiftOfMergedFolders() throws {
        guard let spec = ProcessInfo.processInfo.environment["MERGE_MEASURE"] else {
            throw XCTSkip("set MERGE_MEASURE=ORIGINALS:MERGED[:MERGED2…]:MASKS to measure merged frames")
        }
        let parts = spec.split(separator: ":").map(String.init)
        guard parts.count >= 3 else { XCTFail("MERGE_MEASURE needs ORIGINALS:MERGED…:MASKS"); return }
        let originals = parts[0], masks = parts[parts.count - 1], merged = Array(parts[1..<(parts.count - 1)])
        let fm = FileManager.default
        for folder in merged {
            let names = try fm.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".png") || $0.hasSuffix(".jpg") }.sorted()
            var core: [(Double, Double)] = [], weighted: [(Double, Double)] = [], fringes: [(Double, Double)] = [], lumaShift: [Double] = []
            for name in names {
                let stem = (name as NSString).deletingPathExtension
                let maskPath = "\(masks)/\(stem).png"
                guard fm.fileExists(atPath: maskPath) else { continue }
                let original = try readImage(path: "\(originals)/\(name)")
                let out = try readImage(path: "\(folder)/\(name)")
                let mask = try readImage(path: maskPath)
                let before = FringeMeasure(image: original, mask: mask), after = FringeMeasure(image: out, mask: mask)
                let a = weightedChroma(original, mask), b = weightedChroma(out, mask)
                core.append((after.cb - before.cb, after.cr - before.cr))
                weighted.append((b.0 - a.0, b.1 - a.1))
                fringes.append((before.fringe, after.fringe))
                lumaShift.append(weightedLuma(out, mask) - weightedLuma(original, mask))
                print(String(format: "measure %@ %@ core dCb %+.2f dCr %+.2f weighted dCb %+.2f dCr %+.2f dY %+.2f fringe %.4f (frame %.4f) pixels %d",
                             folder, stem, after.cb - before.cb, after.cr - before.cr, b.0 - a.0, b.1 - a.1, lumaShift.last!,
                             after.fringe, before.fringe, after.pixels))
            }
            guard !core.isEmpty else { print("measure \(folder): no frames with masks"); continue }
            func range(_ v: [Double]) -> String { String(format: "%+.2f…%+.2f mean %+.2f", v.min()!, v.max()!, v.reduce(0, +) / Double(v.count)) }
            print("measure summary \(folder) frames \(core.count): core dCb \(range(core.map(\.0))) dCr \(range(core.map(\.1))); "
                  + "weighted dCb \(range(weighted.map(\.0))) dCr \(range(weighted.map(\.1))) dY \(range(lumaShift)); "
                  + String(format: "fringe mean %.4f (frames %.4f), max %.4f", fringes.map(\.1).reduce(0, +) / Double(fringes.count),
                           fringes.map(\.0).reduce(0, +) / Double(fringes.count), fringes.map(\.1).max()!))
        }
    }
}

/// The mask-weighted mean BT.601 luma of an RGB image, 8-bit levels.
func weightedLuma(_ image: Image, _ mask: Image) -> Double {
    var sw = 0.0, sy = 0.0
    for i in 0..<(image.width * image.height) where mask.pixels[i] > 0 {
        let w = Double(mask.pixels[i]) / 255
        sw += w
        sy += w * (0.299 * Double(image.pixels[3 * i]) + 0.587 * Double(image.pixels[3 * i + 1]) + 0.114 * Double(image.pixels[3 * i + 2]))
    }
    return sy / max(sw, 1e-9)
}

/// The mask-weighted mean (Cb, Cr) of an RGB image, 8-bit levels.
func weightedChroma(_ image: Image, _ mask: Image) -> (Double, Double) {
    var sw = 0.0, cb = 0.0, cr = 0.0
    for i in 0..<(image.width * image.height) where mask.pixels[i] > 0 {
        let w = Double(mask.pixels[i]) / 255
        let c = chroma(Double(image.pixels[3 * i]), Double(image.pixels[3 * i + 1]), Double(image.pixels[3 * i + 2]))
        sw += w; cb += w * c.0; cr += w * c.1
    }
    return (cb / max(sw, 1e-9), cr / max(sw, 1e-9))
}
