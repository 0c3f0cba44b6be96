#pragma once
#include <sodium.h>

/// sodium_base64_ENCODED_LEN is a function-like macro Swift cannot import: the buffer size
/// (including the trailing NUL) sodium_bin2base64 needs for `bin_len` bytes in `variant`.
static inline size_t csodium_base64_encoded_len(size_t bin_len, int variant) {
    return sodium_base64_ENCODED_LEN(bin_len, variant);
}
