print("dfl-merge: not yet")
