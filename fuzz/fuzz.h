/*
 * fuzz.h - what the fuzz targets share (fuzz/fuzz_*.c).
 *
 * Each target defines LLVMFuzzerTestOneInput().  Built with clang and
 * -fsanitize=fuzzer it is a libFuzzer target (build-fuzz/fuzz_NAME, `make
 * fuzz`); built with gcc and linked with fuzz/replay.c it is a plain program
 * that feeds it files (BUILD/fuzz/replay-fuzz_NAME, run by tests/cli/regress.sh
 * on tests/regress/ in `make test`).
 *
 * A property the target checks and finds false is reported by FUZZ_ASSERT:
 * a message on stderr and abort(), which libFuzzer records as a crash and the
 * replay as a failed test.
 */
#ifndef PINLAB_FUZZ_H
#define PINLAB_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond, ...)                                                             \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: fuzz property failed: %s: ", __FILE__,     \
				__LINE__, #cond);                                          \
			fprintf(stderr, __VA_ARGS__);                                      \
			fputc('\n', stderr);                                               \
			fflush(stderr);                                                    \
			abort();                                                           \
		}                                                                          \
	} while (0)

#endif /* PINLAB_FUZZ_H */
