#pragma once
#include <sqlite3.h>

/// SQLITE_TRANSIENT is a function-like cast macro Swift cannot import: it tells
/// sqlite3_bind_text/blob to copy the bytes before the call returns.
static inline sqlite3_destructor_type csqlite_transient(void) {
    return SQLITE_TRANSIENT;
}
