import XCTest
@testable import FaceSet

/// Thousands of seeded random mutations of real faces through the readers: each must return or throw,
/// never trap or hang (every loop in the readers is bounded by the input length).
final class FuzzTests: XCTestCase {
    enum Mutation: CaseIterable { case flip, truncate, insert, overwrite, duplicate }

    func mutate(_ input: [UInt8], focus: Range<Int>, rng: inout SplitMix64) -> [UInt8] {
        var b = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            guard !b.isEmpty else { break }
            // Half the edits land in `focus` (the metadata), the rest anywhere.
            let upper = min(focus.upperBound, b.count)
            let inFocus = Bool.random(using: &rng) && focus.lowerBound < upper
            let at = inFocus ? Int.random(in: focus.lowerBound..<upper, using: &rng) : Int.random(in: 0..<b.count, using: &rng)
            switch Mutation.allCases.randomElement(using: &rng)! {
            case .flip: b[at] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
            case .truncate: b.removeSubrange(at...)
            case .insert: b.insert(contentsOf: (0..<Int.random(in: 1...8, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }, at: at)
            case .overwrite: b[at] = [0x00, 0xFF, 0x80, 0x7F, 0x28, 0x2E, 0x94, 0x68][Int.random(in: 0..<8, using: &rng)]
            case .duplicate:
                let end = min(b.count, at + Int.random(in: 1...64, using: &rng))
                b.insert(contentsOf: b[at..<end], at: at)
            }
        }
        return b
    }

    func testMutatedFacesNeverCrash() throws {
        var rng = SplitMix64(state: 20261126)
        let face = try Fixture.bytes("generated/p3_numpy1_lists.jpg")
        let file = try JPEGFile(parsing: face)
        let pickle = try XCTUnwrap(DFLJPG.metadataPickle(in: file))
        let app15End = try XCTUnwrap(face.firstIndex(of: 0xDB).map { $0 + 200 })
        var outcomes = [0, 0]
        for _ in 0..<2000 {
            let m = mutate(face, focus: 0..<app15End, rng: &rng)
            if (try? DFLImage.read(m)) != nil { outcomes[0] += 1 } else { outcomes[1] += 1 }
        }
        for _ in 0..<3000 {
            let m = mutate(pickle, focus: 0..<pickle.count, rng: &rng)
            if let v = try? PickleReader.read(m) {
                _ = try? FaceMetadata(pickle: v)
                _ = try? PickleWriter.write(v)
            }
        }
        // Both outcomes occur: the mutations are neither all harmless nor all fatal.
        XCTAssertGreaterThan(outcomes[0], 0)
        XCTAssertGreaterThan(outcomes[1], 0)
    }

    func testMutatedPaksAndPNGsNeverCrash() throws {
        var rng = SplitMix64(state: 7)
        let pak = try Fixture.bytes("dfl/faceset.pak")
        let headerEnd = 16 + Int(pak[8]) + Int(pak[9]) << 8 + 8 * 4 + 16
        for _ in 0..<500 {
            _ = try? PackedFaceset.read(mutate(pak, focus: 0..<headerEnd, rng: &rng))
        }
        let png = try Fixture.bytes("generated/legacy_dflpng.png")
        for _ in 0..<1000 {
            _ = try? DFLImage.read(mutate(png, focus: 0..<png.count, rng: &rng))
        }
    }
}
