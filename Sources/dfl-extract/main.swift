// dfl-extract: frames → DeepFaceLab aligned faces. See ExtractCommand for the options.
import ArgumentParser
import FaceDetect
import Foundation
import ToolSupport

let tool = "dfl-extract"

extension ExtractCommand {
    func run() throws {
        let command = self
        let diagnostics = Diagnostics(toolName: tool)
        let paths: [String]
        let model: LandmarkModel
        var cnnModel: CNNFaceModel?
        do {
            paths = try command.input.resolvePaths()
            model = try LandmarkModel(path: command.landmarksModel)
            // The bench measures every detector, so it needs the CNN too.
            if command.detectionOptions.detector != .hog || command.bench {
                cnnModel = try CNNFaceModel(path: command.detectorModel)
            }
        } catch let error as InputError {
            printError("\(tool): \(error)")
            throw ExitCode(2)
        } catch {
            printError("\(tool): \(error)")
            throw ExitCode(1)
        }

        if command.bench {
            throw ExitCode(runBenchmark(paths: paths, model: model, cnnModel: cnnModel!, command: command))
        }

        let outDir: OutputDirectory
        var debugDir: OutputDirectory?
        let pool: FaceDetectorPool
        do {
            outDir = try OutputDirectory(command.out!)
            if let d = command.debug { debugDir = try OutputDirectory(d) }
            pool = try FaceDetectorPool(model: model, cnnModel: cnnModel, options: command.detectionOptions)
        } catch {
            printError("\(tool): \(error)")
            throw ExitCode(1)
        }

        let extractor = FrameExtractor(
            settings: command.settings(outputDirectory: outDir.path, debugDirectory: debugDir?.path), detectors: pool)

        // DFL skips a frame whose name stem repeats an earlier one (its faces would overwrite the earlier ones).
        var stemOwner: [String: String] = [:]
        var duplicateOf: [Int: String] = [:]
        for (i, p) in paths.enumerated() {
            let stem = (((p as NSString).lastPathComponent) as NSString).deletingPathExtension
            if let first = stemOwner[stem] { duplicateOf[i] = first } else { stemOwner[stem] = p }
        }

        let start = Date()
        let progress = Progress(label: tool, total: paths.count, quiet: command.quiet)
        var faceCount = 0, framesWithoutFace = 0
        OrderedParallel.run(count: paths.count, threads: command.threads ?? ProcessInfo.processInfo.activeProcessorCount,
                            work: { i -> FrameResult in
            if let first = duplicateOf[i] { return FrameResult(failure: "\(ExtractError.sameStem(first))") }
            return extractor.extract(path: paths[i])
        }, emit: { i, result in
            if let failure = result.failure {
                diagnostics.fail(paths[i], failure)
            } else if result.written.isEmpty {
                framesWithoutFace += 1
                if command.verbose {
                    let why = result.detected == 0 ? "no face found"
                        : "no face kept (\(result.detected) found, dropped by the size check against the detector box)"
                    printError("\(tool): \(paths[i]): \(why)")
                }
            }
            for path in result.written { print(path) }
            faceCount += result.written.count
            progress.advance()
        })
        progress.finish()
        if !command.quiet {
            printError(String(format: "%@: %d frames, %d faces, %d frames without a face, %d failed, %.1f s", tool,
                              paths.count, faceCount, framesWithoutFace, diagnostics.failureCount,
                              Date().timeIntervalSince(start)))
        }
        throw ExitCode(diagnostics.exitStatus)
    }
}

ExtractCommand.runAsTool()
