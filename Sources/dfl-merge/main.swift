// dfl-merge: frames + aligned dst faces + model → frames with the swapped face (and blend masks).
MergeCommand.runAsTool()
