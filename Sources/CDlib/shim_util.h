// Helpers shared by the shim's translation units (not part of the public C API).
#ifndef CDLIB_SHIM_UTIL_H
#define CDLIB_SHIM_UTIL_H

#include "cdlib.h"

#include <dlib/serialize.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <memory>

namespace cdlib_shim {

/// Copies `message` into the caller's error buffer (always NUL-terminated when capacity > 0).
inline void set_error(char *error, size_t capacity, const char *message) {
    if (error == nullptr || capacity == 0) return;
    std::snprintf(error, capacity, "%s", message);
}

/// A non-empty image whose rows hold at least `bytes_per_pixel * width` bytes.
inline bool valid_image(const uint8_t *pixels, int width, int height, int stride, int bytes_per_pixel = 1) {
    return pixels != nullptr && width > 0 && height > 0 && stride >= static_cast<long>(width) * bytes_per_pixel;
}

/// Runs `body` and returns what it returns. No exception leaves: a std exception's message, or "unknown error
/// <doing>" for any other, goes to the error buffer and `failed` is returned.
template <typename Result, typename Body>
Result guarded(char *error, size_t error_capacity, const char *doing, Result failed, Body body) {
    try {
        return body();
    } catch (const std::exception &e) {
        set_error(error, error_capacity, e.what());
    } catch (...) {
        char message[128];
        std::snprintf(message, sizeof message, "unknown error %s", doing);
        set_error(error, error_capacity, message);
    }
    return failed;
}

/// The loaders' common prologue (cdlib_predictor_load, cdlib_cnn_load): opens `path`, makes a `Model` and fills
/// it with `read(model, stream)`, which throws dlib::serialization_error when the file is not that model. Sets
/// `*status` (when not null) to CDLIB_OK, CDLIB_BAD_ARGUMENT (no path), CDLIB_MODEL_OPEN (cannot open, with
/// strerror), CDLIB_MODEL_FORMAT (the serialization error's message) or CDLIB_ERROR (any other exception;
/// "unknown error loading the <what>" for a non-std one) and returns the model, or NULL on failure.
template <typename Model, typename Read>
Model *load_model(const char *path, int *status, char *error, size_t error_capacity, const char *what, Read read) {
    int dummy = 0;
    int &code = status != nullptr ? *status : dummy;
    if (path == nullptr) {
        code = CDLIB_BAD_ARGUMENT;
        set_error(error, error_capacity, "no model path");
        return nullptr;
    }
    try {
        std::ifstream file(path, std::ios::binary);
        if (!file) {
            code = CDLIB_MODEL_OPEN;
            set_error(error, error_capacity, std::strerror(errno));
            return nullptr;
        }
        std::unique_ptr<Model> model(new Model());
        try {
            read(*model, file);
        } catch (const dlib::serialization_error &e) {
            code = CDLIB_MODEL_FORMAT;
            set_error(error, error_capacity, e.what());
            return nullptr;
        }
        code = CDLIB_OK;
        return model.release();
    } catch (const std::exception &e) {
        code = CDLIB_ERROR;
        set_error(error, error_capacity, e.what());
    } catch (...) {
        code = CDLIB_ERROR;
        char message[128];
        std::snprintf(message, sizeof message, "unknown error loading the %s", what);
        set_error(error, error_capacity, message);
    }
    return nullptr;
}

}  // namespace cdlib_shim

#endif
