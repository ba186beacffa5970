// dfl-pack: aligned faces ↔ one DeepFaceLab faceset.pak.
import ArgumentParser
import AtomicIO
import FaceSet
import Foundation
import ToolSupport

struct DFLPack: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dfl-pack",
        abstract: "Pack aligned faces into a DeepFaceLab faceset.pak, or unpack and list .pak files.",
        discussion: """
        Packing reads the faces (JPEG with DeepFaceLab metadata) in the order given and writes one .pak \
        that DeepFaceLab's trainer and dfl-train read; faces that cannot be read are reported and left \
        out (exit status 1). With --unpack DIR the inputs are .pak files and every face is written back \
        byte for byte under its stored file name (and person sub-folder, if any). With --list the names \
        of the faces inside each .pak are printed. Inputs are never modified or deleted.

        EXAMPLES:
          dfl-sort --by blur aligned/ | head -n 3000 | dfl-pack --out src.pak
          dfl-pack --unpack faces/ src.pak
          dfl-pack --list src.pak | wc -l
        """,
        version: toolchainVersion)

    @OptionGroup var input: InputOptions

    @Option(name: [.short, .long], help: "The .pak file to write (packing).")
    var out: String?

    @Option(help: "Unpack the given .pak files into DIR.")
    var unpack: String?

    @Flag(help: "Print the file names stored in the given .pak files.")
    var list = false

    @Option(help: "person_name stored with every packed face (DeepFaceLab's \"person faceset\").")
    var personName: String?

    @Flag(name: [.short, .long], help: "No progress output on standard error.")
    var quiet = false

    func validate() throws {
        let modes = [out != nil, unpack != nil, list].filter { $0 }.count
        guard modes == 1 else { throw ValidationError("choose exactly one of --out FILE, --unpack DIR, --list") }
    }

    func run() throws {
        let inputs = try input.resolvePaths()
        let diagnostics = Diagnostics(toolName: "dfl-pack")
        if let pak = out {
            try pack(inputs, into: pak, diagnostics: diagnostics)
        } else if let dir = unpack {
            try unpackAll(inputs, into: OutputDirectory(dir), diagnostics: diagnostics)
        } else {
            for path in inputs {
                do {
                    for face in try readPak(path) { print(face.relativePath) }
                } catch {
                    diagnostics.fail(path, error)
                }
            }
        }
        throw ExitCode(diagnostics.exitStatus)
    }

    func pack(_ inputs: [String], into pakPath: String, diagnostics: Diagnostics) throws {
        var faces = [PackedFace?](repeating: nil, count: inputs.count)
        let progress = Progress(label: "dfl-pack", total: inputs.count, quiet: quiet)
        OrderedParallel.run(count: inputs.count, work: { i -> Result<PackedFace, Error> in
            Result {
                let bytes = try FileBytes.read(inputs[i])
                let face = try DFLJPG.read(bytes)   // the pak holds JPEG files only
                try rejectUnsafeMetadata(face)
                let name = (inputs[i] as NSString).lastPathComponent
                let config = try PackedFaceset.sampleConfig(filename: name, face: face, personName: personName)
                return PackedFace(config: config, bytes: bytes)
            }
        }, emit: { i, result in
            switch result {
            case .success(let face): faces[i] = face
            case .failure(let error): diagnostics.fail(inputs[i], error)
            }
            progress.advance()
        })
        progress.finish()
        let packed = faces.compactMap { $0 }
        try checkUniqueNames(packed.map(\.relativePath))
        for path in inputs { try ensureNotSameFile(input: path, output: pakPath) }
        try AtomicFile.write(PackedFaceset.write(packed), to: pakPath)
        print(pakPath)
    }

    func unpackAll(_ paks: [String], into dir: OutputDirectory, diagnostics: Diagnostics) throws {
        var written = Set<String>()
        for pak in paks {
            do {
                let faces = try readPak(pak)
                try checkUniqueNames(faces.map(\.relativePath))
                for face in faces {
                    let target = dir.file(named: face.relativePath)
                    guard written.insert(target).inserted else {
                        throw PackError.duplicateName(face.relativePath)
                    }
                    let parent = (target as NSString).deletingLastPathComponent
                    try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
                    try ensureNotSameFile(input: pak, output: target)
                    try AtomicFile.write(face.bytes, to: target)
                    print(target)
                }
            } catch {
                diagnostics.fail(pak, error)
            }
        }
    }
}

enum PackError: Error, CustomStringConvertible {
    case duplicateName(String)
    case unsafeName(String)
    var description: String {
        switch self {
        case .duplicateName(let n): return "two faces are named \(n); rename one before packing or unpacking"
        case .unsafeName(let n): return "stored file name \(n) is not a plain file name"
        }
    }
}

func readPak(_ path: String) throws -> [PackedFace] {
    let faces = try PackedFaceset.read(FileBytes.read(path))
    for face in faces { _ = try face.checkedRelativePath() }
    return faces
}

func checkUniqueNames(_ names: [String]) throws {
    var seen = Set<String>()
    for n in names where !seen.insert(n).inserted { throw PackError.duplicateName(n) }
}

extension PackedFace {
    /// `person/filename` or `filename`, refusing names that could escape the output directory.
    func checkedRelativePath() throws -> String {
        let name = filename ?? ""
        for part in [name, personName ?? "x"] where part.isEmpty || part.contains("/") || part == "." || part == ".." {
            throw PackError.unsafeName(part)
        }
        return relativePath
    }

    var relativePath: String {
        let name = filename ?? "unnamed.jpg"
        if let person = personName { return person + "/" + name }
        return name
    }
}

DFLPack.runAsTool()
