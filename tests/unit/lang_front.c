/*
 * Description: the .pin front end -- lexer, parser, checker and
 * diagnostics.  Valid scenarios are parsed and checked and their trees
 * inspected (names resolved to symbols, page ranges, expectation masks,
 * thread groups, fork inheritance); the canonical printer must round-trip;
 * every tests/errors/NAME.pin must produce exactly NAME.err; hostile input
 * (a 10 MiB line, every byte value, random mutations) must give located
 * errors quickly and never crash.
 *
 * The front end is compiled into this program (one translation unit): the
 * only unit test that includes .c files, because it checks the lexer's and
 * parser's static tables (kw_names[], op_syntax[]) entry by entry, which no
 * header exports.  Every other test links libpinlab-app.a.  Run it from the
 * top of the tree, or
 * pass the tree as argv[1] (or PINLAB_SRCDIR).
 */
#include "testlib.h"

#include <dirent.h>
#include <errno.h>
#include <time.h>

#include "lang/diag.c"
#include "lang/lex.c"
#include "lang/ast.c"
#include "lang/parse.c"
#include "lang/check.c"
#include "lang/front.c"

static const char *srcdir = ".";

/* ---------------------------------------------------------------------------
 * Helpers.
 */
static char *lf_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		if (buf) {
			buf[n] = '\0';
			*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

/* Load text; on failure print the diagnostics as notes. */
static struct pl_scenario *lf_load(const char *path, const char *text)
{
	struct pl_diag_list d;
	struct pl_scenario *sc;

	if (pl_lang_load(path, text, strlen(text), &sc, &d)) {
		for (int i = 0; i < d.n; i++)
			T_NOTE("%s:%d:%d: %s", path, d.d[i].line, d.d[i].col, d.d[i].msg);
		return NULL;
	}
	return sc;
}

/* The diagnostics of text, formatted as the CLI prints them (no tty). */
static char *lf_errors(const char *path, const char *text, size_t len, bool tty)
{
	struct pl_diag_list d;
	struct pl_scenario *sc;
	char *out = NULL;
	size_t size = 0;
	FILE *f;

	if (pl_lang_load(path, text, len, &sc, &d) == 0) {
		pl_scenario_free(sc);
		return calloc(1, 1);
	}
	f = open_memstream(&out, &size);
	if (!f)
		return NULL;
	pl_diag_print(&d, f, tty);
	fclose(f);
	return out;
}

static char *lf_errors_str(const char *path, const char *text, bool tty)
{
	return lf_errors(path, text, strlen(text), tty);
}

static char *lf_print(const struct pl_scenario *sc)
{
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);

	if (!f)
		return NULL;
	pl_scenario_print(f, sc);
	fclose(f);
	return out;
}

static int lf_sym(const struct pl_scenario *sc, enum pl_sym_kind kind, const char *name, int owner)
{
	for (int i = sc->nr_syms - 1; i >= 0; i--)
		if (sc->syms[i].kind == kind && !strcmp(sc->syms[i].name, name) &&
		    (owner < -1 || sc->syms[i].owner == owner))
			return i;
	return -1;
}

static int lf_preset_bit(const struct pl_scenario *sc, const char *name)
{
	for (int i = 0; i < sc->nr_presets; i++)
		if (!strcmp(sc->presets[i], name))
			return i;
	return -1;
}

static uint64_t lf_mask(const struct pl_scenario *sc, const char *names)
{
	char buf[256], *tok, *save = NULL;
	uint64_t m = 0;

	snprintf(buf, sizeof(buf), "%s", names);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		m |= 1ull << lf_preset_bit(sc, tok);
	return m;
}

/* ---------------------------------------------------------------------------
 * Tables.
 */
static void test_keyword_table(void)
{
	for (int i = 0; i < KW_NR; i++) {
		T_EQ(pl_kw_find(kw_names[i], strlen(kw_names[i])), i);
		if (i)
			T_ASSERT(strcmp(kw_names[i - 1], kw_names[i]) < 0);
	}
	T_EQ(pl_kw_find("mma", 3), -1);
	T_EQ(pl_kw_find("mmapx", 5), -1);
	T_EQ(pl_kw_find("rw", 2), -1);
	/* every operation is spelled by a keyword, and that keyword parses to it */
	for (int op = 0; op < PL_OP_NR; op++) {
		int kw = pl_kw_find(pl_op_name(op), strlen(pl_op_name(op)));

		T_ASSERT(kw >= 0);
		if (kw >= 0 && op <= PL_OP_CHECK_VALUE) {
			T_EQ(pl_kw_op((enum pl_kw)kw), op);
			T_EQ(op_syntax[pl_kw_op((enum pl_kw)kw)].op, op);
			T_STREQ(pl_kw_name((enum pl_kw)kw), pl_op_name(op));
		}
	}
	/* "check" starts CHECK_VALUE; parse_check picks the other check ops */
	T_EQ(pl_kw_find("check", 5), KW_OP(PL_OP_CHECK_VALUE));
	T_ASSERT(!op_syntax[PL_OP_CHECK_PROP].parse);
	T_EQ(pl_kw_find("show", 4), KW_OP(PL_OP_SHOW));
	T_STREQ(pl_outcome_name(PL_OUT_STALE_PIN), "stale-pin");
	T_EQ(pl_outcome_find("file-modified", 13), PL_OUT_FILE_MODIFIED);
	{
		int n;
		const struct pl_backing *b = pl_backings(&n);

		/* 2 base + 6 per mTHP/THP size (8) + 2 PMD-only + 2 hugetlb + 9 others */
		T_EQ(n, 63);
		T_STREQ(b[pl_backing_find("thp-single-pte-swapped-64k", 26)].display,
			"single PTE of swapped-out THP (64 kB)");
		T_EQ(pl_backing_find("anon", 4), pl_backing_find("base", 4));
		T_EQ(pl_backing_find("thp", 3), pl_backing_find("thp-2048k", 9));
		T_EQ(pl_backing_find("hugetlb", 7), pl_backing_find("hugetlb-2048k", 13));
		T_EQ(pl_backing_find("thp-pte", 7), -1);	/* which size? */
		T_EQ(pl_backing_find("file", 4), -1);
		T_STREQ(pl_backing_info(n - 1)->name, "shmem");
		T_ASSERT(pl_backing_info(n) == NULL);
		for (int i = 0; i < n; i++)
			T_EQ(pl_backing_find(b[i].name, strlen(b[i].name)), i);
	}
}

/* ---------------------------------------------------------------------------
 * Lexer.
 */
static void test_lexer_tokens(void)
{
	static const char text[] =
		"P: buf[0..3] -> pipe1 == != , | \"a\\n\\x41\\\"\" 0x10 4K 2M "
		"v5.8..v6.1 populate-read { } = mmap # tail\n";
	struct pl_diag_list d;
	struct pl_lexer lx;
	struct pl_line ln;
	static const enum pl_tok want[] = {
		TK_WORD, TK_COLON, TK_WORD, TK_LBRACKET, TK_NUM, TK_DOTDOT, TK_NUM, TK_RBRACKET,
		TK_ARROW, TK_WORD, TK_EQ, TK_NE, TK_COMMA, TK_BAR, TK_STR, TK_NUM, TK_NUM, TK_NUM,
		TK_WORD, TK_DOTDOT, TK_WORD, TK_WORD, TK_LBRACE, TK_RBRACE, TK_ASSIGN, TK_KW,
		TK_EOL,
	};

	pl_diag_init(&d, "t", text, sizeof(text) - 1);
	T_REQUIRE(pl_lex_init(&lx, text, sizeof(text) - 1, &d) == 0);
	T_REQUIRE(pl_lex_line(&lx, &ln));
	T_EQ(d.n, 0);
	T_EQ(ln.n + 1, (int)(sizeof(want) / sizeof(want[0])));
	for (int i = 0; i <= ln.n && i < (int)(sizeof(want) / sizeof(want[0])); i++)
		T_EQ(ln.toks[i].t, want[i]);
	if (ln.n == 26) {
		T_EQ(ln.toks[2].col, 4);
		T_STREQ(ln.toks[14].s, "a\nA\"");
		T_EQ(ln.toks[15].num, 16);
		T_EQ(ln.toks[16].num, 4096);
		T_ASSERT(ln.toks[16].sized);
		T_EQ(ln.toks[17].num, 2u << 20);
		T_ASSERT(ln.toks[18].len == 4 && !memcmp(ln.toks[18].s, "v5.8", 4));
		T_ASSERT(ln.toks[21].len == 13);
		T_EQ(ln.toks[25].kw, KW_OP(PL_OP_MMAP));
		T_ASSERT(ln.comment && ln.comment_len == 5 && !memcmp(ln.comment, " tail", 5));
	}
	T_ASSERT(!pl_lex_line(&lx, &ln));
	pl_lex_free(&lx);
}

static void test_lexer_columns_count_characters(void)
{
	char *e = lf_errors_str("u.pin", "scenario \"é\"\nprocess P\nP: wr\xc3\xafte\n", false);

	T_REQUIRE(e);
	T_STREQ(e, "u.pin:3:6: error: unexpected character U+00EF\n");
	free(e);
	e = lf_errors_str("u.pin", "scenario \"ü\" # ü\nprocess P\nP: buf = mmap 1 page\n"
			  "P: write buf[0] \"é\" frob\n", false);
	T_REQUIRE(e);
	T_STREQ(e, "u.pin:4:21: error: expected end of line, found 'frob'\n");
	free(e);
}

/* Every byte value, alone on a line and inside a string, gives at most a located error. */
static void test_lexer_every_byte(void)
{
	for (int c = 0; c < 256; c++) {
		char text[64];
		int n = snprintf(text, sizeof(text),
				 "scenario \"b\"\nprocess P\nP: x = mmap 1 page\n");
		char *e;

		text[n++] = (char)c;
		text[n++] = '\n';
		e = lf_errors("b.pin", text, (size_t)n, true);
		T_REQUIRE(e);
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '#')
			T_ASSERT(e[0] == '\0');
		else
			T_ASSERT(!strncmp(e, "b.pin:4:", 8));
		free(e);
		n = snprintf(text, sizeof(text), "scenario \"%c\"\nprocess P\n", c);
		text[10] = (char)c;
		e = lf_errors("b.pin", text, (size_t)n, false);
		T_REQUIRE(e);
		if (c == '\t' || (c >= 0x20 && c < 0x7f && c != '"' && c != '\\'))
			T_ASSERT(e[0] == '\0');
		else
			T_ASSERT(!strncmp(e, "b.pin:1:", 8));
		free(e);
	}
}

/* ---------------------------------------------------------------------------
 * Parser and checker on valid scenarios.
 */
static const char vmsplice_text[] =
	"# CVE-2020-29374.\n"
	"#\n"
	"# The child vmsplices.\n"
	"scenario \"vmsplice + unmap in child\"\n"
	"backing anon thp hugetlb\n"
	"expect leak on v5.7 and older\n"
	"expect pass on v5.8 and newer\n"
	"expect leak on v5.9..v5.17 with thp because \"mapcount\"\n"
	"expect xfail with hugetlb\n"
	"\n"
	"process P\n"
	"P: buf = mmap 4 pages rw private\n"
	"P: write buf[0] \"old\"\n"
	"P: fork C\n"
	"C: vmsplice buf[0..1] -> pipe1\n"
	"C: munmap buf\n"
	"P: write buf[0] \"new\"\n"
	"C: check read pipe1 == \"old\" as leak\n";

static void test_vmsplice_tree(void)
{
	struct pl_scenario *sc = lf_load("v.pin", vmsplice_text);
	const struct pl_step *s;
	int p, c, pbuf, cbuf, pipe;

	T_REQUIRE(sc);
	T_STREQ(sc->name, "vmsplice + unmap in child");
	T_STREQ(sc->description, "CVE-2020-29374.\n\nThe child vmsplices.");
	T_EQ(sc->nr_backings, 3);
	T_STREQ(sc->backings[1].name, "thp");
	T_EQ(sc->backings[2].idx, pl_backing_find("hugetlb", 7));
	T_EQ(sc->nr_expects, 4);
	T_EQ(sc->expects[0].preset_mask, lf_mask(sc, "v4.8 v4.9 v4.14 v4.17 v5.1 v5.4 v5.7"));
	T_EQ(sc->expects[1].preset_mask,
	     lf_mask(sc, "v5.8 v5.9 v5.10 v5.11 v5.12 v5.14 v5.16 v5.17 v5.18 v5.19 v6.0 v6.1 v6.2 "
		     "v6.4 v6.5 v6.9 v6.11 v6.12 v6.13 v6.14 v6.15 v6.16 latest"));
	T_EQ(sc->expects[2].preset_mask, lf_mask(sc, "v5.9 v5.10 v5.11 v5.12 v5.14 v5.16 v5.17"));
	T_EQ(sc->expects[2].backing_mask, 2);
	T_STREQ(sc->expects[2].because, "mapcount");
	T_EQ(sc->expects[3].backing_mask, 4);
	T_EQ(sc->expects[3].outcome, PL_OUT_XFAIL);

	T_EQ(sc->nr_steps, 8);
	p = lf_sym(sc, PL_SYM_PROCESS, "P", -2);
	c = lf_sym(sc, PL_SYM_PROCESS, "C", -2);
	pbuf = lf_sym(sc, PL_SYM_MAPPING, "buf", p);
	cbuf = lf_sym(sc, PL_SYM_MAPPING, "buf", c);
	pipe = lf_sym(sc, PL_SYM_PIPE, "pipe1", -1);
	T_ASSERT(p >= 0 && c >= 0 && pbuf >= 0 && cbuf >= 0 && pipe >= 0);
	T_EQ(sc->syms[cbuf].parent, pbuf);
	T_EQ(sc->syms[cbuf].nr_pages, 4);

	s = &sc->steps[1];
	T_EQ(s->op, PL_OP_MMAP);
	T_EQ(s->actor.sym, p);
	T_EQ(s->def.sym, pbuf);
	T_EQ(s->n, 4);
	T_EQ(s->prot, PL_PROT_READ | PL_PROT_WRITE);
	T_EQ(s->mflags, PL_MAP_PRIVATE);
	T_EQ(s->arg, PL_BACKING_MATRIX);
	T_EQ(s->pos.line, 12);

	s = &sc->steps[3];
	T_EQ(s->op, PL_OP_FORK);
	T_EQ(s->def.sym, c);
	T_EQ(s->nr_inherit, 1);
	if (s->nr_inherit == 1) {
		T_EQ(s->inherit[0], pbuf);
		T_EQ(s->inherit[1], cbuf);
	}

	s = &sc->steps[4];
	T_EQ(s->op, PL_OP_VMSPLICE);
	T_EQ(s->a.sym, cbuf);
	T_EQ(s->a.lo, 0);
	T_EQ(s->a.hi, 1);
	T_EQ(s->b.sym, pipe);

	s = &sc->steps[5];
	T_EQ(s->op, PL_OP_MUNMAP);
	T_EQ(s->a.sym, cbuf);
	T_ASSERT(!s->a.indexed && s->a.lo == 0 && s->a.hi == 3);

	s = &sc->steps[7];
	T_EQ(s->op, PL_OP_CHECK_VALUE);
	T_EQ(s->src, PL_SRC_PIPE);
	T_EQ(s->a.sym, pipe);
	T_STREQ(s->str, "old");
	T_ASSERT(s->has_cls && s->cls == PL_OUT_LEAK);
	T_ASSERT(!(s->flags & PL_STEP_NE));

	/* expectations: the last matching line wins */
	T_EQ(pl_expected_outcome(sc, "v5.7", 0), PL_OUT_LEAK);
	T_EQ(pl_expected_outcome(sc, "v4.8", 1), PL_OUT_LEAK);
	T_EQ(pl_expected_outcome(sc, "v6.5", 0), PL_OUT_PASS);
	T_EQ(pl_expected_outcome(sc, "latest", 0), PL_OUT_PASS);
	T_EQ(pl_expected_outcome(sc, "v5.9", 1), PL_OUT_LEAK);
	T_EQ(pl_expected_outcome(sc, "v5.18", 1), PL_OUT_PASS);
	T_EQ(pl_expected_outcome(sc, "v5.7", 2), PL_OUT_XFAIL);
	T_EQ(pl_expected_outcome(sc, "v6.5", 2), PL_OUT_XFAIL);
	pl_scenario_free(sc);
}

static const char sink_text[] =
	"scenario \"kitchen sink\"\n"
	"backing anon thp swapped, memfd\n"
	"expect pass\n"
	"expect stale-pin on v5.8..v6.1, v6.5 with thp swapped\n"
	"expect skip on latest\n"
	"process P\n"
	"file F ext4 8 pages \"init\"\n"
	"file S tmpfs 2 pages\n"
	"swapon 64\n"
	"hugetlb-pool 4\n"
	"thp always\n"
	"P: buf = mmap 4 pages rw private populate\n"
	"P: sh = mmap 2 pages rw shared file S\n"
	"P: big = mmap 2M r private thp\n"
	"P: h = mmap 1 page rw private hugetlb locked\n"
	"P: mprotect buf[1] r\n"
	"P: madvise buf[0..1] populate-write\n"
	"P: madvise big collapse\n"
	"P: write buf[0] \"old\"\n"
	"P: write buf[1..3] zero\n"
	"P: read buf[2]\n"
	"write F[0] \"file data\"\n"
	"read F[1]\n"
	"P: fork C\n"
	"C: vmsplice buf[0..1] -> pipe1\n"
	"C: vmsplice buf[2] -> pipe1\n"
	"C: check read pipe1 == \"child\" as leak\n"
	"check pipe1 != \"old\"\n"
	"read pipe1\n"
	"close pipe1\n"
	"P: ring = iouring-register buf[0..1]\n"
	"iouring-write-fixed ring -> F[2]\n"
	"iouring-read-fixed F[4..5] -> ring\n"
	"check ring[1] == \"x\"\n"
	"iouring-unregister ring\n"
	"P: req = dio-read F[0] -> buf[2..3]\n"
	"complete req\n"
	"P: req2 = dio-write buf[0] -> F[7]\n"
	"complete req2\n"
	"P: mr = rdma-reg buf rw\n"
	"dma-write mr[0..1] \"dma\"\n"
	"check dma-read mr[0] == \"dma\" as stale-pin\n"
	"rdma-dereg mr\n"
	"P: p1 = pin buf[0] ro fast\n"
	"check p1[0] == \"old\"\n"
	"unpin p1\n"
	"P: g1 = gup buf[0..1] FOLL_PIN|FOLL_LONGTERM|FOLL_WRITE fast\n"
	"check g1[1] != zero\n"
	"put g1\n"
	"P: proc-mem-write C buf[0] \"poke\"\n"
	"P: process-vm-writev C buf[1] \"vm\"\n"
	"P: check proc-mem-read C buf[0] == \"poke\"\n"
	"P: check process-vm-readv C buf[1] == \"vm\"\n"
	"uprobe-register F[3] \"bp\"\n"
	"uprobe-unregister F[3]\n"
	"P: reclaim buf[0]\n"
	"writeback F[0]\n"
	"writeback F\n"
	"evict F[1]\n"
	"ksm-merge\n"
	"P: collapse big\n"
	"P: split big\n"
	"P: uffd-continue sh[0]\n"
	"truncate F 6 pages\n"
	"check disk F[0] == \"file data\" as lost-write\n"
	"P: check buf[0] is exclusive\n"
	"P: check buf[1] is not writable\n"
	"P: check refcount buf[0] == 1\n"
	"P: check mapcount buf[0] != 2 as count\n"
	"P: clear-refs\n"
	"P: p2 = pin buf[1] rw fails EFAULT as refused\n"
	"P: mremap buf 8 pages move\n"
	"P: top = mremap buf[4..7] 4 pages move\n"
	"P: munmap buf[0..1]\n"
	"P: write top[3] \"moved\"\n"
	"P: write buf[9] \"x\" fails EFAULT\n"
	"thread T1 {\n"
	"\tP: write buf[2] \"t1\"\n"
	"\tP: p3 = pin buf[2] rw\n"
	"}\n"
	"# a comment does not end the group\n"
	"thread T2 {\n"
	"\tC: write buf[2] \"t2\"\n"
	"\tC: exit\n"
	"}\n"
	"unpin p3\n"
	"thread T3 {\n"
	"\tP: read buf[2]\n"
	"}\n"
	"check invariants\n"
	"show\n"
	"show P\n";

static const struct pl_step *lf_find_step(const struct pl_scenario *sc, enum pl_op op, int nth)
{
	for (int i = 0; i < sc->nr_steps; i++)
		if (sc->steps[i].op == op && nth-- == 0)
			return &sc->steps[i];
	return NULL;
}

static void test_every_statement(void)
{
	struct pl_scenario *sc = lf_load("sink.pin", sink_text);
	const struct pl_step *s;
	int p, c, buf, f;

	T_REQUIRE(sc);
	T_EQ(sc->nr_backings, 4);
	/* latest is a preset of its own: "v6.5" does not name it */
	T_EQ(sc->expects[1].preset_mask,
	     lf_mask(sc, "v5.8 v5.9 v5.10 v5.11 v5.12 v5.14 v5.16 v5.17 v5.18 v5.19 v6.0 v6.1 "
			 "v6.5"));
	T_EQ(sc->expects[1].backing_mask, 6);
	T_EQ(sc->expects[2].preset_mask, lf_mask(sc, "latest"));
	T_EQ(pl_expected_outcome(sc, "v6.5", 1), PL_OUT_STALE_PIN);
	T_EQ(pl_expected_outcome(sc, "latest", 1), PL_OUT_SKIP);
	T_EQ(pl_expected_outcome(sc, "v6.2", 0), PL_OUT_PASS);
	T_EQ(pl_expected_outcome(sc, "v6.2", 2), PL_OUT_PASS);
	T_EQ(pl_expected_outcome(sc, "v6.0", 2), PL_OUT_STALE_PIN);

	p = lf_sym(sc, PL_SYM_PROCESS, "P", -2);
	c = lf_sym(sc, PL_SYM_PROCESS, "C", -2);
	f = lf_sym(sc, PL_SYM_FILE, "F", -2);
	buf = lf_sym(sc, PL_SYM_MAPPING, "buf", p);
	T_ASSERT(p >= 0 && c >= 0 && f >= 0 && buf >= 0);
	/* C inherits buf, sh, big, h; P's buf is the original */
	s = lf_find_step(sc, PL_OP_FORK, 0);
	T_REQUIRE(s);
	T_EQ(s->nr_inherit, 4);

	s = lf_find_step(sc, PL_OP_FILE, 0);
	T_ASSERT(s && s->arg == PL_FS_EXT4 && s->n == 8 && !strcmp(s->str, "init"));
	s = lf_find_step(sc, PL_OP_MMAP, 1);
	T_ASSERT(s && s->arg == PL_BACKING_FILE && s->a.sym == lf_sym(sc, PL_SYM_FILE, "S", -2) &&
		 s->mflags == PL_MAP_SHARED);
	s = lf_find_step(sc, PL_OP_MMAP, 2);
	T_ASSERT(s && s->n == 512 && s->prot == PL_PROT_READ &&
		 s->arg == pl_backing_find("thp", 3));
	s = lf_find_step(sc, PL_OP_MMAP, 3);
	T_ASSERT(s && s->mflags == (PL_MAP_PRIVATE | PL_MAP_LOCKED));
	s = lf_find_step(sc, PL_OP_MADVISE, 1);
	T_ASSERT(s && s->arg == PL_MADV_COLLAPSE);
	s = lf_find_step(sc, PL_OP_WRITE, 1);
	T_ASSERT(s && (s->flags & PL_STEP_ZERO) && s->a.lo == 1 && s->a.hi == 3);
	s = lf_find_step(sc, PL_OP_WRITE, 2);
	T_ASSERT(s && s->a.sym == f && !s->actor.name);
	s = lf_find_step(sc, PL_OP_IOURING_WRITE_FIXED, 0);
	T_ASSERT(s && s->b.lo == 2 && s->b.hi == 3);
	s = lf_find_step(sc, PL_OP_DIO_READ, 0);
	T_ASSERT(s && s->a.sym == f && s->a.lo == 0 && s->a.hi == 1 && s->b.lo == 2 &&
		 s->b.hi == 3 && s->def.sym >= 0 && sc->syms[s->def.sym].kind == PL_SYM_REQ &&
		 sc->syms[s->def.sym].nr_pages == 2);
	s = lf_find_step(sc, PL_OP_PIN, 0);
	T_ASSERT(s && (s->flags & PL_STEP_FAST) && s->prot == PL_PROT_READ);
	s = lf_find_step(sc, PL_OP_GUP, 0);
	T_ASSERT(s && s->gup_flags == (FOLL_PIN | FOLL_LONGTERM | FOLL_WRITE) &&
		 (s->flags & PL_STEP_FAST));
	s = lf_find_step(sc, PL_OP_PROC_MEM_WRITE, 0);
	T_ASSERT(s && s->target.sym == c && s->a.sym == lf_sym(sc, PL_SYM_MAPPING, "buf", c));

	/* check sources resolved by what the name is */
	{
		static const enum pl_src want[] = {
			PL_SRC_PIPE, PL_SRC_PIPE, PL_SRC_RING, PL_SRC_DMA, PL_SRC_PIN, PL_SRC_GUP,
			PL_SRC_PROC_MEM, PL_SRC_VM_READV, PL_SRC_DISK,
		};

		for (int i = 0; i < (int)(sizeof(want) / sizeof(want[0])); i++) {
			s = lf_find_step(sc, PL_OP_CHECK_VALUE, i);
			T_ASSERT(s && s->src == want[i]);
		}
	}
	s = lf_find_step(sc, PL_OP_CHECK_VALUE, 5);
	T_ASSERT(s && (s->flags & PL_STEP_NE) && (s->flags & PL_STEP_ZERO));
	s = lf_find_step(sc, PL_OP_CHECK_PROP, 1);
	T_ASSERT(s && s->arg == PL_PROP_WRITABLE && (s->flags & PL_STEP_NOT));
	s = lf_find_step(sc, PL_OP_CHECK_COUNT, 1);
	T_ASSERT(s && s->arg == PL_COUNT_MAPCOUNT && s->n == 2 && (s->flags & PL_STEP_NE) &&
		 s->cls == PL_OUT_COUNT);
	s = lf_find_step(sc, PL_OP_CHECK_COUNT, 0);
	T_ASSERT(s && !s->has_cls && s->cls == PL_OUT_INVARIANT);

	/* a 'fails' step creates nothing and may run past the end */
	s = lf_find_step(sc, PL_OP_PIN, 1);
	T_ASSERT(s && (s->flags & PL_STEP_FAILS) && s->err == EFAULT && s->cls == PL_OUT_REFUSED &&
		 s->def.sym == -1);
	s = lf_find_step(sc, PL_OP_WRITE, 4);
	T_ASSERT(s && (s->flags & PL_STEP_FAILS) && s->a.lo == 9);

	/* mremap: resize in place, then move part of it under a new name */
	s = lf_find_step(sc, PL_OP_MREMAP, 1);
	T_ASSERT(s && s->def.sym >= 0 && sc->syms[s->def.sym].nr_pages == 4 && s->a.sym == buf);
	s = lf_find_step(sc, PL_OP_WRITE, 3);
	T_ASSERT(s && s->a.sym == lf_sym(sc, PL_SYM_MAPPING, "top", p));

	/* threads: T1 and T2 form group 1, T3 group 2 */
	T_EQ(sc->nr_threads, 3);
	T_EQ(sc->nr_groups, 2);
	T_EQ(sc->threads[0].group, 1);
	T_EQ(sc->threads[1].group, 1);
	T_EQ(sc->threads[2].group, 2);
	T_ASSERT(sc->threads[1].sym >= 0 && sc->syms[sc->threads[1].sym].kind == PL_SYM_THREAD);
	s = lf_find_step(sc, PL_OP_EXIT, 0);
	T_ASSERT(s && s->thread == 1 && s->group == 1);
	s = lf_find_step(sc, PL_OP_UNPIN, 1);
	T_ASSERT(s && s->thread == -1 && s->group == 0);

	s = lf_find_step(sc, PL_OP_SHOW, 1);
	T_ASSERT(s && s->a.sym == p);
	pl_scenario_free(sc);
}

/* print(parse(x)) parses again to the same text */
static void lf_roundtrip(const char *path, const char *text)
{
	struct pl_scenario *a = lf_load(path, text), *b;
	char *pa, *pb;

	T_REQUIRE(a);
	pa = lf_print(a);
	T_REQUIRE(pa);
	b = lf_load(path, pa);
	T_REQUIRE(b);
	pb = lf_print(b);
	T_REQUIRE(pb);
	T_STREQ(pa, pb);
	T_EQ(a->nr_steps, b->nr_steps);
	T_EQ(a->nr_syms, b->nr_syms);
	free(pa);
	free(pb);
	pl_scenario_free(a);
	pl_scenario_free(b);
}

static void test_roundtrip(void)
{
	lf_roundtrip("v.pin", vmsplice_text);
	lf_roundtrip("sink.pin", sink_text);
}

static void test_parallel_threads_static_rules(void)
{
	/* a release in a parallel sibling does not end the name for the others */
	static const char ok_text[] =
		"scenario \"race\"\n"
		"process P\n"
		"P: buf = mmap 1 page\n"
		"P: p1 = pin buf[0] rw\n"
		"thread A {\n\tunpin p1\n}\n"
		"thread B {\n\tcheck p1[0] == zero\n\tP: munmap buf\n}\n"
		"thread C {\n\tP: write buf[0] \"x\"\n}\n";
	struct pl_scenario *sc = lf_load("race.pin", ok_text);
	char *e;

	T_ASSERT(sc);
	pl_scenario_free(sc);
	/* but after the group it is gone */
	e = lf_errors_str("race.pin", "scenario \"race\"\nprocess P\nP: buf = mmap 1 page\n"
			  "P: p1 = pin buf[0] rw\nthread A {\n\tunpin p1\n}\ncheck p1[0] == zero\n",
			  false);
	T_REQUIRE(e);
	T_STREQ(e, "race.pin:8:7: error: pin 'p1' is used after 'unpin' at line 6\n");
	free(e);
}

static void test_examples(void)
{
	static const char *const names[] = {
		"vmsplice-unmap-child.pin", "iouring-fork.pin", "dirty-cow.pin",
	};
	char path[512];

	for (int i = 0; i < 3; i++) {
		size_t len;
		char *text;
		struct pl_scenario *sc;
		struct pl_diag_list d;

		snprintf(path, sizeof(path), "%s/scenarios/examples/%s", srcdir, names[i]);
		text = lf_read_file(path, &len);
		if (!text)
			T_SKIP("cannot read %s (run from the top of the tree)", path);
		T_EQ(pl_lang_load(path, text, len, &sc, &d), 0);
		for (int k = 0; k < d.n; k++)
			T_NOTE("%s:%d:%d: %s", path, d.d[k].line, d.d[k].col, d.d[k].msg);
		if (sc) {
			T_ASSERT(sc->nr_steps > 0 && sc->description[0]);
			pl_scenario_free(sc);
			lf_roundtrip(path, text);
		}
		free(text);
	}
}

/* ---------------------------------------------------------------------------
 * Diagnostics.
 */
static int lf_cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every tests/errors/NAME.pin gives exactly NAME.err: one sub-test each. */
static void run_error_goldens(void)
{
	char dir[512], path[1024], shown[600];
	char *names[256];
	int n = 0;
	struct dirent *de;
	DIR *dp;

	snprintf(dir, sizeof(dir), "%s/tests/errors", srcdir);
	dp = opendir(dir);
	if (!dp) {
		t_begin("error_goldens");
		t_skip("cannot open %s (run from the top of the tree)", dir);
		t_end();
		return;
	}
	while ((de = readdir(dp)) && n < 256) {
		size_t len = strlen(de->d_name);

		if (len > 4 && !strcmp(de->d_name + len - 4, ".pin"))
			names[n++] = strdup(de->d_name);
	}
	closedir(dp);
	qsort(names, (size_t)n, sizeof(names[0]), lf_cmp_names);
	for (int i = 0; i < n; i++) {
		size_t len = strlen(names[i]), plen, elen;
		char *pin, *err, *got;

		snprintf(shown, sizeof(shown), "errors/%.*s", (int)(len - 4), names[i]);
		t_begin(shown);
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		pin = lf_read_file(path, &plen);
		snprintf(path, sizeof(path), "%s/%.*s.err", dir, (int)(len - 4), names[i]);
		err = lf_read_file(path, &elen);
		snprintf(path, sizeof(path), "tests/errors/%s", names[i]);
		if (!pin || !err) {
			t_fail(__FILE__, __LINE__, "missing %s or its .err", names[i]);
		} else {
			got = lf_errors(path, pin, plen, false);
			T_ASSERT(got && got[0]);
			if (got)
				T_STREQ(got, err);
			free(got);
		}
		free(pin);
		free(err);
		free(names[i]);
		t_end();
	}
}

/* The 10 MiB line of tests/errors/huge-line.sh, built in memory. */
static void test_huge_line(void)
{
	size_t len = 10u << 20, head, tail;
	char *text = malloc(len + 64), *got, *err, path[512];
	clock_t t0;
	size_t elen;

	T_REQUIRE(text);
	head = (size_t)sprintf(text, "scenario \"huge line\"\nprocess P\n#");
	memset(text + head, 'x', len);
	tail = (size_t)sprintf(text + head + len, "\nP: buf = mmap 1 page\n");
	t0 = clock();
	got = lf_errors("tests/errors/huge-line.pin", text, head + len + tail, true);
	T_ASSERT(clock() - t0 < CLOCKS_PER_SEC);
	T_REQUIRE(got);
	T_ASSERT(!strncmp(got, "tests/errors/huge-line.pin:3:4097: error: line too long "
			  "(10485761 bytes, the limit is 4096)\n... xxx", 90));
	T_ASSERT(strlen(got) < 400);
	free(got);
	got = lf_errors("tests/errors/huge-line.pin", text, head + len + tail, false);
	snprintf(path, sizeof(path), "%s/tests/errors/huge-line.err", srcdir);
	err = lf_read_file(path, &elen);
	if (err && got)
		T_STREQ(got, err);
	free(err);
	free(got);
	free(text);
}

static void test_caret_line(void)
{
	char *e = lf_errors_str("c.pin", "scenario \"c\"\nprocess P\n\tP: buf = mmap 4 pgs\n",
				true);

	T_REQUIRE(e);
	T_STREQ(e, "c.pin:3:18: error: expected 'page' or 'pages', found 'pgs'\n"
		   "\tP: buf = mmap 4 pgs\n"
		   "\t                ^\n");
	free(e);
}

static void test_error_cap(void)
{
	char text[4096];
	int n = snprintf(text, sizeof(text), "scenario \"cap\"\nprocess P\n");
	struct pl_diag_list d;
	struct pl_scenario *sc;

	for (int i = 0; i < 100; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "P: frob\n");
	T_EQ(pl_lang_load("cap.pin", text, (size_t)n, &sc, &d), 2);
	T_ASSERT(sc == NULL);
	T_EQ(d.n, PL_DIAG_MAX);
	T_ASSERT(d.overflow);
	T_EQ(d.over.line, 3 + PL_DIAG_MAX);
}

static void test_custom_presets(void)
{
	static const char *const presets[] = { "old", "v1.0", "v2.0", "latest" };
	struct pl_check_opts opts = { presets, 4 };
	static const char text[] = "scenario \"p\"\nexpect leak on v1.5 and newer\n"
				   "expect count on old\nprocess P\n";
	struct pl_diag_list d;
	struct pl_scenario *sc;

	T_EQ(pl_lang_load_opts("p.pin", text, sizeof(text) - 1, &opts, &sc, &d), 0);
	T_REQUIRE(sc);
	T_EQ(sc->nr_presets, 4);
	T_EQ(sc->expects[0].preset_mask, (1u << 2) | (1u << 3));
	T_EQ(sc->expects[1].preset_mask, 1u << 0);
	T_EQ(pl_expected_outcome(sc, "v1.0", 0), PL_OUT_PASS);
	T_EQ(pl_expected_outcome(sc, "latest", 0), PL_OUT_LEAK);
	T_EQ(pl_expected_outcome(sc, "nonsense", 0), PL_OUT_PASS);
	pl_scenario_free(sc);
}

/*
 * A stable release whose rules differ from its checkpoint's (6.4.3 took
 * fb49c455323f, fork_locks_vmas) takes the checkpoint's expectations,
 * except where a range ends at a stable release: `on v6.4..v6.4.2` covers
 * v6.4, 6.4.1 and 6.4.2, not 6.4.3.
 */
static void test_release_expectations(void)
{
	static const char text[] = "scenario \"r\"\nexpect pass\n"
				   "expect leak on v6.4..v6.4.2\n"
				   "expect count on v6.1 and older\n"
				   "expect stale-pin on v5.10.3..v5.10.8\n"
				   "process P\n";
	const struct pl_preset *pp = pl_preset_find("6.4.3");
	struct pl_scenario *sc = lf_load("r.pin", text);

	T_REQUIRE(sc);
	T_REQUIRE(pp && pp->base && !strcmp(pp->base, "v6.4"));
	T_EQ(pl_expected_outcome(sc, "v6.4", 0), PL_OUT_LEAK);
	T_EQ(pl_expected_outcome(sc, "6.4.2", 0), PL_OUT_LEAK);
	T_EQ(pl_expected_outcome(sc, pp->name, 0), PL_OUT_PASS);
	T_EQ(pl_expected_outcome(sc, "6.4.3", 0), PL_OUT_PASS);
	T_EQ(pl_expected_outcome(sc, "v6.5", 0), PL_OUT_PASS);
	T_EQ(pl_expected_outcome(sc, "v6.1", 0), PL_OUT_COUNT);
	/* a checkpoint's own number is its first release: v5.9 is not in 5.10.3..5.10.8 */
	T_EQ(pl_expected_outcome(sc, "v5.9", 0), PL_OUT_COUNT);
	pp = pl_preset_find("5.10.4");
	T_REQUIRE(pp);
	if (pp->base)	/* 5.10.4 took 57efa1fe5957 early: its own number decides */
		T_EQ(pl_expected_outcome(sc, "5.10.4", 0), PL_OUT_STALE_PIN);
	pl_scenario_free(sc);
}

/* Random mutations of a valid scenario: a clean result or errors, never a crash. */
static void test_mutations(void)
{
	static const char *const frags[] = {
		" ", "\n", "[", "]", "..", "->", "=", ":", "\"", "{", "}", "|", "#", "0", "9",
		"4294967295", "P", "C", "buf", "pipe1", "fork", "exit", "thread T {\n", "}\n",
		"check", "read", "fails", "as", "leak", "v5.8", "and", "older", "with", "anon",
		"mmap", "1 page", "pin", "unpin", "p1", "\\", "zero", "is", "not", "4K",
	};
	size_t base = strlen(sink_text), cap = base + 4096;
	char *buf = malloc(cap);
	unsigned int seed = 12345;
	int clean = 0;

	T_REQUIRE(buf);
	for (int it = 0; it < 10000; it++) {
		size_t n = base;
		int muts = 1 + it % 3;
		char *e;

		memcpy(buf, sink_text, n);
		for (int m = 0; m < muts; m++) {
			size_t pos, fl;
			const char *fr;

			seed = seed * 1103515245u + 12345u;
			pos = (seed >> 8) % n;
			switch ((seed >> 4) % 3) {
			case 0:
				buf[pos] = (char)(seed >> 16);
				break;
			case 1:
				fr = frags[(seed >> 16) % (sizeof(frags) / sizeof(frags[0]))];
				fl = strlen(fr);
				if (n + fl < cap) {
					memmove(buf + pos + fl, buf + pos, n - pos);
					memcpy(buf + pos, fr, fl);
					n += fl;
				}
				break;
			default:
				fl = (seed >> 16) % 6;
				if (pos + fl > n)
					fl = n - pos;
				memmove(buf + pos, buf + pos + fl, n - pos - fl);
				n -= fl;
				break;
			}
		}
		e = lf_errors("m.pin", buf, n, true);
		T_REQUIRE(e);
		clean += !e[0];
		free(e);
	}
	T_NOTE("%d of 10000 mutants were still valid", clean);
	free(buf);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		srcdir = argv[1];
	else if (getenv("PINLAB_SRCDIR"))
		srcdir = getenv("PINLAB_SRCDIR");

	T_RUN(test_keyword_table);
	T_RUN(test_lexer_tokens);
	T_RUN(test_lexer_columns_count_characters);
	T_RUN(test_lexer_every_byte);
	T_RUN(test_vmsplice_tree);
	T_RUN(test_every_statement);
	T_RUN(test_roundtrip);
	T_RUN(test_parallel_threads_static_rules);
	T_RUN(test_examples);
	T_RUN(test_huge_line);
	T_RUN(test_caret_line);
	T_RUN(test_error_cap);
	T_RUN(test_custom_presets);
	T_RUN(test_release_expectations);
	T_RUN(test_mutations);
	run_error_goldens();
	return T_DONE();
}
