/*
 * replay.c - a main() for a fuzz target built without libFuzzer: feed each
 * file named on the command line to LLVMFuzzerTestOneInput(), once, in order.
 *
 *	BUILD/fuzz/replay-fuzz_front tests/regress/fuzz_front-*.pin
 *
 * Prints "replay FILE" before each input, so a failure names its input.
 * Exit 0 when every input ran; a failed property aborts (fuzz.h).
 */
#include "fuzz.h"

#include <errno.h>
#include <string.h>

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		size_t got;

		if (len == cap) {
			unsigned char *nb;

			cap = cap ? cap * 2 : 4096;
			nb = realloc(buf, cap);
			if (!nb) {
				fprintf(stderr, "replay: %s: out of memory\n", path);
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nb;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	printf("replay %s (%zu bytes)\n", path, len);
	fflush(stdout);
	/* an exact-size copy, so ASan sees a read past the input as libFuzzer would */
	{
		unsigned char *exact = malloc(len ? len : 1);

		if (!exact) {
			free(buf);
			return -1;
		}
		if (len)
			memcpy(exact, buf, len);
		free(buf);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int st = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		if (replay_file(argv[i]))
			st = 1;
	return st;
}
