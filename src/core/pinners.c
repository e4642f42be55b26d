/*
 * The users of get_user_pages(): pipes (vmsplice), io_uring fixed buffers,
 * O_DIRECT, RDMA/vfio registrations, gup_test, /proc/pid/mem and ptrace,
 * process_vm_readv/writev, and uprobes.
 *
 * Each is modelled by the GUP call it makes and by how it lets go; only
 * uprobes touches page tables itself, as kernel/events/uprobes.c does.
 *
 *   user               takes                                   releases
 *   -----------------  --------------------------------------  ---------------------------------
 *   vmsplice           GUP-fast, FOLL_GET, no FOLL_WRITE       put_page() per pipe buffer read
 *   io_uring buffers   FOLL_PIN|FOLL_LONGTERM|FOLL_WRITE       unpin_user_page(), never dirties
 *   O_DIRECT           GUP-fast GET (PIN: knob dio_uses_pin)   after the transfer; dirty if the
 *                      FOLL_WRITE when reading a file            device wrote memory
 *   RDMA / vfio        FOLL_PIN|FOLL_LONGTERM[|FOLL_WRITE]     unpin_user_pages_dirty_lock()
 *   gup_test           FOLL_PIN|FOLL_LONGTERM[|FOLL_WRITE]     unpin_user_pages()
 *   /proc/pid/mem      FOLL_FORCE[|FOLL_WRITE], GET            set_page_dirty_lock + put_page
 *   process_vm_*       FOLL_PIN|FOLL_REMOTE[|FOLL_WRITE]       unpin_user_pages_dirty_lock()
 *   uprobes            FOLL_FORCE, R/O GET + __replace_page, or (2025) FOLL_FORCE|FOLL_WRITE and
 *                      a write in place
 *
 * Before FOLL_PIN existed (knob foll_pin=false) the GUP layer turns a pin
 * into a GET and an unpin into a put_page(); the pinset records what was
 * really taken (FOLL_PIN or FOLL_GET in ->gup_flags), so release always
 * matches.  RDMA dirties what it let the device write on release, in every
 * era (put_page() after set_page_dirty_lock() before FOLL_PIN); io_uring
 * never dirties its fixed buffers, in any era (longterm_release()).
 *
 * A pinset is the handle (1-based index into w->pins).  pages[] holds one
 * pfn per 4 KiB page.  A pipe is a pinset whose buffers are pages[consumed,
 * nr): at most PIPE_DEF_BUFFERS of them, FIFO.  For an RDMA registration
 * ->dio_write means "read-only MR": the device only reads memory.
 *
 * Over 900 lines: one section per GUP user, each short, sharing the pinset
 * bookkeeping at the top; a user that grows (RDMA already has ODP and
 * memlock) is the one to move to a file of its own.
 */
#include "internal.h"

#define PIPE_DEF_BUFFERS 16
/* One registration of more than 2^20 pages (4 GiB) is refused, as io_uring does above 1 GiB. */
#define PL_PIN_MAX_PAGES (1u << 20)

/* ---------------------------------------------------------------------------
 * Pinsets.
 */
struct pl_pinset *pl_pinset_get(const struct world *w, int id)
{
	if (id < 1 || id > w->nr_pins)
		return NULL;
	return w->pins[id - 1];
}

/* A live handle of the expected kind, or NULL (the syscall's -EBADF). */
static struct pl_pinset *pinset_lookup(const struct world *w, int id, enum pl_pin_kind kind)
{
	struct pl_pinset *ps = pl_pinset_get(w, id);

	if (!ps || !ps->active || ps->kind != kind)
		return NULL;
	return ps;
}

/* Page @page of a live handle of @kind: 0 with *@psp, -EBADF (no such handle) or -EINVAL. */
static int pinset_lookup_page(const struct world *w, int id, enum pl_pin_kind kind, uint32_t page,
			      struct pl_pinset **psp)
{
	*psp = pinset_lookup(w, id, kind);
	if (!*psp)
		return -EBADF;
	return page < (*psp)->nr ? 0 : -EINVAL;
}

/* Record a new handle; it owns @pages. */
static struct pl_pinset *pinset_new(struct world *w, enum pl_pin_kind kind, int pid,
				    struct mm_struct *mm, pl_addr addr, uint32_t nr,
				    unsigned gup_flags, pl_pfn *pages)
{
	struct pl_pinset *ps;

	ps = PL_TABLE_ADD(w, w->pins, w->nr_pins, w->cap_pins, 8);
	ps->id = w->nr_pins;
	ps->kind = kind;
	ps->active = true;
	ps->pid = pid;
	ps->mm_id = mm ? mm->id : 0;
	ps->addr = addr;
	ps->nr = nr;
	ps->gup_flags = gup_flags;
	ps->pages = pages;
	ps->file = -1;
	return ps;
}

/*
 * pl_pinset_copy() - make @ps, already in @w's handle table, a copy of @src
 * (world_copy.c): a pipe's page array has room for PIPE_DEF_BUFFERS
 * buffers, every other handle's one pfn per page (none for ODP).
 */
void pl_pinset_copy(struct world *w, struct pl_pinset *ps, const struct pl_pinset *src)
{
	size_t n = src->kind == PL_PIN_PIPE ? PIPE_DEF_BUFFERS : src->nr;

	*ps = *src;
	ps->pages = NULL;
	ps->pipe = NULL;
	if (src->pages) {
		ps->pages = pl_zalloc(w, n * sizeof(*ps->pages));
		memcpy(ps->pages, src->pages, n * sizeof(*ps->pages));
	}
	if (src->pipe) {
		ps->pipe = pl_zalloc(w, sizeof(*ps->pipe));
		*ps->pipe = *src->pipe;
	}
}

/* What a pin_user_pages*() call really took in this era. */
static unsigned pin_taken(const struct world *w, unsigned gup_flags)
{
	return gup_flags | (w->policy.foll_pin ? FOLL_PIN : FOLL_GET);
}

/* Give back references taken as @taken (FOLL_PIN or FOLL_GET); dirty first if asked. */
static void release_pages(struct world *w, const pl_pfn *pages, unsigned long n, unsigned taken,
			  bool make_dirty)
{
	if (taken & FOLL_PIN) {
		unpin_user_pages_dirty_lock(w, pages, n, make_dirty);
		return;
	}
	for (unsigned long i = 0; i < n; i++) {
		if (make_dirty)
			set_page_dirty_lock(w, pages[i]);
		put_page(w, pages[i]);
	}
}

/*
 * Pin @nr pages for a long-lived user: all or nothing, as io_uring and
 * ib_umem_get() do (a partial pin is undone and the call fails -EFAULT).
 * Return: 0 with *pagesp allocated, or -errno.
 */
static int pin_all(struct world *w, struct mm_struct *mm, pl_addr addr, unsigned long nr,
		   unsigned gup_flags, bool fast, pl_pfn **pagesp)
{
	pl_pfn *pages;
	long got;

	if (nr == 0 || nr > PL_PIN_MAX_PAGES)
		return -EINVAL;
	pages = pl_zalloc(w, nr * sizeof(*pages));
	got = fast ? pin_user_pages_fast(w, mm, addr, nr, gup_flags, pages)
		   : pin_user_pages(w, mm, addr, nr, gup_flags, pages);
	if (got >= 0 && (unsigned long)got != nr) {
		release_pages(w, pages, (unsigned long)got, pin_taken(w, 0), false);
		got = -EFAULT;
	}
	if (got < 0) {
		free(pages);
		return (int)got;
	}
	*pagesp = pages;
	return 0;
}

/* The device writes @tok into one pinned page: a DMA write, no PTE involved. */
static int dma_write_page(struct world *w, pl_pfn pfn, pl_token tok)
{
	struct page *p = pfn_to_page(w, pfn);

	/* the zero page is never a DMA target (a GUP bug would be needed) */
	if (folio_test_zero(page_folio(w, p)))
		return -EFAULT;
	pl_page_write(w, p, tok, true);
	return 0;
}

/* The device reads one pinned page. */
pl_token dma_read_page(struct world *w, pl_pfn pfn)
{
	struct page *p = pfn_to_page(w, pfn);

	return folio_test_zero(page_folio(w, p)) ? PL_TOKEN_ZERO : pl_page_token(w, p);
}

/* Check that [index, index + nr) lies inside @file. */
static int file_range_check(const struct world *w, int file, uint32_t index, uint32_t nr)
{
	struct pl_file *f = pl_file_get(w, file);

	if (!f)
		return -EBADF;
	if (index >= f->nr_pages || nr > f->nr_pages - index)
		return -EINVAL;
	return 0;
}

/*
 * The release a long-term user performs when it lets go (unregister, dereg,
 * exit).  RDMA dirties what the device may have written, in every release:
 * ib_umem_release() -> __ib_umem_release(..., 1) calls set_page_dirty_lock()
 * on a writable MR's pages before put_page() in 4.8 (read in a 4.8 tree) and
 * unpin_user_page_range_dirty_lock(..., writable) in Debian 6.1 and 6.12.
 * io_uring never does: io_buffer_unmap() drops fixed buffers with
 * unpin_user_page() (Debian 6.1) or unpin_user_folio() (Debian 6.12), and a
 * READ_FIXED copies into them through a bvec iterator, which dirties nothing.
 */
static void longterm_release(struct world *w, struct pl_pinset *ps)
{
	bool dirty = ps->written && ps->kind == PL_PIN_RDMA;

	if (!ps->odp)	/* an ODP MR holds nothing: only its notifier goes */
		release_pages(w, ps->pages, ps->nr, ps->gup_flags, dirty);
	if (ps->acct_pages) {	/* ib_umem_release(): owning_mm->pinned_vm -= npages */
		struct mm_struct *mm = pl_mm_of(w, ps->pid);

		if (ps->acct_user)
			w->user_locked_vm -= ps->acct_pages;	/* io_unaccount_mem() */
		else if (mm && mm->id == ps->mm_id && ps->acct_locked_vm)
			mm->locked_vm -= ps->acct_pages;	/* vfio_unmap_unpin() */
		else if (mm && mm->id == ps->mm_id)
			mm->pinned_vm -= ps->acct_pages;
		ps->acct_pages = 0;
	}
	ps->active = false;
}

/* ---------------------------------------------------------------------------
 * Pipes and vmsplice (fs/splice.c).
 */

/** pl_pipe_create() - pipe(2).  Return: the handle. */
int pl_pipe_create(struct world *w)
{
	pl_pfn *bufs = pl_zalloc(w, PIPE_DEF_BUFFERS * sizeof(*bufs));
	struct pl_pinset *ps = pinset_new(w, PL_PIN_PIPE, w->cur_pid, NULL, 0, 0, FOLL_GET, bufs);

	ps->pipe = pl_zalloc(w, sizeof(*ps->pipe));
	return ps->id;
}

/* Keep the buffers at the front: pages[consumed, nr) -> pages[0, n). */
static void pipe_compact(struct pl_pinset *ps)
{
	uint32_t n = ps->nr - ps->consumed;

	if (!ps->consumed)
		return;
	memmove(ps->pages, ps->pages + ps->consumed, n * sizeof(*ps->pages));
	memmove(ps->pipe->buf, ps->pipe->buf + ps->consumed, n * sizeof(*ps->pipe->buf));
	for (uint32_t i = n; i < ps->nr; i++) {
		ps->pages[i] = PL_PFN_NONE;
		memset(&ps->pipe->buf[i], 0, sizeof(ps->pipe->buf[i]));
	}
	ps->nr = n;
	ps->consumed = 0;
}

/*
 * Queue the buffer now at pages[ps->nr] in the next ring slot.  @flags are
 * what the caller sets in the slot; -1 leaves the slot's old flags (the
 * pre-9d2231c5d74e copy_page_to_iter_pipe(), which set page, offset, len
 * and ops but not flags).
 */
static void pipe_push(struct pl_pinset *ps, uint32_t off, uint32_t len, pl_token tok, int flags)
{
	struct pl_pipe *pp = ps->pipe;
	uint32_t slot = pp->head++ % PL_PIPE_BUFFERS;

	pp->buf[ps->nr] = (struct pl_pipe_buf){ .offset = (uint16_t)off, .len = (uint16_t)len,
						 .tok = tok };
	if (flags >= 0)
		pp->flags[slot] = (uint8_t)flags;
	ps->nr++;
}

/* The page behind buffer @i: a pipe-owned page's value, or what the page holds. */
static pl_token pipe_buf_token(struct world *w, const struct pl_pinset *ps, uint32_t i)
{
	return ps->pages[i] == PL_PFN_NONE ? ps->pipe->buf[i].tok : dma_read_page(w, ps->pages[i]);
}

/* Bytes [off, off + len) of a page holding @tok (its text, then zeroes) into @dst. */
static void token_bytes(const struct world *w, pl_token tok, uint32_t off, uint32_t len,
			char *dst)
{
	const char *t = pl_token_text(w, tok);
	size_t tl = strlen(t);

	memset(dst, 0, len);
	if (off < tl)
		memcpy(dst, t + off, PL_MIN((size_t)len, tl - off));
}

/* The value of a page holding @tok with bytes [off, off + len) replaced by @src. */
static pl_token token_patch(struct world *w, pl_token tok, uint32_t off, const char *src,
			    uint32_t len)
{
	char page[PAGE_SIZE + 1];

	token_bytes(w, tok, 0, PAGE_SIZE, page);
	memcpy(page + off, src, len);
	page[PAGE_SIZE] = 0;
	return pl_token_intern(w, page);	/* a value ends at its first NUL */
}

/**
 * pl_vmsplice() - vmsplice(2) of @nr pages at @addr of @pid into @pipe.
 *
 * iter_to_pipe(): GUP-fast with FOLL_GET and *without* FOLL_WRITE -- the
 * iov is a data source -- so the pipe holds plain references to whatever
 * is mapped, shared anon pages included (CVE-2020-29374).  Splices as many
 * pages as the pipe has room for.  Each buffer is a whole page with its
 * flags cleared (iter_to_pipe() builds the buffer from scratch).
 * Return: pages spliced, -EAGAIN (pipe full), -EBADF, -ESRCH, or GUP's -errno.
 */
long pl_vmsplice(struct world *w, int pid, int pipe, pl_addr addr, unsigned long nr)
{
	struct pl_pinset *ps = pinset_lookup(w, pipe, PL_PIN_PIPE);
	struct mm_struct *mm = pl_mm_of(w, pid);
	unsigned long room;
	long got;

	if (!ps)
		return -EBADF;
	if (!mm)
		return -ESRCH;
	if (nr == 0)
		return 0;
	w->cur_pid = pid;
	pipe_compact(ps);
	room = PIPE_DEF_BUFFERS - ps->nr;
	if (room == 0)
		return -EAGAIN;
	got = get_user_pages_fast(w, mm, addr, PL_MIN(nr, room), 0, ps->pages + ps->nr);
	if (got <= 0)
		return got ? got : -EFAULT;
	for (long i = 0; i < got; i++)
		pipe_push(ps, 0, PAGE_SIZE, PL_TOKEN_ZERO, 0);
	ps->mm_id = mm->id;
	ps->addr = addr;
	return got;
}

/**
 * pl_vmsplice_bytes() - vmsplice(2) of the iovec [@addr + @off, + @len),
 * inside one page.  iter_to_pipe() takes the page with the same FOLL_GET
 * reference as for whole pages (iov_iter_get_pages2(), 6.1 and 6.12) and
 * queues one buffer holding
 * bytes [@off, @off + @len) of it, with no PIPE_BUF_FLAG_CAN_MERGE.
 * Return: 1 (the buffers queued), -EINVAL (not inside the page), -EAGAIN
 * (full), -EBADF, -ESRCH, -EFAULT.
 */
long pl_vmsplice_bytes(struct world *w, int pid, int pipe, pl_addr addr, uint32_t off,
		       uint32_t len)
{
	struct pl_pinset *ps = pinset_lookup(w, pipe, PL_PIN_PIPE);
	struct mm_struct *mm = pl_mm_of(w, pid);
	long got;

	if (!ps)
		return -EBADF;
	if (!mm)
		return -ESRCH;
	if (!len || off >= PAGE_SIZE || len > PAGE_SIZE - off)
		return -EINVAL;
	w->cur_pid = pid;
	pipe_compact(ps);
	if (ps->nr >= PIPE_DEF_BUFFERS)
		return -EAGAIN;
	got = get_user_pages_fast(w, mm, addr & PAGE_MASK, 1, 0, ps->pages + ps->nr);
	if (got <= 0)
		return got ? got : -EFAULT;
	pipe_push(ps, off, len, PL_TOKEN_ZERO, 0);
	ps->mm_id = mm->id;
	ps->addr = addr;
	return 1;
}

/*
 * Consume @len bytes from the front of the pipe; the first PAGE_SIZE of
 * them go to @data.  A buffer read to its end gives its reference back
 * (pipe_buf_release(): put_page).  Return: bytes consumed.
 */
static uint32_t pipe_consume(struct world *w, struct pl_pinset *ps, uint32_t len, char *data)
{
	uint32_t got = 0;

	while (got < len && ps->consumed < ps->nr) {
		uint32_t i = ps->consumed;
		struct pl_pipe_buf *b = &ps->pipe->buf[i];
		uint32_t n = PL_MIN(len - got, (uint32_t)b->len);

		if (got < PAGE_SIZE)
			token_bytes(w, pipe_buf_token(w, ps, i), b->offset,
				    PL_MIN(n, (uint32_t)PAGE_SIZE - got), data + got);
		got += n;
		b->offset = (uint16_t)(b->offset + n);
		b->len = (uint16_t)(b->len - n);
		if (b->len)
			break;
		if (ps->pages[i] != PL_PFN_NONE)
			put_page(w, ps->pages[i]);
		ps->pages[i] = PL_PFN_NONE;
		ps->consumed++;
	}
	return got;
}

/*
 * pipe_readable() - the pipe behind @pipe with a buffer to read into @out.
 * Return: 0 with *@psp, -EBADF, -EFAULT (no @out), -EAGAIN (empty: the
 * O_NONBLOCK read of an empty pipe).
 */
static int pipe_readable(const struct world *w, int pipe, const pl_token *out,
			 struct pl_pinset **psp)
{
	*psp = pinset_lookup(w, pipe, PL_PIN_PIPE);
	if (!*psp)
		return -EBADF;
	if (!out)
		return -EFAULT;
	return (*psp)->consumed < (*psp)->nr ? 0 : -EAGAIN;
}

/**
 * pl_pipe_read_bytes() - read(2) of up to @len bytes: what they hold *now*,
 * as one value (the bytes up to the first NUL of the first page's worth).
 * Return: 0, -EAGAIN (empty), -EBADF, -EFAULT (no @out).
 */
int pl_pipe_read_bytes(struct world *w, int pipe, uint32_t len, pl_token *out)
{
	struct pl_pinset *ps;
	char data[PAGE_SIZE + 1];
	uint32_t got;
	int ret = pipe_readable(w, pipe, out, &ps);

	if (ret)
		return ret;
	memset(data, 0, sizeof(data));
	got = pipe_consume(w, ps, len, data);
	data[PL_MIN(got, (uint32_t)PAGE_SIZE)] = 0;
	*out = pl_token_intern(w, data);
	return 0;
}

/**
 * pl_pipe_read() - read(2) of one page's worth: what the page holds *now*.
 * A buffer of a whole page (every vmsplice buffer) is read in one piece and
 * its reference dropped (put_page).
 * Return: 0, -EAGAIN (empty), -EBADF, -EFAULT (no @out).
 */
int pl_pipe_read(struct world *w, int pipe, pl_token *out)
{
	struct pl_pinset *ps;
	const struct pl_pipe_buf *b;
	pl_pfn pfn;
	int ret = pipe_readable(w, pipe, out, &ps);

	if (ret)
		return ret;
	b = &ps->pipe->buf[ps->consumed];
	pfn = ps->pages[ps->consumed];
	if (b->offset || b->len != PAGE_SIZE || pfn == PL_PFN_NONE)
		return pl_pipe_read_bytes(w, pipe, PAGE_SIZE, out);
	*out = dma_read_page(w, pfn);
	ps->pages[ps->consumed++] = PL_PFN_NONE;
	put_page(w, pfn);
	return 0;
}

/**
 * pl_pipe_write() - write(2) of @len bytes into @pipe: @text, then zeroes.
 *
 * pipe_write(): the part of the write that is not a whole number of pages
 * is first appended to the last buffer, if that buffer's slot says
 * PIPE_BUF_FLAG_CAN_MERGE and its page has room after offset + len; the
 * rest goes into new pipe-owned pages, one buffer each, flagged CAN_MERGE.
 * Appending writes into whatever page the buffer holds -- for a buffer
 * splice() took from the page cache with a stale flag, into the file's
 * cached page, which is not marked dirty (CVE-2022-0847).  The write end
 * is non-blocking: a full pipe takes what fits.
 * Return: bytes written, -EAGAIN (full), -EBADF.
 */
long pl_pipe_write(struct world *w, int pipe, const char *text, uint32_t len)
{
	struct pl_pinset *ps = pinset_lookup(w, pipe, PL_PIN_PIPE);
	uint32_t done = 0, chars = len % PAGE_SIZE;
	char *data;

	if (!ps)
		return -EBADF;
	if (!len)
		return 0;
	pipe_compact(ps);
	data = pl_zalloc(w, len);
	if (text)
		memcpy(data, text, PL_MIN(strlen(text), (size_t)len));
	if (chars && ps->nr) {
		struct pl_pipe *pp = ps->pipe;
		uint32_t last = ps->nr - 1, pos = pp->buf[last].offset + pp->buf[last].len;

		if ((pp->flags[(pp->head - 1) % PL_PIPE_BUFFERS] & PIPE_BUF_FLAG_CAN_MERGE) &&
		    pos + chars <= PAGE_SIZE) {
			pl_pfn pfn = ps->pages[last];

			if (pfn == PL_PFN_NONE) {
				pp->buf[last].tok = token_patch(w, pp->buf[last].tok, pos, data, chars);
			} else {
				struct page *p = pfn_to_page(w, pfn);

				pl_page_write(w, p, token_patch(w, pl_page_token(w, p), pos, data,
								chars), false);
				pl_event_emit(w, PL_EV_NOTE, "pipe_write", NULL, 0, pfn, 0,
					      "%u bytes appended to a spliced page at offset %u "
					      "(PIPE_BUF_FLAG_CAN_MERGE)", chars, pos);
			}
			pp->buf[last].len = (uint16_t)(pp->buf[last].len + chars);
			done = chars;
		}
	}
	while (done < len && ps->nr < PIPE_DEF_BUFFERS) {
		uint32_t n = PL_MIN(len - done, (uint32_t)PAGE_SIZE);
		char page[PAGE_SIZE + 1];

		memcpy(page, data + done, n);
		page[n] = 0;
		ps->pages[ps->nr] = PL_PFN_NONE;
		pipe_push(ps, 0, n, pl_token_intern(w, page), PIPE_BUF_FLAG_CAN_MERGE);
		done += n;
	}
	free(data);
	return done ? (long)done : -EAGAIN;
}

/**
 * pl_splice_file() - splice(2) of @len bytes at the start of page @index of
 * @file into @pipe.
 *
 * The read side of splice finds (or reads in) the page-cache page and the
 * pipe takes a reference on it: the buffer *is* the cached page.  Before
 * 9d2231c5d74e (knob dirty_pipe, from f6dd975583bd's 5.8 on) the new
 * buffer kept the flags its ring slot had last held; since, they are 0.
 * Return: bytes spliced (0 at end of file), -EAGAIN (full), -EBADF, -ENOMEM.
 */
long pl_splice_file(struct world *w, int file, uint32_t index, uint32_t len, int pipe)
{
	struct pl_pinset *ps = pinset_lookup(w, pipe, PL_PIN_PIPE);
	struct pl_file *f = pl_file_get(w, file);
	struct folio *folio;

	if (!ps || !f)
		return -EBADF;
	if (index >= f->nr_pages || !len)
		return 0;
	len = PL_MIN(len, (uint32_t)PAGE_SIZE);
	pipe_compact(ps);
	if (ps->nr == PIPE_DEF_BUFFERS)
		return -EAGAIN;
	folio = filemap_get_folio(w, f, index, true);
	if (!folio)
		return -ENOMEM;
	folio_get(w, folio);	/* a plain reference, released by put_page() */
	pl_gup_ghost_add(w, folio, FOLL_GET, 0, 1);
	ps->pages[ps->nr] = folio_pfn(folio) + (index - folio->page.index);
	pipe_push(ps, 0, len, PL_TOKEN_ZERO, w->policy.dirty_pipe ? -1 : 0);
	return len;
}

/** pl_pipe_close() - the last close(2): every buffer's reference goes. */
int pl_pipe_close(struct world *w, int pipe)
{
	struct pl_pinset *ps = pinset_lookup(w, pipe, PL_PIN_PIPE);

	if (!ps)
		return -EBADF;
	for (uint32_t i = ps->consumed; i < ps->nr; i++) {
		if (ps->pages[i] != PL_PFN_NONE)
			put_page(w, ps->pages[i]);
		ps->pages[i] = PL_PFN_NONE;
	}
	ps->consumed = ps->nr;
	ps->active = false;
	return 0;
}

/* ---------------------------------------------------------------------------
 * io_uring fixed buffers (io_uring/rsrc.c).
 */

/*
 * longterm_register(): pin @nr pages of @pid at @addr with FOLL_PIN|@flags
 * for a user that keeps them indefinitely and expects them to track the
 * mapping (coherent).  Returns the new pinset or NULL with *err set.
 */
static struct pl_pinset *longterm_register(struct world *w, enum pl_pin_kind kind, int pid,
					   pl_addr addr, unsigned long nr, unsigned flags, int *err)
{
	struct mm_struct *mm = pl_mm_of(w, pid);
	struct pl_pinset *ps;
	pl_pfn *pages;

	*err = -ESRCH;
	if (!mm)
		return NULL;
	w->cur_pid = pid;
	*err = pin_all(w, mm, addr, nr, flags, false, &pages);
	if (*err)
		return NULL;
	ps = pinset_new(w, kind, pid, mm, addr, (uint32_t)nr, pin_taken(w, flags), pages);
	ps->coherent = true;
	return ps;
}

/* longterm_unregister(): the device lets go (see longterm_release()). */
static int longterm_unregister(struct world *w, int id, enum pl_pin_kind kind)
{
	struct pl_pinset *ps = pinset_lookup(w, id, kind);

	if (!ps)
		return -EBADF;
	longterm_release(w, ps);
	return 0;
}

/*
 * Before iouring_file_buffers (about v6.5) io_uring looked at the vmas GUP
 * returned and refused a buffer in any file mapping but shmem and hugetlbfs,
 * private mappings included: are the @nr pages at @addr all mapped, one of
 * them in such a vma?
 */
static bool iouring_buffer_in_file(struct world *w, int pid, pl_addr addr, unsigned long nr)
{
	struct mm_struct *mm = pl_mm_of(w, pid);
	bool file = false;

	for (unsigned long i = 0; mm && i < nr; i++) {
		struct vm_area_struct *vma = vma_lookup(mm, addr + i * PAGE_SIZE);
		struct pl_file *f = vma && vma->file >= 0 ? pl_file_get(w, vma->file) : NULL;

		/* GUP fails first: no vma, a raw PFN map, secretmem (check_vma_flags()) */
		if (!vma || (vma->vm_flags & (VM_IO | VM_PFNMAP | VM_SECRETMEM)))
			return false;
		/* shmem/memfd only since 40dad765c045 (5.14) */
		if (f && f->fs != PL_FS_HUGETLBFS &&
		    (f->fs != PL_FS_TMPFS || !w->policy.iouring_shmem_buffers))
			file = true;
	}
	return file;
}

/*
 * io_buffer_account_pin(): the pages a new buffer charges to the user's
 * locked_vm.  From de2939388be5 (5.10, knob iouring_huge_acct) a page of a
 * large folio charges its whole folio, once: not again for a later page of
 * the same folio in this buffer, nor when a buffer the ring registered
 * before holds a page of it (headpage_already_acct(); the model takes a
 * process's buffers for one ring).  Before, every 4 KiB page counted.
 * Read in Debian 6.1 and 6.12 io_uring/rsrc.c (the same rule).  Unregister
 * gives back what the buffer charged.
 */
static uint32_t iouring_acct_pages(struct world *w, const struct pl_pinset *ps)
{
	const pl_pfn *pages = ps->pages;
	uint32_t acct = 0;

	if (!w->policy.iouring_huge_acct)
		return ps->nr;
	for (uint32_t i = 0; i < ps->nr; i++) {
		struct folio *f = page_folio(w, pfn_to_page(w, pages[i]));
		bool seen = false;

		if (!folio_test_large(f)) {
			acct++;
			continue;
		}
		for (uint32_t j = 0; j < i && !seen; j++)
			seen = page_folio(w, pfn_to_page(w, pages[j])) == f;
		for (int k = 0; k < w->nr_pins && !seen; k++) {
			const struct pl_pinset *o = w->pins[k];

			if (!o || o == ps || !o->active || o->kind != PL_PIN_IOURING ||
			    o->pid != ps->pid || !o->pages)
				continue;
			for (uint32_t j = 0; j < o->nr && !seen; j++)
				seen = page_folio(w, pfn_to_page(w, o->pages[j])) == f;
		}
		if (!seen)
			acct += folio_nr_pages(f);
	}
	return acct;
}

/**
 * io_uring_register_buffers() - IORING_REGISTER_BUFFERS of @nr pages at @addr.
 * Long-term writable pins; 8ac268436e6d refuses dirty-tracked shared file
 * mappings (GUP's -EFAULT passes through).  Before iouring_file_buffers,
 * io_uring refused file-backed buffers itself with -EOPNOTSUPP.  The kernel
 * pinned first and unpinned at once; the model decides before pinning, so a
 * pin no device ever used is not reported as an unpinnable long-term pin.
 * Return: the handle, or -errno.
 */
int io_uring_register_buffers(struct world *w, int pid, pl_addr addr, unsigned long nr)
{
	struct pl_pinset *ps;
	int err;

	if (!w->policy.io_uring) {
		pl_event_emit(w, PL_EV_GUP_REFUSE, "io_uring_setup", "io_uring (off)", addr, 0, 0,
			      "no io_uring before 2b188cc1bb85 (5.1): ENOSYS");
		return -ENOSYS;
	}
	if (!w->policy.iouring_file_buffers && iouring_buffer_in_file(w, pid, addr, nr)) {
		pl_event_emit(w, PL_EV_GUP_REFUSE, "io_sqe_buffer_register",
			      "iouring_file_buffers (off)", addr, 0, 0,
			      "fixed buffer in a file mapping io_uring does not take yet");
		return -EOPNOTSUPP;
	}
	ps = longterm_register(w, PL_PIN_IOURING, pid, addr, nr, FOLL_WRITE | FOLL_LONGTERM, &err);
	if (!ps)
		return err;
	/*
	 * io_account_mem(): without CAP_IPC_LOCK (`memlock`) the charge goes to
	 * user->locked_vm, shared by the user's processes, ENOMEM past
	 * RLIMIT_MEMLOCK; the pages were pinned first and are let go again.
	 */
	if (w->memlock_limited) {
		uint32_t acct = iouring_acct_pages(w, ps);

		if (w->user_locked_vm + acct > w->memlock_pages) {
			longterm_release(w, ps);
			pl_event_emit(w, PL_EV_GUP_REFUSE, "io_account_mem", "RLIMIT_MEMLOCK", addr,
				      0, 0, "%u pages to charge, %llu of %llu charged: ENOMEM",
				      acct, (unsigned long long)w->user_locked_vm,
				      (unsigned long long)w->memlock_pages);
			return -ENOMEM;
		}
		ps->acct_pages = acct;
		ps->acct_user = true;
		w->user_locked_vm += acct;
	}
	return ps->id;
}

/**
 * io_uring_unregister_buffers() - unpin (put_page() before FOLL_PIN), without
 * dirtying the pages, in every release (see longterm_release()).
 */
int io_uring_unregister_buffers(struct world *w, int buf)
{
	return longterm_unregister(w, buf, PL_PIN_IOURING);
}

/*
 * io_import_fixed() - the registered buffer @buf for a transfer with file
 * pages [@index, @index + its pages).  Return: 0 with *@psp, -EBADF, or the
 * file's -errno.
 */
static int io_import_fixed(const struct world *w, int buf, int file, uint32_t index,
			   struct pl_pinset **psp)
{
	*psp = pinset_lookup(w, buf, PL_PIN_IOURING);
	if (!*psp)
		return -EBADF;
	return file_range_check(w, file, index, (*psp)->nr);
}

/*
 * io_uring_rw_fixed() - IORING_OP_WRITE_FIXED (@write: the device reads the
 * buffer into file pages [@index, ...)) or IORING_OP_READ_FIXED (the device
 * writes those file pages into the buffer).
 */
static int io_uring_rw_fixed(struct world *w, int buf, int file, uint32_t index, bool write)
{
	struct pl_pinset *ps;
	int ret = io_import_fixed(w, buf, file, index, &ps);

	for (uint32_t i = 0; !ret && i < ps->nr; i++) {
		pl_token tok;

		if (write) {
			ret = pl_file_write(w, file, index + i, dma_read_page(w, ps->pages[i]));
			continue;
		}
		ret = pl_file_read(w, file, index + i, &tok);
		if (!ret)
			ret = dma_write_page(w, ps->pages[i], tok);
		if (!ret)
			ps->written = true;
	}
	return ret;
}

int io_uring_write_fixed(struct world *w, int buf, int file, uint32_t index)
{
	return io_uring_rw_fixed(w, buf, file, index, true);
}

int io_uring_read_fixed(struct world *w, int buf, int file, uint32_t index)
{
	return io_uring_rw_fixed(w, buf, file, index, false);
}

/* ---------------------------------------------------------------------------
 * O_DIRECT (fs/iomap/direct-io.c, block/bio.c).
 */

/**
 * pl_dio_submit() - start an O_DIRECT read(2) (file -> memory) or write(2).
 *
 * Short-term references (not coherent: the kernel promises nothing if the
 * mapping changes while I/O is in flight).  The device writes memory on a
 * read(2), hence FOLL_WRITE.  Before 6.5 (a7e689dd1c06) the block layer took FOLL_GET;
 * knob dio_uses_pin switches to FOLL_PIN.
 * Return: the request handle, or -errno.
 */
int pl_dio_submit(struct world *w, int pid, int file, uint32_t index, pl_addr addr,
		  unsigned long nr, bool write_to_file)
{
	struct mm_struct *mm = pl_mm_of(w, pid);
	unsigned flags = write_to_file ? 0 : FOLL_WRITE;
	unsigned taken;
	struct pl_pinset *ps;
	pl_pfn *pages;
	long got;
	int ret;

	if (!mm)
		return -ESRCH;
	if (write_to_file && pl_file_get(w, file) && pl_file_get(w, file)->rdonly)
		return -EBADF;	/* an O_DIRECT write(2) on an fd open for reading */
	if (nr == 0 || nr > PL_PIN_MAX_PAGES)
		return -EINVAL;
	ret = file_range_check(w, file, index, (uint32_t)nr);
	if (ret)
		return ret;
	w->cur_pid = pid;
	pages = pl_zalloc(w, nr * sizeof(*pages));
	if (w->policy.dio_uses_pin) {
		got = pin_user_pages_fast(w, mm, addr, nr, flags, pages);
		taken = pin_taken(w, flags);
	} else {
		got = get_user_pages_fast(w, mm, addr, nr, flags, pages);
		taken = flags | FOLL_GET;
	}
	if (got >= 0 && (unsigned long)got != nr) {
		release_pages(w, pages, (unsigned long)got, taken, false);
		got = -EFAULT;
	}
	if (got < 0) {
		free(pages);
		return (int)got;
	}
	ps = pinset_new(w, PL_PIN_DIO, pid, mm, addr, (uint32_t)nr, taken, pages);
	ps->file = file;
	ps->file_index = index;
	ps->dio_write = write_to_file;
	return ps->id;
}

/**
 * pl_dio_submit_bytes() - an O_DIRECT transfer of @len bytes inside one
 * page: the pages are pinned the same way (the block layer pins whole
 * pages), only the transfer at completion is partial, as a 512-byte
 * sector-aligned read(2) into part of a page does.
 */
int pl_dio_submit_bytes(struct world *w, int pid, int file, uint32_t index, pl_addr addr,
			bool write_to_file, uint32_t mem_off, uint32_t file_off, uint32_t len)
{
	struct pl_pinset *ps;
	int id;

	if (!len || mem_off > PAGE_SIZE || len > PAGE_SIZE - mem_off || file_off > PAGE_SIZE ||
	    len > PAGE_SIZE - file_off)
		return -EINVAL;
	id = pl_dio_submit(w, pid, file, index, addr, 1, write_to_file);
	if (id < 0)
		return id;
	ps = pl_pinset_get(w, id);
	ps->dio_mem_off = mem_off;
	ps->dio_file_off = file_off;
	ps->dio_len = len;
	return id;
}

/*
 * The device writes one file page directly: the disk for ext4 (the cached
 * copy, if any, is kept coherent the way invalidate-after-write would),
 * the page cache for tmpfs and hugetlbfs, which have no disk.
 */
static int dio_write_file_page(struct world *w, int file, uint32_t index, pl_token tok)
{
	struct pl_file *f = pl_file_get(w, file);
	struct folio *folio;

	if (f->fs != PL_FS_EXT4)
		return pl_file_write(w, file, index, tok);
	pl_file_disk_set(w, f, index, tok);
	folio = filemap_get_folio(w, f, index, false);
	if (folio)
		pl_page_write(w, folio_page(folio, index - folio->page.index), tok, false);
	return 0;
}

/* The transfer of a byte-range request: the other side's bytes patched in. */
static int dio_bytes(struct world *w, struct pl_pinset *ps, uint32_t index, pl_pfn pfn)
{
	char buf[PAGE_SIZE];
	pl_token tok;
	int ret;

	if (ps->dio_write) {
		struct pl_file *f = pl_file_get(w, ps->file);
		struct folio *folio = filemap_get_folio(w, f, index, false);

		pl_token_bytes(w, dma_read_page(w, pfn), ps->dio_mem_off, buf, ps->dio_len);
		/* the kernel writes dirty cache back first: the cached copy is the base */
		if (folio)
			tok = pl_page_token(w, folio_page(folio, index - folio->page.index));
		else if (f->fs == PL_FS_EXT4)
			tok = pl_file_disk_at(f, index);
		else
			tok = PL_TOKEN_ZERO;
		return dio_write_file_page(w, ps->file, index,
					   pl_token_patch(w, tok, ps->dio_file_off, buf,
							  ps->dio_len));
	}
	ret = pl_file_read(w, ps->file, index, &tok);
	if (ret)
		return ret;
	pl_token_bytes(w, tok, ps->dio_file_off, buf, ps->dio_len);
	ret = dma_write_page(w, pfn, pl_token_patch(w, dma_read_page(w, pfn), ps->dio_mem_off,
						    buf, ps->dio_len));
	ps->written |= !ret;
	return ret;
}

/**
 * pl_dio_complete() - the I/O happens now: the transfer, then the release
 * (dirtying the pages the device wrote: bio_release_pages(mark_dirty)).
 */
int pl_dio_complete(struct world *w, int req)
{
	struct pl_pinset *ps = pinset_lookup(w, req, PL_PIN_DIO);
	int ret = 0;

	if (!ps)
		return -EBADF;
	pl_yield(w, YIELD_DIO_INFLIGHT);
	if (!ps->active)
		return -EBADF;
	for (uint32_t i = 0; i < ps->nr && !ret; i++) {
		uint32_t index = ps->file_index + i;
		pl_token tok;

		if (ps->dio_len) {
			ret = dio_bytes(w, ps, index, ps->pages[i]);
		} else if (ps->dio_write) {
			ret = dio_write_file_page(w, ps->file, index, dma_read_page(w, ps->pages[i]));
		} else {
			ret = pl_file_read(w, ps->file, index, &tok);
			if (!ret)
				ret = dma_write_page(w, ps->pages[i], tok);
			ps->written |= !ret;
		}
	}
	release_pages(w, ps->pages, ps->nr, ps->gup_flags, !ps->dio_write);
	ps->active = false;
	return ret;
}

/* ---------------------------------------------------------------------------
 * RDMA memory registration (drivers/infiniband/core/umem.c) and vfio.
 */

/**
 * pl_rdma_reg_mr() - ibv_reg_mr(): long-term pin of @nr pages.
 *
 * FOLL_PIN eras: FOLL_LONGTERM, plus FOLL_WRITE for a writable MR (R/O
 * long-term pins unshare by themselves since 84209e87c696).  Before that,
 * ib_umem_get() took FOLL_WRITE always, and FOLL_FORCE for a read-only MR,
 * to break COW up front.
 */
int pl_rdma_reg_mr(struct world *w, int pid, pl_addr addr, unsigned long nr, bool writable)
{
	struct mm_struct *mm = pl_mm_of(w, pid);
	struct pl_pinset *ps;
	unsigned flags;
	int err;

	/*
	 * ib_umem_get(): charge mm->pinned_vm against RLIMIT_MEMLOCK before
	 * pinning, ENOMEM past it unless CAP_IPC_LOCK (`memlock` in a
	 * scenario makes every process unprivileged; Debian 6.1 and 6.12).
	 */
	if (mm && w->memlock_limited && mm->pinned_vm + nr > w->memlock_pages)
		return -ENOMEM;
	if (w->policy.foll_pin)
		flags = FOLL_LONGTERM | (writable ? FOLL_WRITE : 0);
	else
		flags = FOLL_LONGTERM | FOLL_WRITE | (writable ? 0 : FOLL_FORCE);
	ps = longterm_register(w, PL_PIN_RDMA, pid, addr, nr, flags, &err);
	if (!ps)
		return err;
	ps->dio_write = !writable;	/* read-only MR: the device only reads memory */
	ps->acct_pages = (uint32_t)nr;
	mm->pinned_vm += nr;
	return ps->id;
}

/*
 * On-demand paging MRs (IB_ACCESS_ON_DEMAND; ib_umem_odp_get(), umem_odp.c since
 * 3.19, on hmm_range_fault() since 36f30e486dce in 5.10): registration
 * takes no page at all, only an mmu interval notifier on the range.  The
 * device faults a page in when it touches it (ib_umem_odp_map_dma_and_lock()
 * -> hmm_range_fault(), a write fault for a writable access), and every
 * invalidation of the range -- munmap, COW, migration, reclaim, fork's
 * write-protect -- unmaps it from the device, which faults again on its next
 * access.  The model resolves each device access through the owner's page
 * tables at that moment, as a user access would (the same faults, COW
 * included, and the same refusals); an unmapped address or a dead owner is
 * -EFAULT, the device's access error.  No reference is held, so nothing is
 * maybe-pinned, fork shares the pages and reclaim may swap them out.
 */
int pl_rdma_reg_mr_odp(struct world *w, int pid, pl_addr addr, unsigned long nr, bool writable)
{
	struct mm_struct *mm = pl_mm_of(w, pid);
	struct pl_pinset *ps;

	if (!mm)
		return -ESRCH;
	if (nr == 0 || nr > PL_PIN_MAX_PAGES)
		return -EINVAL;
	w->cur_pid = pid;
	if (!vma_lookup(mm, addr) || !vma_lookup(mm, addr + (nr - 1) * PAGE_SIZE))
		return -EFAULT;
	ps = pinset_new(w, PL_PIN_RDMA, pid, mm, addr, (uint32_t)nr, 0, NULL);
	ps->odp = true;
	ps->dio_write = !writable;
	return ps->id;
}

/* A device access to page @page of an ODP MR: fault it in through the owner's mm. */
static int odp_access(struct world *w, struct pl_pinset *ps, uint32_t page, bool write,
		      pl_token *tok)
{
	pl_addr addr = ps->addr + (pl_addr)page * PAGE_SIZE;
	int ret;

	if (!pl_mm_of(w, ps->pid))
		return -EFAULT;
	ret = write ? pl_user_write(w, ps->pid, addr, *tok) : pl_user_read(w, ps->pid, addr, tok);
	return ret < 0 ? -EFAULT : 0;
}

/*
 * vfio type1 (drivers/vfio/vfio_iommu_type1.c, read in Debian 6.1 and 6.12):
 * VFIO_IOMMU_MAP_DMA pins the range with pin_user_pages_remote(FOLL_LONGTERM,
 * plus FOLL_WRITE for an IOMMU_WRITE mapping) in vaddr_get_pfns(), and
 * vfio_pin_pages_remote() refuses with ENOMEM once mm->locked_vm plus the
 * pages pinned so far would pass RLIMIT_MEMLOCK (no CAP_IPC_LOCK), undoing
 * what it pinned; vfio_lock_acct() then adds them to mm->locked_vm -- the
 * counter mlock() uses, not RDMA's pinned_vm, so each has its own budget
 * under one limit.  Unmapping gives them back.  The model charges the whole
 * range up front: the outcome (all pinned, or ENOMEM and nothing held) is
 * the same.  Not modelled: mlock() (no step), reserved or PFNMAP pages
 * (never charged), a second mapping of the same pages charged again.
 */
int pl_vfio_map_dma(struct world *w, int pid, pl_addr addr, unsigned long nr, bool writable)
{
	struct mm_struct *mm = pl_mm_of(w, pid);
	struct pl_pinset *ps;
	int err;

	if (mm && w->memlock_limited && mm->locked_vm + nr > w->memlock_pages)
		return -ENOMEM;
	ps = longterm_register(w, PL_PIN_RDMA, pid, addr, nr,
			       FOLL_LONGTERM | (writable ? FOLL_WRITE : 0), &err);
	if (!ps)
		return err;
	ps->dio_write = !writable;	/* no IOMMU_WRITE: the device only reads */
	ps->acct_pages = (uint32_t)nr;
	ps->acct_locked_vm = true;
	mm->locked_vm += nr;
	return ps->id;
}

/*
 * udmabuf (drivers/dma-buf/udmabuf.c): UDMABUF_CREATE turns pages of a memfd
 * into a dma-buf by file offset; no process maps them.  It wants a shmem or
 * hugetlbfs file (EINVAL otherwise) and the range inside i_size (EINVAL).
 * From 89c1905d9c14 (6.11) memfd_pin_folios() finds or allocates each folio
 * in the page cache and pins it FOLL_PIN|FOLL_LONGTERM; folios in ZONE_MOVABLE
 * or CMA would migrate first, but the model places file pages in normal memory
 * only, so nothing moves here.  Before, shmem_read_mapping_page() (or the
 * hugetlb lookup) gave a plain page reference, dropped with put_page(): not
 * maybe-pinned, so fork, reclaim and migration treat the page as unpinned.
 * Truncation or a punched hole drops the page-cache entry either way; the
 * device keeps the old folio.  The handle is an MR: dma-write/dma-read reach
 * the held pages, udmabuf-close (or rdma-dereg) lets them go.
 */
int pl_udmabuf_create(struct world *w, int file, uint32_t index, unsigned long nr)
{
	struct pl_file *f = pl_file_get(w, file);
	unsigned taken = w->policy.udmabuf_pins && w->policy.foll_pin ? FOLL_PIN | FOLL_LONGTERM
									 : FOLL_GET;
	struct pl_pinset *ps;
	pl_pfn *pages;
	int err;

	if (!f)
		return -EBADF;
	if (f->fs != PL_FS_TMPFS && f->fs != PL_FS_HUGETLBFS)
		return -EINVAL;
	/*
	 * udmabuf_create(): the memfd must carry F_SEAL_SHRINK (its pages cannot
	 * be truncated away under the device) and neither F_SEAL_WRITE nor
	 * F_SEAL_FUTURE_WRITE (SEALS_WANTED / SEALS_DENIED, the same in Debian
	 * 6.1 and 6.12): EINVAL otherwise.
	 */
	if (!(f->seals & PL_SEAL_SHRINK) || (f->seals & (PL_SEAL_WRITE | PL_SEAL_FUTURE_WRITE)))
		return -EINVAL;
	if (nr == 0 || nr > PL_PIN_MAX_PAGES)
		return -EINVAL;
	err = file_range_check(w, file, index, (uint32_t)nr);
	if (err)
		return err;
	pages = pl_zalloc(w, nr * sizeof(*pages));
	for (unsigned long i = 0; i < nr; i++) {
		uint32_t idx = index + (uint32_t)i;
		struct folio *folio = filemap_get_folio(w, f, idx, true);

		if (!folio) {	/* hugetlb pool empty */
			release_pages(w, pages, i, taken, false);
			free(pages);
			return -ENOMEM;
		}
		pl_grab_folio(w, folio, taken);
		pages[i] = page_to_pfn(w, folio_page(folio, idx - folio->page.index));
	}
	ps = pinset_new(w, PL_PIN_RDMA, 0, NULL, 0, (uint32_t)nr, taken, pages);
	ps->file = file;
	return ps->id;
}

/** pl_rdma_dereg_mr() - ibv_dereg_mr(): like io_uring's unregister. */
int pl_rdma_dereg_mr(struct world *w, int mr)
{
	return longterm_unregister(w, mr, PL_PIN_RDMA);
}

/** pl_rdma_dma_write() - an RDMA WRITE lands in page @page.  -EACCES on a R/O MR. */
int pl_rdma_dma_write(struct world *w, int mr, uint32_t page, pl_token tok)
{
	struct pl_pinset *ps;
	int ret = pinset_lookup_page(w, mr, PL_PIN_RDMA, page, &ps);

	if (ret)
		return ret;
	if (ps->dio_write)
		return -EACCES;
	if (ps->odp)
		return odp_access(w, ps, page, true, &tok);
	ret = dma_write_page(w, ps->pages[page], tok);
	if (!ret)
		ps->written = true;
	return ret;
}

/*
 * pinset_dma_read() - the device reads page @page of handle @h of @kind
 * (through the owner's page tables for an ODP MR).  -EFAULT: no @out.
 */
static int pinset_dma_read(struct world *w, int h, enum pl_pin_kind kind, uint32_t page,
			   pl_token *out)
{
	struct pl_pinset *ps;
	int ret = pinset_lookup_page(w, h, kind, page, &ps);

	if (ret)
		return ret;
	if (!out)
		return -EFAULT;
	if (ps->odp)
		return odp_access(w, ps, page, false, out);
	*out = dma_read_page(w, ps->pages[page]);
	return 0;
}

/** pl_rdma_dma_read() - an RDMA READ (or send) of page @page. */
int pl_rdma_dma_read(struct world *w, int mr, uint32_t page, pl_token *out)
{
	return pinset_dma_read(w, mr, PL_PIN_RDMA, page, out);
}

/* ---------------------------------------------------------------------------
 * gup_test (mm/gup_test.c): PIN_LONGTERM_TEST_START / READ / STOP.
 */
int pl_gup_test_pin(struct world *w, int pid, pl_addr addr, unsigned long nr, bool write, bool fast)
{
	struct mm_struct *mm = pl_mm_of(w, pid);
	unsigned flags = FOLL_LONGTERM | (write ? FOLL_WRITE : 0);
	struct pl_pinset *ps;
	pl_pfn *pages;
	int ret;

	if (!mm)
		return -ESRCH;
	w->cur_pid = pid;
	ret = pin_all(w, mm, addr, nr, flags, fast, &pages);
	if (ret)
		return ret;
	ps = pinset_new(w, PL_PIN_GUP_TEST, pid, mm, addr, (uint32_t)nr, pin_taken(w, flags), pages);
	ps->coherent = true;
	return ps->id;
}

/* PIN_LONGTERM_TEST_READ: copy_to_user() from the pinned page */
int pl_gup_test_read(struct world *w, int h, uint32_t page, pl_token *out)
{
	return pinset_dma_read(w, h, PL_PIN_GUP_TEST, page, out);
}

int pl_gup_test_unpin(struct world *w, int h)
{
	struct pl_pinset *ps = pinset_lookup(w, h, PL_PIN_GUP_TEST);

	if (!ps)
		return -EBADF;
	release_pages(w, ps->pages, ps->nr, ps->gup_flags, false);
	ps->active = false;
	return 0;
}

/* ---------------------------------------------------------------------------
 * /proc/pid/mem, ptrace (mm/memory.c: __access_remote_vm) and
 * process_vm_readv/writev (mm/process_vm_access.c).
 */

/*
 * remote_page_get() - the page at @addr of @target's mm, for an access by
 * @pid: one page, as access_remote_vm() takes it for /proc/pid/mem and
 * ptrace (get_user_pages(), FOLL_GET) or, with @pin, as
 * process_vm_rw_pages() does (pin_user_pages()).
 * Return: 0 with *@pfn; -ESRCH (no such task, or no mm); when GUP gives
 * nothing, -EIO (mem_rw()'s answer) or, with @pin, -EFAULT.
 */
static int remote_page_get(struct world *w, int pid, int target, pl_addr addr, unsigned flags,
			   bool pin, pl_pfn *pfn)
{
	struct task_struct *t = pl_task(w, pid);
	struct mm_struct *mm = pl_mm_of(w, target);

	if (!t || t->exited || !mm)
		return -ESRCH;
	w->cur_pid = pid;
	addr &= PAGE_MASK;
	if (pin)
		return pin_user_pages(w, mm, addr, 1, flags, pfn) == 1 ? 0 : -EFAULT;
	return get_user_pages(w, mm, addr, 1, flags, pfn) == 1 ? 0 : -EIO;
}

/* The forced write of /proc/pid/mem and ptrace: @tok, or @len @bytes over the page. */
static int force_write(struct world *w, int pid, int target, pl_addr addr, pl_token tok,
		       const void *bytes, uint32_t len)
{
	unsigned flags = FOLL_FORCE | FOLL_WRITE | (pid != target ? FOLL_REMOTE : 0);
	pl_pfn pfn;
	int ret = remote_page_get(w, pid, target, addr, flags, false, &pfn);

	if (ret)
		return ret;
	if (bytes)	/* only those bytes: the rest of the page is what it held */
		tok = pl_token_patch(w, dma_read_page(w, pfn), 0, bytes, len);
	/* copy_to_user_page() through the kernel mapping, then folio_mark_dirty_lock() */
	ret = dma_write_page(w, pfn, tok);
	if (!ret)
		set_page_dirty_lock(w, pfn);
	put_page(w, pfn);
	return ret ? -EIO : 0;
}

/**
 * pl_proc_mem_write() - pwrite(2) of /proc/@target/mem by @pid.
 *
 * FOLL_FORCE writes even where the mapping is read-only, in COW mappings
 * only: the forced write fault gives the target a private anon copy, never
 * the file (Dirty COW was the exception, knob dirty_cow).
 * Return: 0, -ESRCH, or -EIO when nothing could be written (mem_rw()).
 */
int pl_proc_mem_write(struct world *w, int pid, int target, pl_addr addr, pl_token tok)
{
	return force_write(w, pid, target, addr, tok, NULL, 0);
}

/**
 * pl_ptrace_poke() - PTRACE_POKETEXT of @len bytes at the start of the page
 * at @addr, by @pid.  ptrace_access_vm() is the same FOLL_FORCE remote write
 * as /proc/pid/mem (both reach __access_remote_vm()), but a debugger pokes a
 * word at a time over what PTRACE_PEEKTEXT read: only those @len bytes of
 * the page change.
 * Return: 0, -ESRCH, or -EIO when nothing could be written.
 */
int pl_ptrace_poke(struct world *w, int pid, int target, pl_addr addr, const void *bytes,
		   uint32_t len)
{
	if (!len || len > PAGE_SIZE)
		return -EINVAL;
	return force_write(w, pid, target, addr, PL_TOKEN_ZERO, bytes, len);
}

/** pl_proc_mem_read() - pread(2) of /proc/@target/mem: FOLL_FORCE, R/O GET.  -EFAULT: no @out. */
int pl_proc_mem_read(struct world *w, int pid, int target, pl_addr addr, pl_token *out)
{
	unsigned flags = FOLL_FORCE | (pid != target ? FOLL_REMOTE : 0);
	pl_pfn pfn;
	int ret = out ? remote_page_get(w, pid, target, addr, flags, false, &pfn) : -EFAULT;

	if (ret)
		return ret;
	*out = dma_read_page(w, pfn);
	put_page(w, pfn);
	return 0;
}

/** pl_process_vm_writev() - one page into @target; no FOLL_FORCE.  -EFAULT if unmapped/R/O. */
int pl_process_vm_writev(struct world *w, int pid, int target, pl_addr addr, pl_token tok)
{
	pl_pfn pfn;
	int ret = remote_page_get(w, pid, target, addr, FOLL_WRITE | FOLL_REMOTE, true, &pfn);

	if (ret)
		return ret;
	ret = dma_write_page(w, pfn, tok);
	unpin_user_pages_dirty_lock(w, &pfn, 1, ret == 0);
	return ret;
}

/** pl_process_vm_readv() - one page from @target.  -EFAULT: no @out, or nothing mapped. */
int pl_process_vm_readv(struct world *w, int pid, int target, pl_addr addr, pl_token *out)
{
	pl_pfn pfn;
	int ret = out ? remote_page_get(w, pid, target, addr, FOLL_REMOTE, true, &pfn) : -EFAULT;

	if (ret)
		return ret;
	*out = dma_read_page(w, pfn);
	unpin_user_pages(w, &pfn, 1);
	return 0;
}

/* ---------------------------------------------------------------------------
 * Teardown.
 */

/**
 * pl_pinset_release() - release one live handle as its holder's exit would:
 * a pipe drops its buffers, long-term users unregister, an O_DIRECT request
 * completes first when @complete_io (exit waits for in-flight I/O) or is
 * dropped without a transfer otherwise.
 */
void pl_pinset_release(struct world *w, struct pl_pinset *ps, bool complete_io)
{
	if (!ps->active)
		return;
	switch (ps->kind) {
	case PL_PIN_PIPE:
		pl_pipe_close(w, ps->id);
		break;
	case PL_PIN_IOURING:
	case PL_PIN_RDMA:
		longterm_release(w, ps);
		break;
	case PL_PIN_DIO:
		if (complete_io) {
			pl_dio_complete(w, ps->id);
			break;
		}
		release_pages(w, ps->pages, ps->nr, ps->gup_flags, false);
		break;
	case PL_PIN_GUP_TEST:
		release_pages(w, ps->pages, ps->nr, ps->gup_flags, false);
		break;
	}
	ps->active = false;
}

/** pl_pinset_drop_all() - release every live handle.  Idempotent. */
void pl_pinset_drop_all(struct world *w)
{
	for (int i = 0; i < w->nr_pins; i++)
		pl_pinset_release(w, w->pins[i], false);
}
