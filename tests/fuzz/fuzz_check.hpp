// FUZZ_CHECK: the assertion the fuzz harnesses use.
//
// CONCEPT: a fuzzer only learns what the harness tells it. A crash and a sanitizer report are
// findings by themselves; a wrong answer (a command parsed differently when it arrives in pieces,
// a value that does not survive decode -> encode -> decode) becomes one only when the harness
// aborts. assert() would do that in a debug build and vanish under NDEBUG, so the harnesses
// check with this instead, in every build type, and libFuzzer saves the input that aborted.
//
// READ NEXT: tests/fuzz/fuzz_resp.cpp
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                                                       \
    do {                                                                                            \
        if (!(condition)) {                                                                         \
            std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #condition); \
            std::abort();                                                                           \
        }                                                                                           \
    } while (0)
