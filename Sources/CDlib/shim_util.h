// Helpers shared by the shim's translation units (not part of the public C API).
#ifndef CDLIB_SHIM_UTIL_H
#define CDLIB_SHIM_UTIL_H

#include <cstddef>
#include <cstdint>
#include <cstdio>

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

}  // namespace cdlib_shim

#endif
