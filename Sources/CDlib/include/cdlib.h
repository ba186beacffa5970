// A small C API over dlib's HOG frontal face detector, its CNN (MMOD) face detector and 68-point shape
// predictor.
// Images are 8-bit grayscale, row-major, top row first, with a row stride in bytes.
// Every function catches C++ exceptions and reports them through its return value and `error`
// (a caller-provided buffer of `error_capacity` bytes, always NUL-terminated when capacity > 0).
#ifndef CDLIB_H
#define CDLIB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Status codes returned by the shim.
enum {
    CDLIB_OK = 0,
    CDLIB_ERROR = -1,          ///< a dlib or std exception; the message says which
    CDLIB_BAD_ARGUMENT = -2,   ///< null pointer, negative size, stride too small, bad rectangle
    CDLIB_MODEL_OPEN = -3,     ///< the model file cannot be opened
    CDLIB_MODEL_FORMAT = -4,   ///< the model file is not of the expected kind
};

/// A detection box in pixel coordinates (dlib's inclusive rectangle) and the detector's confidence.
typedef struct cdlib_rect {
    long left, top, right, bottom;
    double score;
} cdlib_rect;

/// Opaque HOG frontal face detector. Not thread-safe: use one per thread.
typedef struct cdlib_detector cdlib_detector;
/// Opaque 68-point shape predictor. Read-only after loading: one instance may serve all threads.
typedef struct cdlib_predictor cdlib_predictor;

/// Creates a HOG frontal face detector (`dlib::get_frontal_face_detector`); NULL on failure.
cdlib_detector *cdlib_detector_create(char *error, size_t error_capacity);
void cdlib_detector_destroy(cdlib_detector *detector);

/// Runs the detector on a grayscale image after `upsample` 2× upsamplings (0 = none, at most 4);
/// boxes are reported in the input image's pixels. `threshold` is dlib's adjust_threshold (0 is the
/// usual value). Writes at most `capacity` boxes, highest score first, and returns the total number
/// found (which may exceed `capacity`), or a negative status.
int cdlib_detect(cdlib_detector *detector, const uint8_t *gray, int width, int height, int stride,
                 int upsample, double threshold, cdlib_rect *boxes, int capacity,
                 char *error, size_t error_capacity);

/// Loads a shape predictor from `path`; on failure returns NULL and sets `*status`
/// (CDLIB_MODEL_OPEN, CDLIB_MODEL_FORMAT or CDLIB_ERROR) and the message.
cdlib_predictor *cdlib_predictor_load(const char *path, int *status, char *error, size_t error_capacity);
void cdlib_predictor_destroy(cdlib_predictor *predictor);

/// Fits the 68 landmarks inside `box` (the detector box, in the image's pixels) and writes them to
/// `xy` as 68 (x, y) pairs. Safe to call from several threads at once on one predictor.
int cdlib_predict(const cdlib_predictor *predictor, const uint8_t *gray, int width, int height, int stride,
                  cdlib_rect box, double *xy, char *error, size_t error_capacity);

/// Opaque CNN face detector: dlib's MMOD network (the one of dlib's dnn_mmod_face_detection_ex.cpp, read from
/// mmod_human_face_detector.dat). Not thread-safe: clone one per thread.
typedef struct cdlib_cnn cdlib_cnn;

/// Loads the network from `path`; on failure returns NULL and sets `*status` (CDLIB_MODEL_OPEN,
/// CDLIB_MODEL_FORMAT or CDLIB_ERROR) and the message. (In cdlib_cnn.cpp, its own translation unit, because
/// dlib's dnn templates take long to compile.)
cdlib_cnn *cdlib_cnn_load(const char *path, int *status, char *error, size_t error_capacity);
/// A copy of a loaded network with its own working buffers, for another thread; NULL on failure.
cdlib_cnn *cdlib_cnn_clone(const cdlib_cnn *cnn, char *error, size_t error_capacity);
void cdlib_cnn_destroy(cdlib_cnn *cnn);

/// Runs the CNN on an 8-bit RGB image (3 bytes a pixel, rows `stride` bytes apart) after `upsample` 2×
/// upsamplings (0…2); boxes in the input image's pixels. `threshold` is dlib's adjust_threshold (0 is the
/// usual value). Writes at most `capacity` boxes, highest score first, and returns the total number found,
/// or a negative status.
int cdlib_cnn_detect(cdlib_cnn *cnn, const uint8_t *rgb, int width, int height, int stride, int upsample,
                     double threshold, cdlib_rect *boxes, int capacity, char *error, size_t error_capacity);

#ifdef __cplusplus
}
#endif

#endif
