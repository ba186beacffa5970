// The long help: every method and every deliberate difference from DeepFaceLab's sorter. Lines are kept
// under 80 columns because ArgumentParser wraps longer ones without indenting them.
import Sort

enum HelpText {
    static var discussion: String {
        let width = SortMethod.allCases.map(\.rawValue.count).max() ?? 0
        let methods = SortMethod.allCases.map { m in
            "  " + m.rawValue.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + m.summary
        }.joined(separator: "\n")
        return """
        Reads a face list (paths as arguments, a directory meaning its images in
        name order, or one path per line on standard input) and prints the same
        paths in the new order. Files are never modified.

        METHODS (default hist, as in DFL):
        \(methods)

        blur, motion-blur, face-yaw, face-pitch, final and final-fast need the
        face's landmarks; face-source-rect-size and final-fast its source_rect;
        origname its source_filename. A face that lacks them, or cannot be read,
        is reported on standard error as "dfl-sort: PATH: REASON" and listed after
        the sorted faces (score "nan") unless --drop-invalid is given; the exit
        status is then 1. Usage errors exit 2.

        DIFFERENCES FROM DEEPFACELAB:
          - Nothing is renamed, moved or deleted: the order is printed. --rename
            copies the faces into a directory as 00000.jpg, 00001.jpg, ...; there
            is no _trash folder (DFL empties one and moves rejects into it).
            Faces DFL would trash are left out (oneface, final) or listed last.
          - blur keeps faces whose CPBD is exactly 0 (DFL trashes them); they
            sort last. Use --drop-below to drop them.
          - 1-channel faces work with every method: the gray plane is the face
            itself (SAEHDBW's rule), hist compares one histogram, brightness is
            the mean value, hue is 0. In a mix of gray and colour faces, hist
            and absdiff compare a gray face as three equal channels.
          - source_rect is read whether stored as int32, int64 or a plain list.
          - hist chunks more than 20000 faces as DFL does but joins the chunks
            in input order, so runs are reproducible.
          - oneface keeps names that are not FRAME_INDEX instead of failing, and
            has no index mix-up.
          - final and final-fast work from the command line (DFL's CLI values
            crash) and return exactly min(--count, faces): the count is shared
            over the yaw bins that hold faces, where DFL gives each of its 128
            bins round(N/128) faces (none at all for N < 64).
          - absdiff runs on the CPU with no cache file; a face whose size differs
            from the first face's is reported as invalid. --dissimilar answers
            DFL's "Sort by similar?" with no.
          - Equal scores keep the input order.

        EXAMPLES:
          dfl-sort --by blur src/aligned | head -n 3000 | dfl-pack --out src.pak
          dfl-sort --by face-yaw --print-score src/aligned
          dfl-sort --by final --count 1500 src/aligned | dfl-pack --out src.pak
        """
    }
}
