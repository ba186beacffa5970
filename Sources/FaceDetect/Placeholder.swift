// placeholder, replaced by the FaceDetect module
