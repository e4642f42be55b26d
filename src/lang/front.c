/*
 * front.c - lex, parse and check a scenario in one call.  See front.h.
 */
#include "lang/front.h"

#include <errno.h>

#include "lang/parse.h"

/* Keep in step with the preset table of src/core (pl_presets()). */
static const char *const front_presets[] = {
	"v4.8", "v5.7", "v5.8", "v5.9", "v5.11", "v5.18", "v5.19", "v6.0", "v6.2", "v6.5", "v6.9",
	"v6.15",
	"latest",
};

const char *const *pl_lang_default_presets(int *n)
{
	*n = (int)(sizeof(front_presets) / sizeof(front_presets[0]));
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
