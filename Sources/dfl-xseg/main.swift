// dfl-xseg: DeepFaceLab's XSeg learned face masks as a tool (docs/xseg.md): train a model on labelled faces,
// apply it (the mask goes into each face's metadata), remove masks, move models between DeepFaceLab's folder
// and ours, and move labels between faces and labelme.
import ArgumentParser
import ToolSupport

struct DFLXSeg: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dfl-xseg",
        abstract: "Train and apply DeepFaceLab's XSeg face-mask network; move labels and models.",
        discussion: """
        XSeg learns which pixels of an aligned face are face (hands, hair, microphones and other occluders \
        excluded) from faces whose owners drew include/exclude polygons (seg_ie_polys, from DeepFaceLab's \
        XSeg editor or from labelme through 'dfl-xseg label'). 'dfl-xseg apply' stores the model's mask in \
        each face (xseg_mask), where dfl-train's masked training uses it instead of the landmark hull.

        A typical session:
          dfl-xseg labelme src/aligned            # write labelme files for faces that have polygons
          labelme src/aligned                      # draw: label occluders 'exclude', the face 'face'
          dfl-xseg label src/aligned dst/aligned   # polygons from the labelme files into the faces
          dfl-xseg train --model xseg src/aligned dst/aligned
          dfl-xseg apply --model xseg src/aligned dst/aligned

        Faces are given as every tool takes them: paths as arguments (a directory means its images) or one \
        path per line on standard input. Commands that rewrite faces change only the metadata (written to \
        a temporary file and renamed into place; the image data is untouched) and print the rewritten \
        faces' paths. Exit status: 0 when every face was processed, 1 when any failed, 2 for usage errors.
        """,
        version: toolchainVersion,
        subcommands: [Train.self, Apply.self, Remove.self, Import.self, Export.self, Label.self, Labelme.self])
}

DFLXSeg.runAsTool()
