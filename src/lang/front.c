/*
 * front.c - lex, parse and check a scenario in one call.  See front.h.
 */
#include "lang/front.h"

#include <errno.h>
#include <pthread.h>

#include "pinlab/core.h"

#include "lang/parse.h"

/* The checkpoint presets of src/core (pl_presets()), by name, oldest first. */
static const char *front_presets[64];
static int front_nr_presets;
static pthread_once_t front_once = PTHREAD_ONCE_INIT;

static void front_presets_init(void)
{
	int n;
	const struct pl_preset *p = pl_presets(&n);

	for (int i = 0; i < n && i < 64; i++)
		front_presets[front_nr_presets++] = p[i].name;
}

const char *const *pl_lang_default_presets(int *n)
{
	pthread_once(&front_once, front_presets_init);
	*n = front_nr_presets;
	return front_presets;
}

int pl_lang_load_opts(const char *path, const char *text, size_t len,
		      const struct pl_check_opts *opts, struct pl_scenario **out,
		      struct pl_diag_list *diags)
{
	struct pl_scenario *sc;

	*out = NULL;
	pl_diag_init(diags, path, text, len);
	sc = pl_scenario_new(path);
	if (!sc) {
		diags->oom = true;
		return -ENOMEM;
	}
	/* names are resolved only in a tree that parsed: no cascades */
	if (pl_parse(sc, text, len, diags) == 0)
		pl_check(sc, opts, diags);
	if (diags->oom) {
		pl_scenario_free(sc);
		return -ENOMEM;
	}
	pl_diag_sort(diags);
	if (diags->n || diags->overflow) {
		pl_scenario_free(sc);
		return 2;
	}
	*out = sc;
	return 0;
}

int pl_lang_load(const char *path, const char *text, size_t len, struct pl_scenario **out,
		 struct pl_diag_list *diags)
{
	struct pl_check_opts opts;

	opts.presets = pl_lang_default_presets(&opts.nr_presets);
	return pl_lang_load_opts(path, text, len, &opts, out, diags);
}
