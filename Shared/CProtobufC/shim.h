#pragma once
#include <protobuf-c/protobuf-c.h>

#if defined(__GLIBC__)
// protobuf-c allocates with malloc (its default allocator): glibc's mallinfo2() lets the runtime's
// tests check that decoding and encoding give back every byte they take.
#include <malloc.h>
#endif
