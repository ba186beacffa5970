// dfl-gray: colour aligned faces → grayscale faces (BT.601 luma, as OpenCV's BGR→GRAY), metadata kept.
import ArgumentParser
import AtomicIO
import FaceSet
import Imaging
import ToolSupport

struct DFLGray: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dfl-gray",
        abstract: "Convert aligned faces to grayscale, keeping their DeepFaceLab metadata.",
        discussion: """
        Each face is converted to luma with OpenCV's BGR→GRAY rounding and written to --out DIR under \
        its own name (as .jpg). By default the result is a 1-component JPEG at quality 100, what the \
        SAEHDBW fork trains on; --channels 3 repeats the gray value in three channels for upstream \
        DeepFaceLab, which cannot read 1-channel faces. The metadata is copied byte for byte. The \
        written paths are printed on standard output in input order.

        EXAMPLES:
          dfl-gray --out gray aligned/
          ls aligned/*.jpg | dfl-gray --out gray | dfl-resize --size 192 --out gray192
        """,
        version: toolchainVersion)

    @OptionGroup var input: InputOptions

    @Option(name: [.short, .long], help: "Output directory (created if missing).")
    var out: String

    @Option(help: "JPEG quality of the written faces (1-100).")
    var quality: Int = 100

    @Option(help: "Channels to write: 1 (SAEHDBW) or 3 (gray repeated, for upstream DeepFaceLab).")
    var channels: Int = 1

    @Flag(name: [.short, .long], help: "No progress output on standard error.")
    var quiet = false

    func validate() throws {
        guard (1...100).contains(quality) else { throw ValidationError("--quality must be 1...100") }
        guard channels == 1 || channels == 3 else { throw ValidationError("--channels must be 1 or 3") }
    }

    func run() throws {
        let inputs = try input.resolvePaths()
        let outDir = try OutputDirectory(out)
        let status = PerFileRunner.run(tool: "dfl-gray", inputs: inputs, quiet: quiet) { path in
            let face = try FaceFile(path: path)
            var gray = face.image.channels == 1 ? face.image : face.image.toGray()
            if channels == 3 { gray = gray.grayToRGB() }
            let jpeg = try encodeJPEG(gray, quality: quality)
            let output: [UInt8]
            if let pickle = face.storedPickle {
                output = try DFLJPG.embed(pickle: pickle, into: jpeg)
            } else {
                output = try DFLJPG.embed(face.metadata, into: jpeg)   // legacy DFLPNG input
            }
            let target = outDir.file(named: face.stem + ".jpg")
            try ensureNotSameFile(input: path, output: target)
            try AtomicFile.write(output, to: target)
            return [target]
        }
        throw ExitCode(status)
    }
}

DFLGray.runAsTool()
