// Imaging: the image buffers (Image.swift) and what the tools do with them.
//
// - Codecs: `decodeJPEG` / `encodeJPEG` (libturbojpeg, accurate DCT; 1-component JPEGs for gray; 4:4:4 at
//   quality 100, 4:2:0 below), `decodePNG` / `encodePNG` (libpng simplified API, 8-bit gray/RGB/RGBA),
//   `decodeImage` (sniffs the signature), `readImage(path:)`. Decoders throw `ImagingError`, never trap.
// - Geometry: `resized(width:height:method:)` (area, linear, cubic, Lanczos-4), `warpAffine` (bilinear,
//   cubic, Lanczos-4; constant or replicated border), `cropped`, `flippedHorizontally`, `grid`, `sideBySide`.
// - Colour: `toGray` (OpenCV's BGR2GRAY rounding), `grayToRGB`.
// - Filters and drawing: `gaussianBlurred` (cv2.GaussianBlur), `fillPolygons` (cv2.fillPoly),
//   `drawLine`, `drawCircle`.
//
// Reference behaviour is OpenCV 4.10 (the 4.x line DeepFaceLab uses). Tests compare against golden files
// made by tools/fixtures/imaging/make_fixtures.py: 8-bit resize, warp, gray and fillPoly are bit-identical
// on every fixture but 2 bicubic samples (1 level, float rounding order); float results within 1e-5.
// OpenCV 5.x gives the same resizes but its rewritten warpAffine differs by up to 3 levels (bilinear).
