// `dfl-extract --bench IMAGES…`: extraction speed on this machine. Each input image is fitted (letterboxed)
// into 640×360 and 1280×720 frames and JPEG-encoded; then every frame goes through the whole per-frame path
// (decode, detect, landmarks, align, warp, encode, metadata; no disk writes) on all worker threads, for
// HOG at upsample 0 and 1 and for the CNN and auto at --upsample. Prints frames/s per case on standard output.
import Dispatch
import FaceDetect
import Foundation
import Imaging
import ToolSupport

func runBenchmark(paths: [String], model: LandmarkModel, cnnModel: CNNFaceModel, command: ExtractCommand) -> Int32 {
    var photos: [Image] = []
    for p in paths {
        do { photos.append(rgb(try readImage(path: p))) } catch { printError("\(tool): \(p): \(error)") }
    }
    guard !photos.isEmpty else {
        printError("\(tool): --bench needs at least one readable image")
        return 1
    }
    let threads = command.threads ?? ProcessInfo.processInfo.activeProcessorCount
    // One `bench extract …` line per measurement, as `make bench` prints every figure (times are CPU ms per frame).
    for (w, h) in [(640, 360), (1280, 720)] {
        let frames: [[UInt8]]
        do { frames = try photos.map { try encodeJPEG(letterboxed($0, width: w, height: h), quality: 95) } } catch {
            printError("\(tool): \(error)"); return 1
        }
        let cases: [(DetectorKind, Int)] = [(.hog, 0), (.hog, 1), (.cnn, command.upsample), (.auto, command.upsample)]
        for (kind, up) in cases {
            var options = command.detectionOptions
            options.detector = kind
            options.upsample = up
            guard let pool = try? FaceDetectorPool(model: model, cnnModel: cnnModel, options: options) else { return 1 }
            let extractor = FrameExtractor(settings: command.settings(outputDirectory: "", debugDirectory: nil),
                                           detectors: pool)
            // Whole passes over the inputs, at least 40 frames for HOG, 8 for the slower CNN.
            let least = kind == .hog ? 40 : 8
            let total = frames.count * max(1, (least + frames.count - 1) / frames.count)
            let workers = min(threads, total)
            let lock = NSLock()
            var next = 0, faces = 0
            var cpu = StageTimes()
            let start = DispatchTime.now().uptimeNanoseconds
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                var mine = StageTimes(), found = 0
                while true {
                    lock.lock(); let i = next; next += 1; lock.unlock()
                    if i >= total { break }
                    found += extractor.benchmarkFrame(frames[i % frames.count], times: &mine)
                }
                lock.lock(); faces += found; cpu.add(mine); lock.unlock()
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let perFrame = { (t: Double) in t * 1000 / Double(total) }
            print(String(format: "bench extract %dx%d detector=%@ upsample=%d threads=%d frames=%d faces_per_frame=%.2f "
                         + "frames_per_s=%.2f decode_ms=%.1f detect_ms=%.1f align_encode_ms=%.1f", w, h, kind.rawValue, up, workers,
                         total, Double(faces) / Double(total), Double(total) / seconds, perFrame(cpu.decode),
                         perFrame(cpu.detect), perFrame(cpu.align)))
        }
    }
    return 0
}

/// `image` scaled (area resampling) to fit inside `width`×`height`, centred on black.
func letterboxed(_ image: Image, width: Int, height: Int) -> Image {
    let scale = min(Double(width) / Double(image.width), Double(height) / Double(image.height))
    let w = max(1, Int((Double(image.width) * scale).rounded())), h = max(1, Int((Double(image.height) * scale).rounded()))
    let scaled = image.resized(width: w, height: h, method: .area)
    var out = Image(width: width, height: height, channels: 3)
    let x0 = (width - w) / 2, y0 = (height - h) / 2
    for y in 0..<h {
        for x in 0..<w {
            for c in 0..<3 { out[x0 + x, y0 + y, c] = scaled[x, y, c] }
        }
    }
    return out
}

/// CPU seconds spent per stage (thread CPU time, so the figures hold on a busy machine too).
struct StageTimes {
    var decode = 0.0, detect = 0.0, align = 0.0
    mutating func add(_ o: StageTimes) { decode += o.decode; detect += o.detect; align += o.align }
}

/// CPU time of the calling thread in seconds.
func threadCPUTime() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

extension FrameExtractor {
    /// The per-frame path without disk writes, timing its stages; returns the number of faces produced.
    func benchmarkFrame(_ jpeg: [UInt8], times: inout StageTimes) -> Int {
        let t0 = threadCPUTime()
        guard let frame = try? decodeImage(jpeg) else { return 0 }
        let t1 = threadCPUTime()
        let detected = (try? detectors.detectFaces(in: frame)) ?? []
        let t2 = threadCPUTime()
        let source = settings.gray ? frame.toGray() : rgb(frame)
        let n = detected.compactMap { try? align($0, in: source, frameName: "bench.png") }.count
        let t3 = threadCPUTime()
        times.decode += t1 - t0; times.detect += t2 - t1; times.align += t3 - t2
        return n
    }
}
