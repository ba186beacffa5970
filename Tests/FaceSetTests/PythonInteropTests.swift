import Foundation
import XCTest
@testable import FaceSet

/// Faces and paks we write must load with Python's pickle + numpy into the types and shapes DFL's getters
/// need (docs/dfl-faceset.md §1.9, §8). Runs python3 when it is installed with numpy; skipped otherwise.
final class PythonInteropTests: XCTestCase {
    /// Walks the JPEG segments itself, unpickles the APP15 and prints what DFL's getters would see.
    static let checkFace = #"""
import sys, json, pickle, struct
import numpy as np
data = open(sys.argv[1], 'rb').read()
i, payload = 2, None
while i < len(data):
    m = data[i + 1]
    if m == 0xDA: break
    n = struct.unpack('>H', data[i + 2:i + 4])[0]
    if m == 0xEF: payload = data[i + 4:i + 2 + n]
    i += 2 + n
d = pickle.loads(payload)
out = {'keys': list(d.keys()), 'face_type': d['face_type']}
lm = np.array(d['landmarks']); out['landmarks_shape'] = list(lm.shape); out['landmarks_dtype'] = str(lm.dtype)
out['landmarks'] = lm.tolist()
r = d['source_rect']; out['rect_type'] = type(r).__name__; out['rect_dtype'] = str(r.dtype)
out['rect'] = r[[0, 2, 2, 0]].tolist()  # the sorters' fancy indexing: only works on an ndarray
m = d['image_to_face_mat']; out['mat_dtype'] = str(m.dtype); out['mat'] = m.tolist()
x = d['xseg_mask']; out['mask_type'] = type(x).__name__; out['mask_dtype'] = str(x.dtype); out['mask'] = x.tobytes().hex()
p = d['seg_ie_polys']['polys']
out['polys'] = [{'type': q['type'], 'dtype': str(np.asarray(q['pts']).dtype), 'pts': np.float32(q['pts']).tolist()} for q in p]
out['extra'] = repr(d.get('my_extra'))
out['source_filename'] = d['source_filename']
print(json.dumps(out))
"""#

    static let checkPak = #"""
import sys, json, pickle, struct
data = open(sys.argv[1], 'rb').read()
version, n = struct.unpack('<QQ', data[:16])
configs = pickle.loads(data[16:16 + n])
count = len(configs)
offs = struct.unpack('<%dQ' % (count + 1), data[16 + n:16 + n + 8 * (count + 1)])
start = 16 + n + 8 * (count + 1)
sizes = [offs[i + 1] - offs[i] for i in range(count - 1)] + [len(data) - start - offs[count - 1]]
print(json.dumps({'version': version, 'names': [c['filename'] for c in configs],
                  'face_types': [int(c['face_type']) for c in configs], 'shapes': [list(c['shape']) for c in configs],
                  'sizes': sizes, 'polys': [c['seg_ie_polys'] for c in configs][0:1] and 'ok'}))
"""#

    func python(_ script: String, _ file: String) throws -> JSON {
        let which = Process()
        which.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        which.arguments = ["python3", "-c", "import numpy"]
        which.standardError = FileHandle.nullDevice
        do { try which.run(); which.waitUntilExit() } catch { throw XCTSkip("python3 not available") }
        guard which.terminationStatus == 0 else { throw XCTSkip("python3 with numpy not available") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-W", "ignore", "-c", script, file]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, String(decoding: errData, as: UTF8.self))
        return try JSONDecoder().decode(JSON.self, from: data)
    }

    func temp(_ bytes: [UInt8], _ name: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("faceset-\(UUID().uuidString)-\(name)")
        try Data(bytes).write(to: url)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    func testFaceWeWriteLoadsInPythonWithDFLTypes() throws {
        let bytes = try Fixture.bytes("generated/p3_numpy1_lists.jpg")
        var m = try DFLJPG.readMetadata(bytes)
        m.sourceRect = [-5, 7, 100000, 2_000_000]
        m.segIEPolys.append(SegIEPolygon(kind: .exclude, points: [SIMD2(0.5, 1), SIMD2(2, 3)]))
        let path = try temp(try DFLJPG.embed(m, into: bytes), "face.jpg")
        let py = try python(Self.checkFace, path)
        XCTAssertEqual(py["face_type"]?.string, "whole_face")
        XCTAssertEqual(ints(py["landmarks_shape"]), [68, 2])
        XCTAssertEqual(py["landmarks_dtype"]?.string, "float64")
        assertPoints(points(py["landmarks"]), m.landmarks, "landmarks")
        XCTAssertEqual(py["rect_type"]?.string, "ndarray")
        XCTAssertEqual(py["rect_dtype"]?.string, "int32")
        XCTAssertEqual(ints(py["rect"]), [-5, 100000, 100000, -5])
        XCTAssertEqual(py["mat_dtype"]?.string, "float64")
        XCTAssertEqual(py["mat"]?.array?.flatMap { doubles($0)! }, m.imageToFaceMat)
        XCTAssertEqual(py["mask_type"]?.string, "ndarray")
        XCTAssertEqual(py["mask_dtype"]?.string, "uint8")
        XCTAssertEqual(py["mask"]?.string.map(hexBytes), m.xsegMask)
        let polys = try XCTUnwrap(py["polys"]?.array)
        XCTAssertEqual(polys.count, m.segIEPolys.count)
        for (q, p) in zip(polys, m.segIEPolys) {
            XCTAssertEqual(q["type"]?.int, p.kind.rawValue)
            XCTAssertEqual(q["dtype"]?.string, "float32")
            assertPoints(points(q["pts"]), p.points, "pts")
        }
        XCTAssertEqual(py["extra"]?.string, "{'a': [1, 2.5, 'x', None, True], 'b': b'raw', 't': (1, 2), 'big': 1099511627776, 'neg': -7}")
        XCTAssertEqual(py["source_filename"]?.string, "00001.png")
        XCTAssertEqual(py["keys"]?.array?.compactMap(\.string),
                       ["face_type", "landmarks", "source_filename", "source_rect", "source_landmarks", "image_to_face_mat",
                        "eyebrows_expand_mod", "seg_ie_polys", "xseg_mask", "my_extra", "relighted"])
    }

    func testPakWeWriteLoadsInPython() throws {
        var faces: [PackedFace] = []
        for path in ["dfl/faces/obama_speech_2009_0.jpg", "dfl/faces/lin_manuel_miranda_2009_0.jpg"] {
            let bytes = try Fixture.bytes(path)
            faces.append(PackedFace(config: try PackedFaceset.sampleConfig(filename: path, face: try DFLJPG.read(bytes)),
                                    bytes: bytes))
        }
        let py = try python(Self.checkPak, try temp(try PackedFaceset.write(faces), "faceset.pak"))
        XCTAssertEqual(py["version"]?.int, 1)
        XCTAssertEqual(py["names"]?.array?.compactMap(\.string), ["obama_speech_2009_0.jpg", "lin_manuel_miranda_2009_0.jpg"])
        XCTAssertEqual(ints(py["face_types"]), [2, 10])
        XCTAssertEqual(py["shapes"]?.array?.map { ints($0)! }, [[256, 256, 3], [256, 256, 3]])
        XCTAssertEqual(ints(py["sizes"]), faces.map(\.bytes.count))
    }
}
