import Foundation
import Imaging
import XCTest

/// dfl-merge's options through the tool, each with a value checked (not only the exit status): the output
/// JPEG quality, histogram matching inside the mask, sharpening, the pasted face's scale, motion blur, and
/// the luma mode's chroma strategies as a flag and as a config-file key.
final class MergeToolOptionTests: XCTestCase {
    static var models: [Int: String] = [:]

    /// A tiny model trained two iterations by dfl-train: `channels` 3 (colour merge) or 1 (luma merge).
    func model(channels: Int) throws -> String {
        if let m = Self.models[channels] { return m }
        let dir = try ToolProcessDirectory.make("dfl-merge-options-\(channels)")
        let aligned = Fixtures.directory.appendingPathComponent("aligned").path
        let r = try runTool("dfl-train", ["--model", dir, "--src", aligned, "--dst", aligned, "--config", "df-ud-64-16-16-16-16",
                                          "--channels", "\(channels)", "--batch-size", "2", "--target-iter", "2",
                                          "--preview-every", "0", "--face-type", "wf", "-q"])
        XCTAssertEqual(r.status, 0, r.stderr)
        Self.models[channels] = dir
        return dir
    }

    var aligned: String { Fixtures.directory.appendingPathComponent("aligned").path }

    /// Merges the fixture frames with `extra` options; returns the output and mask directories.
    func merge(_ extra: [String], channels: Int = 3, config: String? = nil) throws -> (out: String, masks: String) {
        let out = try temporaryDirectory(self), masks = try temporaryDirectory(self)
        var args = ["--model", try model(channels: channels), "--aligned", aligned, "--out", out, "--mask-out", masks, "-q"]
        if let config {
            let path = try temporaryDirectory(self) + "/merge.cfg"
            try config.write(toFile: path, atomically: true, encoding: .utf8)
            args += ["--config", path]
        }
        let r = try runTool("dfl-merge", args + extra + Fixtures.frameNames.map(Fixtures.framePath))
        XCTAssertEqual(r.status, 0, r.stderr)
        return (out, masks)
    }

    func image(_ dir: String, _ stem: String, _ ext: String = "jpg") throws -> Image {
        try readImage(path: dir + "/\(stem).\(ext)")
    }

    /// Mean |a − b| over the pixels where `select` holds (by pixel index), and over the rest.
    func meanDifference(_ a: Image, _ b: Image, mask: Image) -> (inside: Double, outside: Double) {
        var sIn = 0.0, nIn = 0.0, sOut = 0.0, nOut = 0.0
        let c = a.channels
        for p in 0..<(a.width * a.height) {
            var d = 0.0
            for k in 0..<c { d += abs(Double(a.pixels[p * c + k]) - Double(b.pixels[p * c + k])) }
            if mask.pixels[p] > 0 { sIn += d / Double(c); nIn += 1 } else { sOut += d / Double(c); nOut += 1 }
        }
        return (sIn / max(nIn, 1), sOut / max(nOut, 1))
    }

    func testJPEGQualityChangesTheFilesNotTheMerge() throws {
        let q95 = try merge([]), q40 = try merge(["--jpeg-quality", "40"])
        for stem in Fixtures.frameNames {
            let big = try readBytes(q95.out + "/\(stem).jpg").count, small = try readBytes(q40.out + "/\(stem).jpg").count
            XCTAssertLessThan(Double(small), 0.6 * Double(big), "\(stem): quality 40 is not smaller (\(small) vs \(big) bytes)")
            // The same merge underneath: the images agree to JPEG's error.
            let d = meanDifference(try image(q95.out, stem), try image(q40.out, stem), mask: try image(q95.masks, stem, "png"))
            XCTAssertLessThan(d.inside + d.outside, 8, stem)
        }
        let bad = try runTool("dfl-merge", ["--model", try model(channels: 3), "--aligned", aligned, "--out", try temporaryDirectory(self),
                                            "--jpeg-quality", "0", Fixtures.framePath("hill_0000")])
        XCTAssertEqual(bad.status, 2)
    }

    func testMaskedHistMatchAsFlagAndConfigKey() throws {
        let inside = try merge(["--mode", "hist-match"]), whole = try merge(["--mode", "hist-match", "--masked-hist-match", "no"])
        let fromFile = try merge([], config: "mode=hist-match\nmasked-hist-match=no\n")
        var changed = 0
        for stem in Fixtures.frameNames {
            XCTAssertEqual(try readBytes(whole.out + "/\(stem).jpg"), try readBytes(fromFile.out + "/\(stem).jpg"), stem)
            let d = meanDifference(try image(inside.out, stem), try image(whole.out, stem), mask: try image(inside.masks, stem, "png"))
            if d.inside > 0.5 { changed += 1 }
            XCTAssertLessThan(d.outside, 1.5, "\(stem): histogram matching changed the frame outside the mask")
        }
        XCTAssertGreaterThan(changed, 0, "matching over the whole face square gave the same merge as inside the mask")
    }

    func testSharpeningActsInsideTheMaskOnly() throws {
        let plain = try merge([]), box = try merge(["--sharpen-amount", "60"]), gauss = try merge(["--sharpen-mode", "gaussian", "--sharpen-amount", "60"])
        let soft = try merge(["--sharpen-amount", "-60"])
        for stem in Fixtures.frameNames {
            let mask = try image(plain.masks, stem, "png"), p = try image(plain.out, stem)
            let b = meanDifference(try image(box.out, stem), p, mask: mask), g = meanDifference(try image(gauss.out, stem), p, mask: mask)
            XCTAssertGreaterThan(b.inside, 0.5, stem)
            XCTAssertGreaterThan(g.inside, 0.5, stem)
            XCTAssertLessThan(b.outside, 1.5, stem)
            XCTAssertNotEqual(try readBytes(box.out + "/\(stem).jpg"), try readBytes(gauss.out + "/\(stem).jpg"), "\(stem): box and gaussian kernels agree")
            // Sharpening raises the local contrast inside the mask, blurring (negative amount) lowers it.
            XCTAssertGreaterThan(try contrast(image(box.out, stem), mask: mask), try contrast(p, mask: mask), stem)
            XCTAssertLessThan(try contrast(image(soft.out, stem), mask: mask), try contrast(p, mask: mask), stem)
        }
    }

    /// Mean |horizontal| + |vertical gradient| of the first channel inside the mask.
    func contrast(_ img: Image, mask: Image) -> Double {
        var s = 0.0, n = 0.0
        let c = img.channels, w = img.width
        for y in 1..<img.height {
            for x in 1..<w where mask.pixels[y * w + x] == 255 {
                let i = (y * w + x) * c
                s += abs(Double(img.pixels[i]) - Double(img.pixels[i - c])) + abs(Double(img.pixels[i]) - Double(img.pixels[i - w * c]))
                n += 1
            }
        }
        return s / max(n, 1)
    }

    /// DFL's sign: the crop grows by 1 % per unit, so the pasted face (and its mask) shrinks by that factor.
    /// Negative values parse as values (`--output-face-scale -20`), not as options.
    func testOutputFaceScaleScalesTheMask() throws {
        let plain = try merge([]), smaller = try merge(["--output-face-scale", "20"]), bigger = try merge(["--output-face-scale", "-20"])
        for stem in Fixtures.frameNames {
            func area(_ dir: String) throws -> Double { Double(try image(dir, stem, "png").pixels.filter { $0 > 127 }.count) }
            let a0 = try area(plain.masks)
            XCTAssertEqual(try area(smaller.masks) / a0, 1 / (1.2 * 1.2), accuracy: 0.05, "\(stem): scale 20 gives 1/1.2² of the area")
            XCTAssertEqual(try area(bigger.masks) / a0, 1 / (0.8 * 0.8), accuracy: 0.08, "\(stem): scale −20 gives 1/0.8² of the area")
        }
    }

    /// Motion blur changes the face inside the mask only, and more at a higher power (the fixture's faces
    /// move between the frames).
    func testMotionBlurBlursTheFaceOnly() throws {
        let still = try merge([]), weak = try merge(["--motion-blur", "20"]), strong = try merge(["--motion-blur", "90"])
        var grows = 0
        for stem in Fixtures.frameNames {
            let mask = try image(still.masks, stem, "png"), s = try image(still.out, stem)
            let dWeak = meanDifference(try image(weak.out, stem), s, mask: mask)
            let dStrong = meanDifference(try image(strong.out, stem), s, mask: mask)
            XCTAssertLessThan(dStrong.outside, 1.5, "\(stem): motion blur changed the frame outside the mask")
            if dStrong.inside > 0.5 && dStrong.inside > dWeak.inside { grows += 1 }
        }
        XCTAssertGreaterThan(grows, 0, "no face was blurred more at power 90 than at 20")
    }

    /// Luma mode (1-channel model on colour frames): `--chroma` and the `chroma` config key give the same
    /// bytes; `keep` differs from the default `fit` inside the mask only, and keeps fit's luma within a level.
    func testChromaAsFlagAndConfigKey() throws {
        let fit = try merge([], channels: 1), keep = try merge(["--chroma", "keep"], channels: 1)
        let keepFile = try merge([], channels: 1, config: "chroma = keep\n")
        var differs = 0
        for stem in Fixtures.frameNames {
            XCTAssertEqual(try readBytes(keep.out + "/\(stem).jpg"), try readBytes(keepFile.out + "/\(stem).jpg"), stem)
            let mask = try image(fit.masks, stem, "png")
            let f = try image(fit.out, stem), k = try image(keep.out, stem)
            let d = meanDifference(f, k, mask: mask)
            XCTAssertLessThan(d.outside, 1.5, stem)
            if d.inside > 0.3 { differs += 1 }
            // The chroma strategies change chroma, not luma.
            let lf = f.toGray(), lk = k.toGray()
            var lumaDiff = 0.0, n = 0.0
            for p in 0..<(mask.pixels.count) where mask.pixels[p] == 255 { lumaDiff += abs(Double(lf.pixels[p]) - Double(lk.pixels[p])); n += 1 }
            XCTAssertLessThan(lumaDiff / max(n, 1), 1.5, "\(stem): fit and keep differ in luma")
        }
        XCTAssertGreaterThan(differs, 0, "fit (the default) gave keep's chroma")
        let bad = try runTool("dfl-merge", ["--model", try model(channels: 1), "--aligned", aligned, "--out", try temporaryDirectory(self),
                                            "--chroma", "vivid", Fixtures.framePath("hill_0000")])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("keep") && bad.stderr.contains("fit"), bad.stderr)
    }
}

/// A directory that lives for the whole test run (for models shared by several tests).
enum ToolProcessDirectory {
    static func make(_ prefix: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}
