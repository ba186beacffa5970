// The dlib shim: wraps dlib's HOG face detector and shape predictor behind the plain C API of cdlib.h.
// No C++ exception leaves this file; each entry point converts them into a status and a message.
#include "cdlib.h"
#include "shim_util.h"

#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_transforms.h>

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

namespace {

// A read-only view of caller memory that satisfies dlib's generic image interface, so the
// predictor and the detector read the Swift buffer without a copy.
struct gray_view {
    const unsigned char *data;
    long rows;
    long cols;
    long stride;
};

}  // namespace

namespace dlib {
template <> struct image_traits<gray_view> { typedef unsigned char pixel_type; };
}  // namespace dlib

namespace {
inline long num_rows(const gray_view &v) { return v.rows; }
inline long num_columns(const gray_view &v) { return v.cols; }
inline const void *image_data(const gray_view &v) { return v.data; }
inline long width_step(const gray_view &v) { return v.stride; }
}  // namespace

struct cdlib_detector {
    dlib::frontal_face_detector detector = dlib::get_frontal_face_detector();
};

// dlib's shape_predictor rounds its landmarks to whole pixels. This holds the same model (read with the
// same serialization layout, version 1) and runs the same cascade, but keeps sub-pixel coordinates: the
// alignment transform and frame-to-frame stability both benefit.
struct cdlib_predictor {
    dlib::matrix<float, 0, 1> initial_shape;
    std::vector<std::vector<dlib::impl::regression_tree>> forests;
    std::vector<std::vector<unsigned long>> anchor_idx;
    std::vector<std::vector<dlib::vector<float, 2>>> deltas;

    void read(std::istream &in) {
        int version = 0;
        dlib::deserialize(version, in);
        if (version != 1) throw dlib::serialization_error("not a dlib shape predictor (unexpected version)");
        dlib::deserialize(initial_shape, in);
        dlib::deserialize(forests, in);
        dlib::deserialize(anchor_idx, in);
        dlib::deserialize(deltas, in);
        if (forests.size() != anchor_idx.size() || forests.size() != deltas.size())
            throw dlib::serialization_error("inconsistent shape predictor cascade");
        if (num_parts() != 68) {
            char message[96];
            std::snprintf(message, sizeof message, "the model has %lu landmarks, not 68", num_parts());
            throw dlib::serialization_error(message);
        }
    }

    unsigned long num_parts() const { return initial_shape.size() / 2; }

    // The cascade of dlib::shape_predictor::operator(), returning float points.
    template <typename image_type>
    void predict(const image_type &img, const dlib::rectangle &rect, double *xy) const {
        using namespace dlib::impl;
        dlib::matrix<float, 0, 1> current_shape = initial_shape;
        std::vector<float> feature_pixel_values;
        for (unsigned long iter = 0; iter < forests.size(); ++iter) {
            extract_feature_pixel_values(img, rect, current_shape, initial_shape, anchor_idx[iter], deltas[iter],
                                         feature_pixel_values);
            unsigned long leaf_idx;
            for (unsigned long i = 0; i < forests[iter].size(); ++i)
                current_shape += forests[iter][i](feature_pixel_values, leaf_idx);
        }
        const dlib::point_transform_affine tform_to_img = unnormalizing_tform(rect);
        for (unsigned long i = 0; i < num_parts(); ++i) {
            const dlib::vector<double, 2> p = tform_to_img(dlib::vector<double, 2>(location(current_shape, i)));
            xy[2 * i] = p.x();
            xy[2 * i + 1] = p.y();
        }
    }
};

using cdlib_shim::guarded;
using cdlib_shim::set_error;
using cdlib_shim::valid_image;

extern "C" {

cdlib_detector *cdlib_detector_create(char *error, size_t error_capacity) {
    return guarded(error, error_capacity, "creating the face detector", static_cast<cdlib_detector *>(nullptr), [&] {
        return new cdlib_detector();
    });
}

void cdlib_detector_destroy(cdlib_detector *detector) { delete detector; }

int cdlib_detect(cdlib_detector *detector, const uint8_t *gray, int width, int height, int stride,
                 int upsample, double threshold, cdlib_rect *boxes, int capacity,
                 char *error, size_t error_capacity) {
    if (detector == nullptr || !valid_image(gray, width, height, stride) || upsample < 0 || upsample > 4 ||
        capacity < 0 || (capacity > 0 && boxes == nullptr)) {
        set_error(error, error_capacity, "bad argument to cdlib_detect");
        return CDLIB_BAD_ARGUMENT;
    }
    return guarded(error, error_capacity, "in face detection", static_cast<int>(CDLIB_ERROR), [&] {
        const gray_view view{gray, height, width, stride};
        std::vector<dlib::rect_detection> found;
        // As dlib's Python binding: upsample with pyramid_up, detect, map boxes back with rect_down.
        dlib::pyramid_down<2> pyramid;
        if (upsample == 0) {
            detector->detector(view, found, threshold);
        } else {
            dlib::array2d<unsigned char> up;
            dlib::pyramid_up(view, up, pyramid);
            for (int i = 1; i < upsample; ++i) dlib::pyramid_up(up, pyramid);
            detector->detector(up, found, threshold);
            for (auto &d : found) d.rect = pyramid.rect_down(d.rect, upsample);
        }
        std::sort(found.begin(), found.end(), [](const dlib::rect_detection &a, const dlib::rect_detection &b) {
            return a.detection_confidence > b.detection_confidence;
        });
        const int n = static_cast<int>(found.size());
        for (int i = 0; i < n && i < capacity; ++i) {
            const auto &r = found[i].rect;
            boxes[i] = cdlib_rect{r.left(), r.top(), r.right(), r.bottom(), found[i].detection_confidence};
        }
        return n;
    });
}

cdlib_predictor *cdlib_predictor_load(const char *path, int *status, char *error, size_t error_capacity) {
    return cdlib_shim::load_model<cdlib_predictor>(path, status, error, error_capacity, "landmark model",
                                                   [](cdlib_predictor &p, std::istream &in) { p.read(in); });
}

void cdlib_predictor_destroy(cdlib_predictor *predictor) { delete predictor; }

int cdlib_predict(const cdlib_predictor *predictor, const uint8_t *gray, int width, int height, int stride,
                  cdlib_rect box, double *xy, char *error, size_t error_capacity) {
    if (predictor == nullptr || xy == nullptr || !valid_image(gray, width, height, stride) ||
        box.right < box.left || box.bottom < box.top) {
        set_error(error, error_capacity, "bad argument to cdlib_predict");
        return CDLIB_BAD_ARGUMENT;
    }
    return guarded(error, error_capacity, "fitting landmarks", static_cast<int>(CDLIB_ERROR), [&] {
        const gray_view view{gray, height, width, stride};
        const dlib::rectangle rect(box.left, box.top, box.right, box.bottom);
        predictor->predict(view, rect, xy);
        return CDLIB_OK;
    });
}

}  // extern "C"
