// dlib's CNN face detector (MMOD) behind the C API of cdlib.h. Its own translation unit: dlib's dnn templates
// take long to compile, and edits to the rest of the shim should not recompile them.
// No C++ exception leaves this file; each entry point converts them into a status and a message.
#include "cdlib.h"
#include "shim_util.h"

#include <dlib/dnn.h>
#include <dlib/image_transforms.h>

#include <algorithm>
#include <dlfcn.h>
#include <exception>
#include <vector>

using cdlib_shim::guarded;
using cdlib_shim::set_error;
using cdlib_shim::valid_image;

namespace {

// The network type of mmod_human_face_detector.dat, as defined in dlib's example
// dnn_mmod_face_detection_ex.cpp (dlib is Boost-licensed; the example is public domain): three 5×5 stride-2
// convolutions (16, 32, 32 filters) downsample 8×, three 5×5 convolutions of 45 filters follow, and a 9×9
// convolution gives one detection score per position, over an image pyramid with scale 5/6 per level.
// A serialized net must match this type layer for layer, so it cannot differ from the example.
template <long num_filters, typename SUBNET> using con5d = dlib::con<num_filters, 5, 5, 2, 2, SUBNET>;
template <long num_filters, typename SUBNET> using con5 = dlib::con<num_filters, 5, 5, 1, 1, SUBNET>;
template <typename SUBNET>
using downsampler = dlib::relu<dlib::affine<con5d<32, dlib::relu<dlib::affine<con5d<32,
                    dlib::relu<dlib::affine<con5d<16, SUBNET>>>>>>>>>;
template <typename SUBNET> using rcon5 = dlib::relu<dlib::affine<con5<45, SUBNET>>>;
using mmod_net = dlib::loss_mmod<dlib::con<1, 9, 9, 1, 1,
                 rcon5<rcon5<rcon5<downsampler<dlib::input_rgb_image_pyramid<dlib::pyramid_down<6>>>>>>>>;

}  // namespace

struct cdlib_cnn {
    mmod_net net;
};

extern "C" {

cdlib_cnn *cdlib_cnn_load(const char *path, int *status, char *error, size_t error_capacity) {
    // dlib checks each layer's name and shape while reading, so another network's file is refused.
    cdlib_cnn *cnn = cdlib_shim::load_model<cdlib_cnn>(path, status, error, error_capacity, "CNN face detector",
                                                       [](cdlib_cnn &c, std::istream &in) { dlib::deserialize(c.net, in); });
    // Frames already run in parallel on every core; OpenBLAS threads inside each frame's convolutions
    // would only contend with them (measured: a third more wall time). Looked up at run time, so any
    // BLAS works.
    using set_threads_fn = void (*)(int);
    if (cnn != nullptr)
        if (auto set_threads = reinterpret_cast<set_threads_fn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
            set_threads(1);
    return cnn;
}

cdlib_cnn *cdlib_cnn_clone(const cdlib_cnn *cnn, char *error, size_t error_capacity) {
    if (cnn == nullptr) {
        set_error(error, error_capacity, "bad argument to cdlib_cnn_clone");
        return nullptr;
    }
    return guarded(error, error_capacity, "copying the CNN face detector", static_cast<cdlib_cnn *>(nullptr), [&] {
        return new cdlib_cnn(*cnn);
    });
}

void cdlib_cnn_destroy(cdlib_cnn *cnn) { delete cnn; }

int cdlib_cnn_detect(cdlib_cnn *cnn, const uint8_t *rgb, int width, int height, int stride, int upsample,
                     double threshold, cdlib_rect *boxes, int capacity, char *error, size_t error_capacity) {
    if (cnn == nullptr || !valid_image(rgb, width, height, stride, 3) || upsample < 0 || upsample > 2 ||
        capacity < 0 || (capacity > 0 && boxes == nullptr)) {
        set_error(error, error_capacity, "bad argument to cdlib_cnn_detect");
        return CDLIB_BAD_ARGUMENT;
    }
    return guarded(error, error_capacity, "in CNN face detection", static_cast<int>(CDLIB_ERROR), [&] {
        // The network's input type is a matrix of rgb_pixel: one copy of the caller's rows. Tiny images
        // break the network's input pyramid (dlib throws for 2×2 and 8×8 frames), so anything under 64 px
        // is padded with black to 64 on the right and bottom: a black border holds no face, and no face the
        // CNN can find (about 40 px at least) is smaller than the padding.
        const long min_side = 64;
        dlib::matrix<dlib::rgb_pixel> image(std::max<long>(height, min_side), std::max<long>(width, min_side));
        if (height < min_side || width < min_side) dlib::set_all_elements(image, dlib::rgb_pixel(0, 0, 0));
        for (int y = 0; y < height; ++y) {
            const uint8_t *row = rgb + static_cast<size_t>(y) * stride;
            for (int x = 0; x < width; ++x)
                image(y, x) = dlib::rgb_pixel(row[3 * x], row[3 * x + 1], row[3 * x + 2]);
        }
        // As dlib's Python binding: upsample with pyramid_up, detect, map the boxes back with rect_down.
        dlib::pyramid_down<2> pyramid;
        for (int i = 0; i < upsample; ++i) dlib::pyramid_up(image, pyramid);
        std::vector<dlib::mmod_rect> found = cnn->net.process(image, threshold);
        std::sort(found.begin(), found.end(), [](const dlib::mmod_rect &a, const dlib::mmod_rect &b) {
            return a.detection_confidence > b.detection_confidence;
        });
        const int n = static_cast<int>(found.size());
        for (int i = 0; i < n && i < capacity; ++i) {
            const dlib::rectangle r =
                upsample > 0 ? dlib::rectangle(pyramid.rect_down(found[i].rect, upsample)) : found[i].rect;
            boxes[i] = cdlib_rect{r.left(), r.top(), r.right(), r.bottom(), found[i].detection_confidence};
        }
        return n;
    });
}

}  // extern "C"
