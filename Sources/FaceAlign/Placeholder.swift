// placeholder, replaced by the FaceAlign module
