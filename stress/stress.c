// SPDX-License-Identifier: GPL-2.0
/*
 * stress - minutes of mixed memory load while compaction runs, with every
 * page of user data checked against the pattern it must hold.
 *
 * Run by the guest's /init in harness.mode=stress (make stress), as root, on
 * the debug kernel (KASAN or KCSAN, lockdep, DEBUG_VM, page_owner ...).  It
 * forks one process per worker; all of them run at once until the deadline:
 *
 *   anon      anonymous 2 MiB chunks (THP and 64 KiB mTHP when the knobs
 *             allow): rewrites, MADV_DONTNEED of part of a chunk, munmap and
 *             a fresh mmap, mremap to a new address
 *   mlock     anonymous chunks, mlocked (compaction may move them while
 *             compact_unevictable_allowed is 1, the default)
 *   shmem     a memfd mapped shared: rewrites, remaps, holes punched
 *   file      a file on ext2 on a RAM disk (/dev/ram0), mapped shared:
 *             dirty pages, fsync (writeback), clean pages re-read, and
 *             page cache dropped and read back from the disk
 *   thp       2 MiB-aligned chunks with MADV_HUGEPAGE, faulted, verified,
 *             unmapped and moved with mremap
 *   fork      fork() a child that checks the copy it inherited, writes
 *             half of it (copy-on-write) and exits
 *   migrate   move_pages(2) of its own pages to the other node, and
 *             migrate_pages(2) of the anon worker between the nodes
 *   pin       pages spliced into a pipe with vmsplice(2) and pages
 *             registered as io_uring fixed buffers (long-term pins), held
 *             up to a second, then checked through the pipe and in place
 *   compact   compact_memory and every nodeN/compact, compaction_proactiveness
 *             and the THP knobs (enabled, defrag) flipped
 *   frag      fragments free memory: fills it in 4 KiB pages down to an
 *             eighth of MemTotal and 4 MiB (a quarter below 256 MiB; per-CPU
 *             lists counted as free; a third of the time left at most),
 *             keeps one page in 8 of every 2 MiB,
 *             holds the layout a few seconds (THP faults then have to
 *             compact directly, or with defrag=defer wake kswapd, which
 *             may wake kcompactd), lets go, again
 *   kalloc    high-order kernel allocations that may compact directly:
 *             64 KiB AF_UNIX datagrams, pipes resized to 1 MiB
 *   cma       the whole CMA area (cma= on the command line) allocated and
 *             freed through debugfs
 *   hotplug   memory added through /sys/devices/system/memory/probe (a QEMU
 *             pc-dimm, -d ADDR), onlined movable, offlined, onlined again
 *
 * Every data page holds 64-bit words derived from (seed, worker, page,
 * generation); a page whose generation is 0 must read as zeros (fresh or
 * dropped).  Each worker sweeps all of its pages every round and counts the
 * bytes it checked; a mismatch is printed with where it was.
 *
 * At the end it prints a TAP line per check:
 *   - 0 mismatches over every byte checked;
 *   - each worker ran rounds and met no error it was not allowed;
 *   - every CMA and offline round succeeded or failed with a retryable
 *     error (ENOMEM, EBUSY, EAGAIN, EINTR) and was retried until it
 *     succeeded; the CMA area and the added memory are given back;
 *   - compaction really happened: pgmigrate_success, compact_stall and
 *     compact_daemon_migrate_scanned (kcompactd compacted, for kswapd or
 *     proactively) went up by at least the minimum below, and the manual
 *     writes were made; compact_daemon_wake (kswapd asked kcompactd for an
 *     order) is printed, not required: kswapd asks only after an
 *     allocation that may not compact found no free block of its order,
 *     and under this load compaction keeps free blocks (frag's THP faults
 *     came out huge 318 of 318 and 536 of 536 in the run where none came,
 *     4 CPUs, 3 min; 0 to 8 wake-ups in 12 runs).  compaction_events
 *     (make check) builds that case on purpose and requires the wake-up;
 *   - nr_isolated_anon and nr_isolated_file are back to 0.
 * (/init then checks free memory against what it was before.)
 *
 * usage: stress [-t SECONDS] [-s SEED] [-d DIMM_ADDR -D DIMM_BYTES] [-f FREE_KB]
 *        stress -F [-t SECONDS] [-s SEED]
 *        stress -C SECONDS [-P MIN_PERCENT]
 *        stress -K SECONDS
 *
 * -f sizes the workers as if FREE_KB were free (default: MemFree).
 * -w NAME,NAME... runs only those workers (a tiny guest, a guest without a
 * RAM disk, CMA area or dimm); the others are reported as skipped.
 *
 * -F: faults.  The data workers (anon, mlock, shmem, thp, fork, migrate,
 * pin) and the compact and kalloc workers run for SECONDS / 2 with
 * fail_page_alloc failing 10% of their page allocations and kcompactd's
 * (task-filter, /proc/PID/make-it-fail; any gfp), a third of the time at
 * each min-order of 0, 3 and 9.  A syscall's ENOMEM (or EAGAIN, ENOBUFS)
 * is then allowed and counted, not an error; nothing else changes: 0
 * mismatches.  Then the faults stop and compaction must work again: a
 * fresh fragmented layout (7 of 8 pages freed in every 2 MiB) compacted
 * by compact_memory must migrate pages and form free 2 MiB blocks, its
 * kept pages intact.  (/init's leak check then follows.)
 *
 * -C: the CMA case of issue 10.  A child (cma_load()) first fills memory
 * until user pages sit in the CMA area, then drops 3 of every 4 of its
 * pages, and checks the rest until the end.  Then, for SECONDS, this task
 * alone (task-filter) has 10% of its page allocations failed (any order,
 * any gfp) and, in a loop, allocates 1 MiB from the CMA area through
 * debugfs (frees it again when it got it) and writes compact_memory.
 * alloc_contig_range() gives up at the first failed target allocation, so
 * each used page in the range is a 10% chance of failing: the success rate
 * says how full compaction leaves the area.  Three checks: at least
 * MIN_PERCENT (default 50) of the tries succeed, and faults were injected;
 * the compact_memory writes (the first three and every 8th, each measured
 * before and after) add at most MAX_PARKED used pages to the area in all (a
 * run must not park moved pages in CMA while movable blocks have room; the
 * area as a whole is no measure: pages freed by a CMA try go to the
 * movable per-CPU lists and come back as anyone's movable pages); the
 * load's pages are intact.  Stock 6.12 fails the first two (it fills the
 * area from the top of the zone down).
 *
 * -K: SIGKILL inside direct compaction.  The parent fragments free memory
 * once (as frag does) and takes every whole free block with THPs; then,
 * for SECONDS, a child faults THPs with defrag=always, so that each fault
 * compacts directly, the parent waits 100 ms into the faults and then
 * until the trace (below) shows the child inside a run (600 ms at most),
 * reads the child's kernel stack (/proc/PID/stack), sends SIGKILL and
 * times how long the child takes to be reaped (the child holds only the
 * THPs it got, so its exit is short), then takes the blocks it gave back.  Every kill
 * must be reaped within KILL_BOUND_MS; the kills that hit the child inside
 * compaction (its kernel stack names it, or the compaction trace shows a
 * run of its own begun before the kill and ended after it) are counted,
 * and there must be at least one.  The rounds end
 * early when free memory nears -K's floor (kill_floor_kb()): nothing of
 * -K allocates below it.
 *
 * Build with -DBREAK_FLIP_BYTE to have the anon worker flip a byte of one of
 * its pages behind the checker's back, once: the data check must fail.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/io_uring.h>
#include <linux/mempolicy.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#ifndef MADV_POPULATE_WRITE		/* Linux 5.14; older libc headers */
#define MADV_POPULATE_WRITE 23
#endif

#define PAGE		4096UL
#define WORDS		(PAGE / sizeof(uint64_t))
#define CHUNK		(2UL << 20)
#define CHUNK_PAGES	(CHUNK / PAGE)
#define MAX_SHOWN	10	/* mismatches printed per worker */

/* region flags */
#define R_LOCKED	1	/* mlock every chunk */
#define R_THP		2	/* MADV_HUGEPAGE on every chunk */

/*
 * The minimum the compaction counters must move over a run (see above):
 * pgmigrate_success by a 64th of MemTotal's pages a minute (about 24,000
 * in 3 min of 2 GiB, a few hundred a minute in the 64 MiB tiny guest).
 * A fixed 1,000 a minute, chosen for 2 GiB, failed the tiny guest once at
 * 905 in 60 s, where frag found too little memory to lay out (its whole
 * movable memory is a few thousand pages) and the runs before had moved
 * 3,089.
 */
#define MIGRATED_SHARE_PER_MIN	64
#define MIN_STALLS		1

/* -C: pages compact_memory may add to the CMA area (others' allocations). */
#define MAX_PARKED		32

/* A compaction write on the idle machine, before the workers, ends within this. */
#define IDLE_BOUND_MS		30000

/* -K: a task killed inside direct compaction is reaped within this. */
#define KILL_BOUND_MS		2000

enum worker_kind {
	W_ANON, W_MLOCK, W_SHMEM, W_FILE, W_THP, W_FORK, W_MIGRATE, W_PIN,
	W_COMPACT, W_KALLOC, W_CMA, W_HOTPLUG, W_FRAG, NR_WORKERS
};

static const char * const worker_name[NR_WORKERS] = {
	"anon", "mlock", "shmem", "file", "thp", "fork", "migrate", "pin",
	"compact", "kalloc", "cma", "hotplug", "frag",
};

/* Share of free memory at the start each data worker holds, in percent. */
static const int worker_share[NR_WORKERS] = {
	[W_ANON] = 12, [W_MLOCK] = 4, [W_SHMEM] = 8, [W_THP] = 10,
	[W_FORK] = 4, [W_MIGRATE] = 4, [W_PIN] = 2,
};

/**
 * struct wstats - what one worker did, in memory shared with the parent
 * @rounds:	sweeps (data workers) or loops (the others)
 * @bytes:	bytes compared with their expected pattern
 * @mismatch:	64-bit words that did not hold what they should
 * @errors:	unexpected failures (a syscall that must not fail), printed
 * @ops:	per-kind operation counts, named by op_name[]
 * @retried:	rounds that failed with a retryable error and were retried
 * @pid:	the worker's pid (migrate_pages(2) targets the anon worker)
 * @done:	set when the worker finished its last sweep
 * @busy_since: when the worker's current long call (a memory offline)
 *		began, 0 outside one: the parent prints where it waits
 */
struct wstats {
	uint64_t rounds, bytes, mismatch, errors, retried;
	uint64_t ops[6];
	pid_t pid;
	int done;
	time_t busy_since;
};

static const char * const op_name[NR_WORKERS][6] = {
	[W_ANON]    = { "rewrites", "dontneed", "remaps", "mremaps" },
	[W_MLOCK]   = { "rewrites" },
	[W_SHMEM]   = { "rewrites", "holes", "remaps" },
	[W_FILE]    = { "rewrites", "fsyncs", "drops", "preads" },
	[W_THP]     = { "faults", "huge", "unmaps", "mremaps" },
	[W_FORK]    = { "forks", "children-ok" },
	[W_MIGRATE] = { "move_pages", "moved", "migrate_pages", "failed-moves" },
	[W_PIN]     = { "vmsplice", "io_uring", "pinned-pages" },
	[W_COMPACT] = { "compact_memory", "node-compact", "proactiveness", "thp-knobs",
			"slowest-ms" },
	[W_KALLOC]  = { "dgrams", "pipe-resizes", "queue-full" },
	[W_CMA]     = { "alloc-ok", "alloc-retry", "frees", "pages" },
	[W_HOTPLUG] = { "online", "offline", "offline-retry", "blocks", "slowest-ms",
			"offline-ms" },
	[W_FRAG]    = { "MiB-walked", "layouts", "thp-faults", "huge" },
};

static struct wstats *stats;
static uint64_t seed = 1;
static int seconds = 180;
static time_t deadline;
static unsigned long long dimm_addr, dimm_bytes;
static int nr_nodes = 1;		/* online nodes: nodeN/compact */
static unsigned long mem_node_mask = 1;		/* nodes with memory */
static int nr_mem_nodes = 1;			/* its weight */
static long free_kb_start;
static enum worker_kind me;
static bool fault_mode;
static bool only[NR_WORKERS], only_some;

#define FAIL_DIR	"/sys/kernel/debug/fail_page_alloc"
#define FAIL_TIMES	1000000000L	/* "times" counts down: what was used */

/* === Small helpers === */

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state += 0x9e3779b97f4a7c15ULL;
	return mix64(rng_state);
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static bool time_left(void)
{
	return time(NULL) < deadline;
}

/*
 * Under -F, from here on this process's page allocations may fail
 * (fail_page_alloc's task-filter); its children inherit it.  Called by each
 * worker once its memory is set up.
 */
static void arm_faults(void)
{
	int fd;

	if (!fault_mode)
		return;
	fd = open("/proc/self/make-it-fail", O_WRONLY);
	if (fd < 0 || write(fd, "1", 1) != 1)
		printf("# cannot write /proc/self/make-it-fail: %s\n", strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* a node with memory, picked at random */
static int any_mem_node(void)
{
	uint64_t skip = rnd_below(nr_mem_nodes);
	int node = 0;

	for (;; node++)
		if ((mem_node_mask >> node & 1) && skip-- == 0)
			return node;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* milliseconds of CLOCK_MONOTONIC since @t0 */
static long ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * An error a worker must not meet: printed, counted, and the run fails.
 * Under -F an allocation failure is what we asked for: counted as retried.
 */
static void fail(const char *fmt, ...)
{
	va_list ap;

	if (fault_mode && (errno == ENOMEM || errno == EAGAIN || errno == ENOBUFS)) {
		stats[me].retried++;
		return;
	}
	stats[me].errors++;
	if (stats[me].errors > 20)
		return;
	printf("# %s: error: ", worker_name[me]);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

static int read_str(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}

static long read_long(const char *path)
{
	char buf[64];

	return read_str(path, buf, sizeof(buf)) ? -1 : strtol(buf, NULL, 0);
}

/* A field of /proc/vmstat or /proc/meminfo ("MemFree:"), or -1. */
static long stat_field(const char *file, const char *key)
{
	char line[256];
	size_t len = strlen(key);
	long val = -1;
	FILE *f = fopen(file, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, len) && line[len] == ' ') {
			val = strtol(line + len, NULL, 10);
			break;
		}
	fclose(f);
	return val;
}

static long vmstat(const char *key)
{
	return stat_field("/proc/vmstat", key);
}

/* === Patterns === */

/**
 * fill_page() - write generation @gen's pattern of page @page of @tag
 * @p:		the page
 * @tag:	which region (worker and region number)
 * @page:	page index within the region
 * @gen:	generation, > 0 (0 means the page must read as zeros)
 */
static void fill_page(void *p, uint64_t tag, uint64_t page, uint32_t gen)
{
	uint64_t *w = p, base = mix64(seed ^ tag << 48 ^ page << 16 ^ gen);
	size_t i;

	for (i = 0; i < WORDS; i++)
		w[i] = base + i * 0x9e3779b97f4a7c15ULL;
}

/*
 * check_page() - compare a page with what it must hold; count and report.
 * Return: the number of words that differ.
 */
static uint64_t check_page(const void *p, uint64_t tag, uint64_t page, uint32_t gen,
			   const char *what)
{
	const uint64_t *w = p;
	uint64_t base = gen ? mix64(seed ^ tag << 48 ^ page << 16 ^ gen) : 0;
	uint64_t step = gen ? 0x9e3779b97f4a7c15ULL : 0, bad = 0;
	size_t i;

	for (i = 0; i < WORDS; i++) {
		uint64_t want = base + i * step;

		if (w[i] == want)
			continue;
		if (!bad && stats[me].mismatch < MAX_SHOWN)
			printf("# %s: MISMATCH in %s page %" PRIu64 " (gen %u) word %zu:"
			       " want %016" PRIx64 " got %016" PRIx64 "\n", worker_name[me],
			       what, page, gen, i, want, w[i]);
		bad++;
	}
	stats[me].bytes += PAGE;
	stats[me].mismatch += bad;
	return bad;
}

/* === Chunked regions: anonymous, mlocked, shmem, file, THP === */

/**
 * struct region - pages in 2 MiB chunks, each mapped on its own
 * @chunk:	each chunk's address (chunks move with mremap)
 * @gen:	each page's generation (0: must read as zeros)
 * @nchunks:	chunks in the region
 * @fd:		backing file for shared regions, else -1
 * @tag:	pattern tag
 * @flags:	mmap flags
 */
struct region {
	char **chunk;
	uint32_t *gen;
	size_t nchunks;
	int fd;
	uint64_t tag;
	int flags;
	const char *what;
};

static char *map_chunk(struct region *r, size_t c)
{
	char *p;

	if (r->fd >= 0)
		return mmap(NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, c * CHUNK);
	/* 2 MiB-aligned, so that a THP can back it */
	p = mmap(NULL, 2 * CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return p;
	{
		char *a = (char *)(((uintptr_t)p + CHUNK - 1) & ~(CHUNK - 1));

		if (a > p)
			munmap(p, a - p);
		munmap(a + CHUNK, p + CHUNK - a);
		p = a;
	}
	if (r->flags & R_LOCKED)
		mlock(p, CHUNK);
	return p;
}

static int region_init(struct region *r, size_t bytes, int fd, uint64_t tag, int flags,
		       const char *what)
{
	size_t c;

	r->nchunks = bytes / CHUNK ? bytes / CHUNK : 1;
	r->chunk = calloc(r->nchunks, sizeof(*r->chunk));
	r->gen = calloc(r->nchunks * CHUNK_PAGES, sizeof(*r->gen));
	r->fd = fd;
	r->tag = tag;
	r->flags = flags;
	r->what = what;
	if (!r->chunk || !r->gen)
		return -1;
	if (fd >= 0 && ftruncate(fd, r->nchunks * CHUNK))
		return -1;
	for (c = 0; c < r->nchunks; c++) {
		r->chunk[c] = map_chunk(r, c);
		if (r->chunk[c] == MAP_FAILED)
			return -1;
		if (flags & R_THP)
			madvise(r->chunk[c], CHUNK, MADV_HUGEPAGE);
	}
	return 0;
}

static char *page_addr(struct region *r, size_t i)
{
	return r->chunk[i / CHUNK_PAGES] + (i % CHUNK_PAGES) * PAGE;
}

/* Page @i of @r's next generation (never 0, which means zeros). */
static uint32_t next_gen(struct region *r, size_t i)
{
	r->gen[i]++;
	if (!r->gen[i])
		r->gen[i] = 1;
	return r->gen[i];
}

static void rewrite(struct region *r, size_t i)
{
	fill_page(page_addr(r, i), r->tag, i, next_gen(r, i));
}

/*
 * Write every page of chunks [@first, @end) of @r.  A shared region is
 * written with pwrite(2), a chunk a call, so that the page cache is also
 * filled by write(2) (the sweeps then read it through the mapping, and
 * the rewrites write it there).
 */
static void rewrite_chunks(struct region *r, size_t first, size_t end)
{
	static char *buf;
	size_t c, j;

	if (r->fd >= 0 && !buf)
		buf = aligned_alloc(PAGE, CHUNK);
	for (c = first; c < end; c++) {
		if (r->fd < 0 || !buf) {
			for (j = 0; j < CHUNK_PAGES; j++)
				rewrite(r, c * CHUNK_PAGES + j);
			continue;
		}
		for (j = 0; j < CHUNK_PAGES; j++)
			fill_page(buf + j * PAGE, r->tag, c * CHUNK_PAGES + j,
				  next_gen(r, c * CHUNK_PAGES + j));
		if (pwrite(r->fd, buf, CHUNK, c * CHUNK) != (ssize_t)CHUNK)
			fail("%s: pwrite of chunk %zu: %s", r->what, c, strerror(errno));
	}
}

static void rewrite_all(struct region *r)
{
	rewrite_chunks(r, 0, r->nchunks);
}

/*
 * Check every page of @r.  A worker that went more than 20 s without a
 * sweep says so, with how long (a hint when it made few rounds).
 */
static void sweep(struct region *r)
{
	static time_t last;
	time_t now = time(NULL);
	size_t i;

	if (last && now - last > 20)
		printf("# %s: %ld s since the last sweep\n", worker_name[me], (long)(now - last));
	for (i = 0; i < r->nchunks * CHUNK_PAGES; i++)
		check_page(page_addr(r, i), r->tag, i, r->gen[i], r->what);
	last = time(NULL);
}

/* Rewrite about one page in @one_in, at random. */
static uint64_t rewrite_some(struct region *r, unsigned int one_in)
{
	size_t i, n = r->nchunks * CHUNK_PAGES;
	uint64_t done = 0;

	for (i = rnd_below(one_in); i < n; i += 1 + rnd_below(2 * one_in)) {
		rewrite(r, i);
		done++;
	}
	return done;
}

/*
 * Drop every page of @r but one in @n (the first of each @n in a chunk):
 * the dropped ones must read as zeros after.  @n divides CHUNK_PAGES.
 */
static void keep_one_in(struct region *r, size_t n)
{
	size_t c, i;

	for (c = 0; c < r->nchunks; c++)
		for (i = 1; i < CHUNK_PAGES; i += n) {
			madvise(r->chunk[c] + i * PAGE, (n - 1) * PAGE, MADV_DONTNEED);
			memset(&r->gen[c * CHUNK_PAGES + i], 0, (n - 1) * sizeof(*r->gen));
		}
}

/* Drop a random range of a private chunk: it must read as zeros after. */
static void dontneed_some(struct region *r)
{
	size_t c = rnd_below(r->nchunks), first = rnd_below(CHUNK_PAGES);
	size_t len = 1 + rnd_below(CHUNK_PAGES - first), i;

	if (madvise(r->chunk[c] + first * PAGE, len * PAGE, MADV_DONTNEED)) {
		fail("madvise(DONTNEED): %s", strerror(errno));
		return;
	}
	for (i = 0; i < len; i++)
		r->gen[c * CHUNK_PAGES + first + i] = 0;
}

/* Unmap a chunk and map it again: private memory comes back as zeros. */
static void remap_chunk(struct region *r)
{
	size_t c = rnd_below(r->nchunks);
	int tries = 0;

	munmap(r->chunk[c], CHUNK);
	while ((r->chunk[c] = map_chunk(r, c)) == MAP_FAILED) {
		fail("mmap: %s", strerror(errno));
		if (!fault_mode || ++tries == 1000)
			exit(1);
		sleep_ms(10);
	}
	if (r->flags & R_THP)
		madvise(r->chunk[c], CHUNK, MADV_HUGEPAGE);
	if (r->fd < 0)
		memset(&r->gen[c * CHUNK_PAGES], 0, CHUNK_PAGES * sizeof(*r->gen));
}

/* Move a chunk to a new address with mremap: the contents go with it. */
static void mremap_chunk(struct region *r)
{
	size_t c = rnd_below(r->nchunks);
	char *to, *p;

	/* a 2 MiB-aligned destination, so that a THP moves as a PMD */
	to = mmap(NULL, 2 * CHUNK, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (to == MAP_FAILED) {
		fail("mmap: %s", strerror(errno));
		return;
	}
	p = (char *)(((uintptr_t)to + CHUNK - 1) & ~(CHUNK - 1));
	p = mremap(r->chunk[c], CHUNK, CHUNK, MREMAP_MAYMOVE | MREMAP_FIXED, p);
	if (p == MAP_FAILED) {
		fail("mremap: %s", strerror(errno));
		munmap(to, 2 * CHUNK);
		return;
	}
	if (p > to)
		munmap(to, p - to);
	munmap(p + CHUNK, to + CHUNK - p);
	r->chunk[c] = p;
}

/* === The data workers === */

static void run_anon(size_t bytes)
{
	struct region r;
	struct wstats *s = &stats[me];
#ifdef BREAK_FLIP_BYTE
	bool flipped = false;
#endif

	if (region_init(&r, bytes, -1, me, 0, "anon")) {
		fail("no memory for %zu bytes", bytes);
		return;
	}
	rewrite_all(&r);
	arm_faults();
	while (time_left()) {
		switch (rnd_below(8)) {
		case 0:
			dontneed_some(&r);
			s->ops[1]++;
			break;
		case 1:
			remap_chunk(&r);
			s->ops[2]++;
			break;
		case 2:
			mremap_chunk(&r);
			s->ops[3]++;
			break;
		default:
			s->ops[0] += rewrite_some(&r, 16);
		}
#ifdef BREAK_FLIP_BYTE
		if (!flipped && s->rounds == 3 && r.gen[5]) {
			page_addr(&r, 5)[100] ^= 0x40;
			flipped = true;
		}
#endif
		sweep(&r);
		s->rounds++;
	}
	sweep(&r);
}

static void run_mlock(size_t bytes)
{
	struct region r;
	struct wstats *s = &stats[me];

	if (region_init(&r, bytes, -1, me, R_LOCKED, "mlock")) {
		fail("no memory for %zu bytes", bytes);
		return;
	}
	rewrite_all(&r);
	arm_faults();
	while (time_left()) {
		s->ops[0] += rewrite_some(&r, 32);
		sweep(&r);
		s->rounds++;
	}
	sweep(&r);
}

/*
 * Fill @r, a chunk at a time, for a third of the time left at most (10 s
 * at least); the chunks not filled by then are dropped.  On the KCSAN
 * kernel with 4 vCPUs under the whole load, the shmem worker's 150 MiB
 * took 150 s and more of a 180 s phase (0 to 2 rounds, through the
 * mapping or with pwrite(2) alike; 819 rounds beside the compactor alone):
 * every worker is slow there, and a worker must make rounds.
 */
static void fill_bounded(struct region *r)
{
	time_t t0 = time(NULL), left = deadline - t0;
	time_t end = t0 + (left / 3 > 10 ? left / 3 : 10);
	size_t c, n = r->nchunks;

	for (c = 0; c < n && (c == 0 || time(NULL) < end); c++)
		rewrite_chunks(r, c, c + 1);
	if (c == n)
		return;
	printf("# %s: %zu of %zu MiB filled in %ld s, the rest dropped\n",
	       worker_name[me], c * (CHUNK >> 20), n * (CHUNK >> 20),
	       (long)(time(NULL) - t0));
	for (; n > c; n--)
		munmap(r->chunk[n - 1], CHUNK);
	r->nchunks = c;
	if (r->fd >= 0 && ftruncate(r->fd, c * CHUNK))
		fail("%s: ftruncate: %s", r->what, strerror(errno));
}

static void run_shmem(size_t bytes)
{
	struct region r;
	struct wstats *s = &stats[me];
	int fd = memfd_create("stress-shmem", 0);

	if (fd < 0 || region_init(&r, bytes, fd, me, 0, "shmem")) {
		fail("memfd of %zu bytes: %s", bytes, strerror(errno));
		return;
	}
	fill_bounded(&r);
	arm_faults();
	while (time_left()) {
		switch (rnd_below(6)) {
		case 0: {
			/* punch a hole: those pages read as zeros after */
			size_t first = rnd_below(r.nchunks * CHUNK_PAGES), len = 1 + rnd_below(64), i;

			if (first + len > r.nchunks * CHUNK_PAGES)
				len = r.nchunks * CHUNK_PAGES - first;
			if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				      first * PAGE, len * PAGE))
				fail("punch hole: %s", strerror(errno));
			for (i = 0; i < len; i++)
				r.gen[first + i] = 0;
			s->ops[1]++;
			break;
		}
		case 1:
			remap_chunk(&r);
			s->ops[2]++;
			break;
		default:
			s->ops[0] += rewrite_some(&r, 16);
		}
		sweep(&r);
		s->rounds++;
	}
	sweep(&r);
}

/*
 * The file worker: a file on ext2 on /dev/ram0, mapped shared.  Pages are
 * dirtied through the mapping, written back by fsync, read with pread, and
 * now and then the clean cache is dropped so that pages come back from
 * the disk.
 */
static void run_file(void)
{
	struct region r;
	struct wstats *s = &stats[me];
	size_t bytes = 24UL << 20, i;
	char *buf = aligned_alloc(PAGE, PAGE);
	int fd;

	fd = open("/mnt/stress/file", O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || region_init(&r, bytes, fd, me, 0, "file")) {
		fail("file on ext2 of %zu bytes: %s", bytes, strerror(errno));
		return;
	}
	rewrite_all(&r);
	arm_faults();
	while (time_left()) {
		switch (rnd_below(6)) {
		case 0:
			if (fsync(fd))
				fail("fsync: %s", strerror(errno));
			s->ops[1]++;
			break;
		case 1:
			/* written back first: only clean pages are dropped */
			if (fsync(fd) || write_str("/proc/sys/vm/drop_caches", "1"))
				fail("fsync + drop_caches: %s", strerror(errno));
			s->ops[2]++;
			break;
		case 2:
			for (i = rnd_below(64); i < r.nchunks * CHUNK_PAGES; i += 64) {
				if (pread(fd, buf, PAGE, i * PAGE) != (ssize_t)PAGE) {
					fail("pread: %s", strerror(errno));
					break;
				}
				check_page(buf, r.tag, i, r.gen[i], "file (pread)");
				s->ops[3]++;
			}
			break;
		default:
			s->ops[0] += rewrite_some(&r, 16);
		}
		sweep(&r);
		s->rounds++;
	}
	sweep(&r);
	fsync(fd);
}

static bool page_is_thp(void *addr)
{
	static int pm = -2, kf = -2;
	uint64_t ent, flags;

	if (pm == -2) {
		pm = open("/proc/self/pagemap", O_RDONLY);
		kf = open("/proc/kpageflags", O_RDONLY);
	}
	if (pm < 0 || kf < 0)
		return false;
	if (pread(pm, &ent, 8, (uintptr_t)addr / PAGE * 8) != 8 || !(ent >> 63))
		return false;
	ent &= (1ULL << 55) - 1;
	if (pread(kf, &flags, 8, ent * 8) != 8)
		return false;
	return flags >> 22 & 1;	/* KPF_THP */
}

static void run_thp(size_t bytes)
{
	struct region r;
	struct wstats *s = &stats[me];
	size_t c;

	if (region_init(&r, bytes, -1, me, R_THP, "thp")) {
		fail("no memory for %zu bytes", bytes);
		return;
	}
	arm_faults();
	while (time_left()) {
		/* fault every chunk that is not there (a THP fault per chunk) */
		for (c = 0; c < r.nchunks; c++) {
			size_t i;

			if (r.gen[c * CHUNK_PAGES])
				continue;
			for (i = 0; i < CHUNK_PAGES; i++)
				rewrite(&r, c * CHUNK_PAGES + i);
			s->ops[0]++;
			s->ops[1] += page_is_thp(r.chunk[c]);
		}
		sweep(&r);
		switch (rnd_below(3)) {
		case 0:
			remap_chunk(&r);
			s->ops[2]++;
			break;
		case 1:
			mremap_chunk(&r);
			s->ops[3]++;
			break;
		}
		s->rounds++;
	}
	sweep(&r);
}

/* fork a child that checks its copy, writes half of it and exits */
static void run_fork(size_t bytes)
{
	struct region r;
	struct wstats *s = &stats[me];

	if (region_init(&r, bytes, -1, me, 0, "fork")) {
		fail("no memory for %zu bytes", bytes);
		return;
	}
	rewrite_all(&r);
	arm_faults();
	while (time_left()) {
		pid_t pid = fork();
		int status;

		if (pid < 0) {
			fail("fork: %s", strerror(errno));
			sleep_ms(100);
			continue;
		}
		if (!pid) {
			uint64_t before = s->mismatch;
			size_t i;

			/* the child's checks add to the same counters */
			sweep(&r);
			for (i = 0; i < r.nchunks * CHUNK_PAGES; i += 2)
				rewrite(&r, i);
			sweep(&r);
			_exit(s->mismatch != before);
		}
		s->ops[0]++;
		s->ops[1] += waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
			     !WEXITSTATUS(status);
		/* the parent's copy is untouched by the child's writes */
		sweep(&r);
		rewrite_some(&r, 8);
		s->rounds++;
	}
	sweep(&r);
}

static long sys_move_pages(pid_t pid, unsigned long n, void **pages, const int *nodes,
			   int *status, int flags)
{
	return syscall(SYS_move_pages, pid, n, pages, nodes, status, flags);
}

static long sys_migrate_pages(pid_t pid, unsigned long maxnode, const unsigned long *from,
			      const unsigned long *to)
{
	return syscall(SYS_migrate_pages, pid, maxnode, from, to);
}

static void run_migrate(size_t bytes)
{
	struct region r;
	struct wstats *s = &stats[me];
	enum { BATCH = 256 };
	void *pages[BATCH];
	int nodes[BATCH], status[BATCH];

	if (region_init(&r, bytes, -1, me, 0, "migrate")) {
		fail("no memory for %zu bytes", bytes);
		return;
	}
	rewrite_all(&r);
	arm_faults();
	while (time_left()) {
		size_t first = rnd_below(r.nchunks * CHUNK_PAGES - BATCH), i;
		int to = any_mem_node();

		for (i = 0; i < BATCH; i++) {
			pages[i] = page_addr(&r, first + i);
			nodes[i] = to;
			status[i] = -1;
		}
		if (sys_move_pages(0, BATCH, pages, nodes, status, MPOL_MF_MOVE))
			s->ops[3]++;	/* some pages not moved: allowed, counted */
		s->ops[0]++;
		for (i = 0; i < BATCH; i++)
			s->ops[1] += status[i] == to;
		if (nr_mem_nodes > 1 && !rnd_below(4)) {
			unsigned long from = mem_node_mask;
			unsigned long dest = 1UL << any_mem_node();
			pid_t pid = rnd_below(2) ? stats[W_ANON].pid : 0;

			/*
			 * ENOMEM: no page on the target node (frag may have
			 * taken them): allowed, counted with the failed moves
			 */
			if (sys_migrate_pages(pid, sizeof(from) * 8, &from, &dest) < 0) {
				if (errno == ENOMEM)
					s->ops[3]++;
				else
					fail("migrate_pages(%d): %s", pid, strerror(errno));
			}
			s->ops[2]++;
		}
		rewrite_some(&r, 32);
		sweep(&r);
		s->rounds++;
	}
	sweep(&r);
}

static int io_uring_setup(unsigned int entries, struct io_uring_params *p)
{
	return syscall(__NR_io_uring_setup, entries, p);
}

static int io_uring_register(int fd, unsigned int op, void *arg, unsigned int n)
{
	return syscall(__NR_io_uring_register, fd, op, arg, n);
}

/*
 * Pins: a chunk spliced into a pipe (the pipe holds references to the
 * pages) or registered as io_uring fixed buffers (FOLL_LONGTERM: the
 * pages are first moved out of ZONE_MOVABLE and CMA, then pinned), held,
 * then read back through the pipe and checked in place.
 */
static void run_pin(size_t bytes)
{
	struct region r;
	struct wstats *s = &stats[me];
	char *buf = aligned_alloc(PAGE, CHUNK);
	bool uring = true;
	int pfd[2];

	if (!buf || region_init(&r, bytes, -1, me, 0, "pin") || pipe(pfd)) {
		fail("no memory for %zu bytes", bytes);
		return;
	}
	/*
	 * Fault the buffer in now: under -F a fault taken inside read(2)
	 * may fail, and read(2) then stops short with EFAULT
	 */
	memset(buf, 0, CHUNK);
	if (fcntl(pfd[1], F_SETPIPE_SZ, (int)CHUNK) < 0)
		fail("F_SETPIPE_SZ 2 MiB: %s", strerror(errno));
	rewrite_all(&r);
	arm_faults();
	while (time_left()) {
		size_t c = rnd_below(r.nchunks), i;

		if (rnd_below(2) || !uring) {
			struct iovec iov = { r.chunk[c], CHUNK };
			ssize_t n = vmsplice(pfd[1], &iov, 1, 0), got = 0;

			if (n < 0) {
				fail("vmsplice: %s", strerror(errno));
				continue;
			}
			sleep_ms(200 + rnd_below(800));
			while (got < n) {
				ssize_t k = read(pfd[0], buf + got, n - got);

				if (k <= 0) {
					fail("read from the pipe: %zd of %zd bytes: %s", got, n,
					     strerror(errno));
					break;
				}
				got += k;
			}
			if (got < n) {
				/* what is left would be taken for the next chunk */
				fcntl(pfd[0], F_SETFL, O_NONBLOCK);
				while (read(pfd[0], buf, CHUNK) > 0)
					;
				fcntl(pfd[0], F_SETFL, 0);
			}
			for (i = 0; i < (size_t)got / PAGE; i++)
				check_page(buf + i * PAGE, r.tag, c * CHUNK_PAGES + i,
					   r.gen[c * CHUNK_PAGES + i], "pin (through the pipe)");
			s->ops[0]++;
			s->ops[2] += n / PAGE;
		} else {
			struct io_uring_params p = { 0 };
			struct iovec iov = { r.chunk[c], CHUNK };
			int fd = io_uring_setup(4, &p);

			if (fd < 0 && errno == ENOSYS) {
				/* the test kernel (the 64 MiB guest) has no io_uring */
				printf("# pin: no io_uring in this kernel: vmsplice only\n");
				uring = false;
				continue;
			}
			if (fd < 0) {
				fail("io_uring_setup: %s", strerror(errno));
				sleep_ms(500);
				continue;
			}
			if (io_uring_register(fd, IORING_REGISTER_BUFFERS, &iov, 1))
				fail("IORING_REGISTER_BUFFERS: %s", strerror(errno));
			else
				s->ops[2] += CHUNK_PAGES;
			sleep_ms(200 + rnd_below(800));
			io_uring_register(fd, IORING_UNREGISTER_BUFFERS, NULL, 0);
			close(fd);
			s->ops[1]++;
		}
		sweep(&r);
		rewrite_some(&r, 16);
		s->rounds++;
	}
	sweep(&r);
}

/**
 * struct zone_view - one populated zone as /proc/zoneinfo shows it, in pages.
 * @node:      its node.
 * @start_pfn: its first frame.
 * @spanned:   how many frames it spans, holes included.
 * @free:      free pages in the buddy allocator ("pages free"), those in
 *             CMA pageblocks included.
 * @cma_free:  of those, the ones in CMA pageblocks (nr_free_cma).
 * @pcp:       pages on the per-CPU lists (every pageset's "count:"): free,
 *             but only to the CPU that holds them, and not in MemFree.
 * @min:       the min watermark, the watermark boost included (zoneinfo
 *             prints min_wmark_pages()): below it only the allocator's
 *             reserves are left.
 * @boost:     the watermark boost.
 * @managed:   the pages the buddy allocator manages ("managed").
 */
struct zone_view {
	int node;
	long start_pfn, spanned, free, cma_free, pcp, min, boost, managed;
};

#define MAX_ZONES	64

/*
 * Every populated zone of /proc/zoneinfo, at most MAX_ZONES, into @zv.
 * A zone's block begins "Node N, zone NAME"; only a populated zone's ends
 * with "start_pfn:", which is where it is taken.  Return: how many.
 */
static int read_zones(struct zone_view *zv)
{
	struct zone_view z = { 0 };
	char line[256];
	int n = 0;
	long v;
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		return 0;
	while (n < MAX_ZONES && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Node %d, zone", &z.node) == 1) {
			z = (struct zone_view){ .node = z.node };
		} else if (sscanf(line, " pages free %ld", &v) == 1) {
			z.free = v;
		} else if (sscanf(line, " boost %ld", &v) == 1) {
			z.boost = v;
		} else if (sscanf(line, " min %ld", &v) == 1) {
			z.min = v;
		} else if (sscanf(line, " spanned %ld", &v) == 1) {
			z.spanned = v;
		} else if (sscanf(line, " managed %ld", &v) == 1) {
			z.managed = v;
		} else if (sscanf(line, " nr_free_cma %ld", &v) == 1) {
			z.cma_free = v;
		} else if (sscanf(line, " count: %ld", &v) == 1) {
			z.pcp += v;
		} else if (sscanf(line, " start_pfn: %ld", &v) == 1) {
			z.start_pfn = v;
			zv[n++] = z;
		}
	}
	fclose(f);
	return n;
}

/*
 * Free memory as the workers see it, sampled once a second while they run:
 * the buddy allocator's free pages, the pages on the per-CPU lists (free,
 * but only to the CPU that holds them), the min watermark and the
 * watermark boost (included in the min).  Summed over the populated
 * zones.  A small guest that runs out of memory does so with free pages on
 * the per-CPU lists; this shows how close each kernel runs to that, not
 * only when it kills.
 */
struct mem_sample {
	long free, pcp, min, boost, managed;
};

static struct mem_sample mem_sample(void)
{
	struct mem_sample s = { 0 };
	struct zone_view zv[MAX_ZONES];
	int i, n = read_zones(zv);

	for (i = 0; i < n; i++) {
		s.free += zv[i].free;
		s.pcp += zv[i].pcp;
		s.min += zv[i].min;
		s.boost += zv[i].boost;
		s.managed += zv[i].managed;
	}
	return s;
}

/* Free memory in kB, the per-CPU lists' pages counted: what MemFree misses */
static long free_with_pcp_kb(void)
{
	struct mem_sample s = mem_sample();

	return (s.free + s.pcp) * (long)(PAGE / 1024);
}

/* Free 2 MiB blocks in /proc/buddyinfo (an order-10 block counts two). */
static long free_blocks(void)
{
	char line[512];
	long n = 0;
	FILE *f = fopen("/proc/buddyinfo", "r");

	while (f && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "zone");
		long c[11] = { 0 };

		if (!p || sscanf(p, "zone %*s %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld",
				 &c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6], &c[7],
				 &c[8], &c[9], &c[10]) != 11)
			continue;
		n += c[9] + 2 * c[10];
	}
	if (f)
		fclose(f);
	return n;
}

/*
 * frag: free memory filled in 4 KiB pages (frag_fill_chunk()) until MemFree is down to an
 * eighth of MemTotal (a quarter below 256 MiB: on the 64 MiB guest an
 * eighth left the other workers too little), then 7 of every 8 pages dropped: what is left free
 * is in holes no 2 MiB allocation can use without compaction.  Then THPs
 * (MADV_HUGEPAGE) are faulted until the whole blocks still free would be
 * used up twice over (and 16 more), so that the last ones compact
 * directly (or, with defrag=defer, wake kswapd and kcompactd).  The kept pages are checked
 * while the layout is held (~5 s), then all of it goes.
 */
#define SPLIT_THP	"/sys/kernel/debug/split_huge_pages"

/*
 * Fault in the 2 MiB chunk at @p for frag's fill, as 4 KiB pages.  Page by
 * page (a fault each and a pattern in all of them) the fill walked 56 to 96
 * MiB in its time on the KCSAN kernel, and memory was never fragmented:
 * no direct compaction in the phase.  So, with @split (debugfs'
 * split_huge_pages is there), the chunk is faulted as a THP (one fault,
 * and direct compaction once free blocks run out) and split into its 512
 * pages; otherwise all 512 are faulted in by one MADV_POPULATE_WRITE.
 * Either way the pages are zero until run_frag() writes the ones it keeps.
 */
static void frag_fill_chunk(char *p, bool split)
{
	char cmd[96];
	int err;

	madvise(p, CHUNK, split ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	if (madvise(p, CHUNK, MADV_POPULATE_WRITE))
		memset(p, 0, CHUNK);
	if (!split)
		return;
	/* no collapse back into a THP (khugepaged) once it is split */
	madvise(p, CHUNK, MADV_NOHUGEPAGE);
	snprintf(cmd, sizeof(cmd), "%d,0x%lx,0x%lx", (int)getpid(), (unsigned long)p,
		 (unsigned long)p + CHUNK);
	err = write_str(SPLIT_THP, cmd);
	if (err)
		fail("%s: %s", SPLIT_THP, strerror(-err));
}

/*
 * Room frag leaves above its floor for the watermark boosts of the
 * allocations that fall back into another migratetype's pageblock: each
 * raises the zone's watermarks by a pageblock (2 MiB) until kswapd has run.
 * With no swap and no file pages there is nothing to reclaim, and an
 * allocation that finds free memory under the boosted min retries reclaim
 * and calls the oom-killer (traced on the 64 MiB machine, 2026-11-30: min
 * 623 -> 1,135 pages with 951 free, a worker killed 0.46 s later).
 */
#define FRAG_BOOST_ROOM_KB	4096

/*
 * frag's floor of free memory, per-CPU lists counted (free_with_pcp_kb():
 * MemFree does not count them, and how many pages they hold differs from
 * kernel to kernel and from moment to moment): an eighth of MemTotal, a
 * quarter below 256 MiB, and FRAG_BOOST_ROOM_KB.
 */
static long frag_floor_kb(void)
{
	long total_kb = stat_field("/proc/meminfo", "MemTotal:");

	return (total_kb < 262144 ? total_kb / 4 : total_kb / 8) + FRAG_BOOST_ROOM_KB;
}

static void run_frag(void)
{
	struct wstats *s = &stats[me];
	long floor_kb = frag_floor_kb();
	size_t max = free_kb_start / 2048 + 1, n, c, i, nthp;
	struct region r;
	char **thp = calloc(max, sizeof(*thp));
	bool split;
	int k;

	if (region_init(&r, CHUNK, -1, me, 0, "frag")) {
		fail("no memory");
		return;
	}
	munmap(r.chunk[0], CHUNK);
	r.chunk = realloc(r.chunk, max * sizeof(*r.chunk));
	r.gen = realloc(r.gen, max * CHUNK_PAGES * sizeof(*r.gen));
	if (!r.chunk || !r.gen) {
		fail("no memory");
		return;
	}
	/*
	 * Ahead of the other workers for the CPU: on the KCSAN kernel (4
	 * vCPUs over 2 host cores) frag's fill, at the share of one worker
	 * in 13, walked 92 to 122 MiB in its time whether its chunks came
	 * page by page or as THPs split after, memory was never fragmented
	 * and no fault compacted directly.
	 */
	if (setpriority(PRIO_PROCESS, 0, -10))
		fail("setpriority: %s", strerror(errno));
	split = !access(SPLIT_THP, W_OK);
	arm_faults();
	while (time_left()) {
		/*
		 * The fill gets a third of the time left (10 s at least): on
		 * the debug and KCSAN kernels, beside the other workers, an
		 * unbounded one took the whole 180 s phase, no THP fault came,
		 * and with them went the phase's only sure direct compaction.
		 */
		time_t left = deadline - time(NULL), fill_end;

		fill_end = time(NULL) + (left / 3 > 10 ? left / 3 : 10);
		for (n = 0; n < max && time_left() && time(NULL) < fill_end; n++) {
			if (free_with_pcp_kb() < floor_kb)
				break;
			r.chunk[n] = map_chunk(&r, n);
			if (r.chunk[n] == MAP_FAILED) {
				fail("mmap: %s", strerror(errno));
				break;
			}
			frag_fill_chunk(r.chunk[n], split);
			for (i = 0; i < CHUNK_PAGES; i++) {
				r.gen[n * CHUNK_PAGES + i] = 0;
				if (i % 8 == 0)
					rewrite(&r, n * CHUNK_PAGES + i);
			}
		}
		r.nchunks = n;
		keep_one_in(&r, 8);
		s->ops[0] += 2 * n;
		s->ops[1]++;
		/*
		 * THPs for twice the whole blocks left, and 16 more, while free
		 * memory stays above the floor: once the fill was bounded in
		 * time (above), these came on the KCSAN kernel under -F's
		 * faults, and the oom-killer took frag
		 */
		nthp = free_blocks() * 2 + 16;
		for (c = 0; c < nthp && c < max && time_left() &&
		     free_with_pcp_kb() > floor_kb; c++) {
			thp[c] = map_chunk(&r, 0);
			if (thp[c] == MAP_FAILED)
				break;
			madvise(thp[c], CHUNK, MADV_HUGEPAGE);
			thp[c][0] = 1;
			s->ops[2]++;
			s->ops[3] += page_is_thp(thp[c]);
		}
		nthp = c;
		for (k = 0; k < 5 && time_left(); k++) {
			sweep(&r);
			sleep_ms(1000);
		}
		sweep(&r);
		for (c = 0; c < n; c++)
			munmap(r.chunk[c], CHUNK);
		for (c = 0; c < nthp; c++)
			munmap(thp[c], CHUNK);
		r.nchunks = 0;
		s->rounds++;
		sleep_ms(500 + rnd_below(1500));
	}
}

/* === The kernel-side workers === */

static int node_count(void)
{
	char path[64];
	int n = 0;

	for (;;) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d", n);
		if (access(path, F_OK))
			return n ? n : 1;
		n++;
	}
}

/*
 * The nodes with memory, from has_memory ("0", "0-1", "0,2"): the targets
 * of move_pages(2) and migrate_pages(2), which refuse a node without
 * memory (ENODEV, EINVAL).  A node without memory still has its
 * nodeN/compact, which the compact worker writes.  Without the file (no
 * NUMA): node 0 alone.
 */
static void memory_nodes(void)
{
	char buf[256], *p;
	long a, b;

	mem_node_mask = 0;
	if (read_str("/sys/devices/system/node/has_memory", buf, sizeof(buf)))
		buf[0] = '\0';
	for (p = buf; *p >= '0' && *p <= '9';) {
		a = strtol(p, &p, 10);
		b = *p == '-' ? strtol(p + 1, &p, 10) : a;
		for (; a <= b && a < 64; a++)
			mem_node_mask |= 1UL << a;
		if (*p == ',')
			p++;
	}
	if (!mem_node_mask)
		mem_node_mask = 1;
	nr_mem_nodes = __builtin_popcountl(mem_node_mask);
}

static void run_compact(void)
{
	static const char * const pro[] = { "0", "20", "50", "100" };
	static const char * const en[] = { "always", "madvise" };
	static const char * const df[] = { "always", "madvise", "defer+madvise", "defer" };
	struct wstats *s = &stats[me];
	struct timespec t0;
	char path[64];
	uint64_t ms;
	int n;

	arm_faults();
	while (time_left()) {
		/*
		 * Each kind once first: on the KCSAN kernel a manual write
		 * took up to 176 s of a 180 s phase (6 rounds in all), and a
		 * random pick made no nodeN/compact write at all.
		 */
		static const int first[] = { 1, 2, 0, 3 };

		clock_gettime(CLOCK_MONOTONIC, &t0);
		switch (s->rounds < 4 ? first[s->rounds] : (int)rnd_below(4)) {
		case 0:
			if (write_str("/proc/sys/vm/compact_memory", "1"))
				fail("compact_memory: %s", strerror(errno));
			s->ops[0]++;
			break;
		case 1:
			n = rnd_below(nr_nodes);
			snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/compact", n);
			if (write_str(path, "1"))
				fail("%s: %s", path, strerror(errno));
			s->ops[1]++;
			break;
		case 2:
			/*
			 * Off for 0.1-0.3 s, then on again at 20, 50 or 100
			 * (kcompactd acts on a raise at once): a "0" left
			 * standing switched kcompactd's proactive rounds off
			 * for the rest of a KCSAN phase, the next manual write
			 * taking 176 s, and it never compacted.
			 */
			if (write_str("/proc/sys/vm/compaction_proactiveness", pro[0]))
				fail("compaction_proactiveness: %s", strerror(errno));
			sleep_ms(100 + rnd_below(200));
			if (write_str("/proc/sys/vm/compaction_proactiveness",
				      pro[1 + rnd_below(3)]))
				fail("compaction_proactiveness: %s", strerror(errno));
			s->ops[2]++;
			break;
		case 3:
			if (write_str("/sys/kernel/mm/transparent_hugepage/enabled",
				      en[rnd_below(2)]) ||
			    write_str("/sys/kernel/mm/transparent_hugepage/defrag",
				      df[rnd_below(4)]))
				fail("THP knobs: %s", strerror(errno));
			s->ops[3]++;
			break;
		}
		/* the slowest write: how long a manual run took */
		ms = ms_since(&t0);
		if (ms > s->ops[4])
			s->ops[4] = ms;
		s->rounds++;
		sleep_ms(100 + rnd_below(400));
	}
	write_str("/proc/sys/vm/compaction_proactiveness", "20");
}

static void run_kalloc(void)
{
	struct wstats *s = &stats[me];
	enum { DGRAM = 64 << 10 };
	char *buf = malloc(DGRAM);
	int sv[2], pfd[2];

	if (!buf || socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) || pipe(pfd)) {
		fail("socketpair/pipe: %s", strerror(errno));
		return;
	}
	memset(buf, 0x5a, DGRAM);
	arm_faults();
	while (time_left()) {
		int i;

		/* up to 8 datagrams of 64 KiB queued: order-3 pages for each */
		for (i = 0; i < 8; i++) {
			if (send(sv[0], buf, DGRAM, MSG_DONTWAIT) < 0) {
				if (errno == ENOMEM || errno == ENOBUFS || errno == EAGAIN)
					s->ops[2]++;
				else
					fail("send: %s", strerror(errno));
				break;
			}
			s->ops[0]++;
		}
		while (recv(sv[1], buf, DGRAM, MSG_DONTWAIT) > 0)
			;
		/* a 1 MiB pipe: its buffer array is a high-order kmalloc */
		if (fcntl(pfd[1], F_SETPIPE_SZ, 1 << 20) < 0 && errno != ENOMEM)
			fail("F_SETPIPE_SZ: %s", strerror(errno));
		fcntl(pfd[1], F_SETPIPE_SZ, 4096);
		s->ops[1]++;
		s->rounds++;
		sleep_ms(20);
	}
}

static bool retryable(int err)
{
	return err == ENOMEM || err == EBUSY || err == EAGAIN || err == EINTR;
}

/* The first area under /sys/kernel/debug/cma: its path in @dir. */
static int cma_area(char *dir, size_t size)
{
	DIR *d = opendir("/sys/kernel/debug/cma");
	struct dirent *e;
	int ret = -1;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(dir, size, "/sys/kernel/debug/cma/%s", e->d_name);
			ret = 0;
			break;
		}
	closedir(d);
	return ret;
}

static void run_cma(void)
{
	struct wstats *s = &stats[me];
	char dir[300], path[320], val[32];
	long count;
	int err;

	if (cma_area(dir, sizeof(dir))) {
		fail("no CMA area under /sys/kernel/debug/cma (cma= on the command line?)");
		return;
	}
	snprintf(path, sizeof(path), "%s/count", dir);
	count = read_long(path);
	if (count <= 0) {
		fail("%s: %ld pages", path, count);
		return;
	}
	snprintf(val, sizeof(val), "%ld", count);
	printf("# cma: %s, %ld pages\n", dir, count);
	while (time_left()) {
		/* the whole area; retried until it succeeds (or time is up) */
		snprintf(path, sizeof(path), "%s/alloc", dir);
		err = write_str(path, val);
		if (err) {
			if (!retryable(-err))
				fail("alloc %ld: %s", count, strerror(-err));
			s->ops[1]++;
			s->retried++;
			sleep_ms(50);
			continue;
		}
		s->ops[0]++;
		s->ops[3] += count;
		sleep_ms(50 + rnd_below(200));
		snprintf(path, sizeof(path), "%s/free", dir);
		err = write_str(path, val);
		if (err)
			fail("free %ld: %s", count, strerror(-err));
		s->ops[2]++;
		s->rounds++;
		sleep_ms(rnd_below(300));
	}
	snprintf(path, sizeof(path), "%s/used", dir);
	if (read_long(path) != 0)
		fail("%ld pages of the area still used at the end", read_long(path));
}

/*
 * Memory hotplug: the pc-dimm at @dimm_addr is added block by block
 * through the probe file (it stays offline: 6.12's default policy), then
 * onlined movable and offlined in a loop.  An offline that fails with a
 * retryable error (EBUSY: pages that would not move in time; EINTR: our
 * alarm after 30 s) is retried.  At the end every block is offline again.
 */
static int block_state(unsigned long nr, const char *state)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/devices/system/memory/memory%lu/state", nr);
	return write_str(path, state);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * One offline write, bounded by an alarm after 30 s (the kernel checks for
 * signals between its passes over the block, so a pass may run past it).
 * Its time goes into the slowest-ms and offline-ms counts; one over 10 s
 * is printed.
 */
static int timed_offline(unsigned long nr)
{
	struct wstats *s = &stats[me];
	struct timespec t0;
	uint64_t ms;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	s->busy_since = time(NULL);
	alarm(30);
	err = block_state(nr, "offline");
	alarm(0);
	s->busy_since = 0;
	ms = ms_since(&t0);
	if (ms > s->ops[4])
		s->ops[4] = ms;
	s->ops[5] += ms;
	if (ms > 10000)
		printf("# hotplug: offline memory%lu took %" PRIu64 " ms: %s\n", nr, ms,
		       err ? strerror(-err) : "done");
	return err;
}

static void run_hotplug(void)
{
	struct wstats *s = &stats[me];
	struct sigaction sa = { .sa_handler = on_alarm };
	unsigned long bs, first, nblocks, b;
	char buf[64];
	int err;

	sigaction(SIGALRM, &sa, NULL);
	if (!dimm_bytes) {
		fail("no pc-dimm given (-d ADDR -D BYTES)");
		return;
	}
	if (read_str("/sys/devices/system/memory/block_size_bytes", buf, sizeof(buf))) {
		fail("no /sys/devices/system/memory/block_size_bytes");
		return;
	}
	bs = strtoul(buf, NULL, 16);
	first = dimm_addr / bs;
	nblocks = dimm_bytes / bs;
	s->ops[3] = nblocks;
	for (b = 0; b < nblocks; b++) {
		snprintf(buf, sizeof(buf), "0x%llx", dimm_addr + b * bs);
		err = write_str("/sys/devices/system/memory/probe", buf);
		if (err && err != -EEXIST) {
			fail("probe %s: %s", buf, strerror(-err));
			return;
		}
	}
	printf("# hotplug: %lu blocks of %lu MiB at 0x%llx added\n", nblocks, bs >> 20, dimm_addr);
	while (time_left()) {
		for (b = 0; b < nblocks; b++) {
			err = block_state(first + b, "online_movable");
			if (err)
				fail("online_movable memory%lu: %s", first + b, strerror(-err));
			else
				s->ops[0]++;
		}
		sleep_ms(2000 + rnd_below(3000));
		for (b = 0; b < nblocks; b++) {
			for (;;) {
				err = timed_offline(first + b);
				if (!err || !retryable(-err))
					break;
				if (time(NULL) > deadline + 120) {
					fail("memory%lu: still not offline 120 s after the end",
					     first + b);
					return;
				}
				s->ops[2]++;
				s->retried++;
				sleep_ms(200);
			}
			if (err)
				fail("offline memory%lu: %s", first + b, strerror(-err));
			else
				s->ops[1]++;
		}
		s->rounds++;
		sleep_ms(500 + rnd_below(1000));
	}
}

/* === The run === */

static void run_worker(enum worker_kind k, long free_kb)
{
	size_t bytes = (size_t)free_kb * 1024 / 100 * worker_share[k];

	me = k;
	stats[k].pid = getpid();
	rng_state = mix64(seed ^ (k + 1) * 0x1234567ULL);
	switch (k) {
	case W_ANON: run_anon(bytes); break;
	case W_MLOCK: run_mlock(bytes); break;
	case W_SHMEM: run_shmem(bytes); break;
	case W_FILE: run_file(); break;
	case W_THP: run_thp(bytes); break;
	case W_FORK: run_fork(bytes); break;
	case W_MIGRATE: run_migrate(bytes); break;
	case W_PIN: run_pin(bytes); break;
	case W_COMPACT: run_compact(); break;
	case W_KALLOC: run_kalloc(); break;
	case W_CMA: run_cma(); break;
	case W_HOTPLUG: run_hotplug(); break;
	case W_FRAG: run_frag(); break;
	default: break;
	}
	stats[k].done = 1;
}

static const char * const counters[] = {
	"pgmigrate_success", "pgmigrate_fail", "compact_migrate_scanned",
	"compact_free_scanned", "compact_isolated", "compact_stall", "compact_fail",
	"compact_success", "compact_daemon_wake", "compact_daemon_migrate_scanned",
	"compact_daemon_free_scanned", "thp_fault_alloc", "thp_fault_fallback",
	"thp_migration_success", "numa_pages_migrated",
	/* allocations that entered direct reclaim, by zone; oom-kills */
	"allocstall_dma32", "allocstall_normal", "allocstall_movable", "oom_kill",
};
#define NR_COUNTERS (sizeof(counters) / sizeof(counters[0]))

static int tap_n;
static bool all_ok = true;

static void tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d ", ok ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	all_ok &= ok;
}

/*
 * Before the workers: compact_memory and every nodeN/compact on the idle
 * machine, each timed.  An odd machine (a tiny guest, holes in memory, a
 * zone that is entirely free, a node without memory: make stress boots
 * them) must see each write succeed within IDLE_BOUND_MS.
 */
static void idle_compaction(void)
{
	struct timespec t0;
	long ms, slowest = 0;
	int n, err, failed = 0;
	char path[64];

	for (n = -1; n < nr_nodes; n++) {
		if (n < 0)
			snprintf(path, sizeof(path), "/proc/sys/vm/compact_memory");
		else
			snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/compact", n);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		err = write_str(path, "1");
		if (err) {
			printf("# idle: %s: %s\n", path, strerror(-err));
			failed++;
		}
		ms = ms_since(&t0);
		printf("# idle: %s took %ld ms\n", path, ms);
		if (ms > slowest)
			slowest = ms;
	}
	tap(!failed && slowest <= IDLE_BOUND_MS,
	    "idle: compact_memory and %d nodeN/compact writes before the workers: the slowest "
	    "took %ld ms (bound %d), %d failed", nr_nodes, slowest, IDLE_BOUND_MS, failed);
}

/* === Faults (-F) and the CMA case (-C) === */

static const bool fault_worker[NR_WORKERS] = {
	[W_ANON] = true, [W_MLOCK] = true, [W_SHMEM] = true, [W_THP] = true,
	[W_FORK] = true, [W_MIGRATE] = true, [W_PIN] = true, [W_COMPACT] = true,
	[W_KALLOC] = true, [W_FRAG] = true,
};

static int fail_set(const char *file, const char *val)
{
	char path[128];
	int err;

	snprintf(path, sizeof(path), FAIL_DIR "/%s", file);
	err = write_str(path, val);
	if (err)
		printf("# %s <- %s: %s\n", path, val, strerror(-err));
	return err;
}

/* fail_page_alloc: @percent of the allocations of marked tasks, any gfp. */
static int faults_on(int percent, int min_order)
{
	char buf[32];
	int err = 0;

	snprintf(buf, sizeof(buf), "%ld", FAIL_TIMES);
	err |= fail_set("times", buf);
	err |= fail_set("interval", "1");
	err |= fail_set("space", "0");
	err |= fail_set("verbose", "0");
	err |= fail_set("task-filter", "Y");
	err |= fail_set("ignore-gfp-wait", "N");
	err |= fail_set("ignore-gfp-highmem", "N");
	snprintf(buf, sizeof(buf), "%d", min_order);
	err |= fail_set("min-order", buf);
	snprintf(buf, sizeof(buf), "%d", percent);
	err |= fail_set("probability", buf);
	return err;
}

/* Stop the faults; return how many were injected. */
static long faults_off(void)
{
	long left;

	fail_set("probability", "0");
	left = read_long(FAIL_DIR "/times");
	fail_set("min-order", "1");
	fail_set("task-filter", "N");
	return left < 0 ? -1 : FAIL_TIMES - left;
}

/* Mark (or unmark) every kcompactd thread for fail_page_alloc. */
static int mark_kcompactd(const char *val)
{
	char path[300], comm[32];
	struct dirent *e;
	DIR *d = opendir("/proc");
	int n = 0;

	while (d && (e = readdir(d))) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		if (read_str(path, comm, sizeof(comm)) || strncmp(comm, "kcompactd", 9))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/make-it-fail", e->d_name);
		n += !write_str(path, val);
	}
	if (d)
		closedir(d);
	return n;
}

/*
 * After the faults: a quarter of free memory in 4 KiB pages, 7 of every 8
 * dropped, compact_memory.  Compaction must move pages and form free 2 MiB
 * blocks, and the kept pages keep their contents.
 */
static void recovery(void)
{
	struct region r;
	long blocks0, blocks1, moved0, moved1;
	size_t c;
	uint64_t bad0 = stats[me].mismatch;

	if (region_init(&r, (size_t)free_kb_start * 1024 / 4, -1, 99, 0, "recovery")) {
		tap(false, "recovery: no memory for the layout");
		return;
	}
	for (c = 0; c < r.nchunks; c++)
		madvise(r.chunk[c], CHUNK, MADV_NOHUGEPAGE);
	rewrite_all(&r);
	keep_one_in(&r, 8);
	blocks0 = free_blocks();
	moved0 = vmstat("pgmigrate_success");
	write_str("/proc/sys/vm/compact_memory", "1");
	moved1 = vmstat("pgmigrate_success");
	blocks1 = free_blocks();
	sweep(&r);
	tap(moved1 > moved0 && blocks1 > blocks0 && stats[me].mismatch == bad0,
	    "recovery: faults off, compact_memory over %zu MiB with 7/8 dropped: %ld pages "
	    "migrated, free 2 MiB blocks %ld -> %ld, %" PRIu64 " mismatched words",
	    r.nchunks * 2, moved1 - moved0, blocks0, blocks1, stats[me].mismatch - bad0);
	for (c = 0; c < r.nchunks; c++)
		munmap(r.chunk[c], CHUNK);
}

/*
 * Of the @n (at most 256) pages from @pfn, how many have (@set) or lack
 * kpageflags bit @bit; -1 if /proc/kpageflags cannot be read.
 */
static long flagged_pages(int kpf, unsigned long pfn, unsigned long n, int bit, bool set)
{
	uint64_t flags[256];
	long count = 0;
	unsigned long i;

	if (n > 256 || pread(kpf, flags, n * 8, pfn * 8) != (ssize_t)(n * 8))
		return -1;
	for (i = 0; i < n; i++)
		count += (bool)(flags[i] >> bit & 1) == set;
	return count;
}

/* Pages of [pfn, pfn + n) that are not free (no KPF_BUDDY), or -1. */
static long used_pages(int kpf, unsigned long pfn, unsigned long n)
{
	return flagged_pages(kpf, pfn, n, 10, false);
}

/*
 * The zone whose span holds @pfn, into @z.  Return: 0, or -1 if no zone
 * spans it.
 */
static int zone_of_pfn(long pfn, struct zone_view *z)
{
	struct zone_view zv[MAX_ZONES];
	int i, n = read_zones(zv);

	for (i = 0; i < n; i++)
		if (pfn >= zv[i].start_pfn && pfn < zv[i].start_pfn + zv[i].spanned) {
			*z = zv[i];
			return 0;
		}
	return -1;
}

/* kB of @z's free memory outside CMA above its min watermark (boost in it) */
static long zone_headroom_kb(const struct zone_view *z)
{
	return (z->free - z->cma_free - z->min) * (long)(PAGE / 1024);
}

static volatile sig_atomic_t load_stop;

static void on_term(int sig)
{
	(void)sig;
	load_stop = 1;
}

/*
 * Free memory outside CMA that -C's load leaves in the area's zone above
 * the zone's min watermark (its boost included): what the kernel's own
 * allocations on that node live on meanwhile.
 */
#define CMA_LOAD_HEADROOM_KB	4096

/*
 * -C's load, in a child the faults do not touch: 4 KiB anonymous pages,
 * 2 MiB at a time, bound (MPOL_BIND) to the node of the CMA area at
 * @area_pfn, until three quarters of the area are in use, free memory
 * outside CMA is down to MemTotal / 32, or the area's zone has no more
 * than CMA_LOAD_HEADROOM_KB outside CMA above its min watermark
 * (the allocator serves a movable allocation from CMA once CMA holds over
 * half of the zone's free memory: so only a nearly full zone puts user
 * pages there).  Bound to that node, the fill leaves the other nodes'
 * memory to the kernel; unbound, it once took both nodes under their min
 * marks and the oom-killer took it (make stress, 2 CPUs, 2026-11-30).
 * Then 3 of every 4 pages dropped, so that every block, the area's too,
 * is left partly used and compaction has work.  Then it rewrites some of
 * its pages and checks all of them, until SIGTERM.  Writes one byte to
 * @ready when its layout is in place; exits 1 on a mismatch, 2 if it
 * could not set up.
 */
static void cma_load(int ready, long area_pfn)
{
	long total_kb = stat_field("/proc/meminfo", "MemTotal:");
	long cma_kb = stat_field("/proc/meminfo", "CmaTotal:");
	long free_kb = stat_field("/proc/meminfo", "MemFree:");
	struct zone_view z;
	unsigned long mask;
	struct region r;
	size_t c, i, used;

	me = W_ANON;
	signal(SIGTERM, on_term);
	if (total_kb <= 0 || cma_kb <= 0 || zone_of_pfn(area_pfn, &z) ||
	    z.node < 0 || z.node >= 64)
		_exit(2);
	mask = 1UL << z.node;
	if (syscall(SYS_set_mempolicy, MPOL_BIND, &mask, sizeof(mask) * 8) ||
	    region_init(&r, (size_t)free_kb * 1024, -1, 77, 0, "cma-load"))
		_exit(2);
	for (c = 0; c < r.nchunks; c++) {
		long cma_free = stat_field("/proc/meminfo", "CmaFree:");

		if (cma_free <= cma_kb / 4 ||
		    stat_field("/proc/meminfo", "MemFree:") - cma_free <= total_kb / 32 ||
		    zone_of_pfn(area_pfn, &z) ||
		    zone_headroom_kb(&z) <= CMA_LOAD_HEADROOM_KB)
			break;
		madvise(r.chunk[c], CHUNK, MADV_NOHUGEPAGE);
		for (i = 0; i < CHUNK_PAGES; i++)
			rewrite(&r, c * CHUNK_PAGES + i);
	}
	for (used = c; c < r.nchunks; c++)
		munmap(r.chunk[c], CHUNK);
	r.nchunks = used;
	if (zone_of_pfn(area_pfn, &z))
		z = (struct zone_view){ 0 };
	printf("# cma-load: %zu MiB faulted on node %d; then CmaFree %ld kB of %ld, "
	       "MemFree %ld kB; the area's zone %ld kB free outside CMA above its min "
	       "(%ld kB, boost %ld kB)\n",
	       used * 2, z.node, stat_field("/proc/meminfo", "CmaFree:"), cma_kb,
	       stat_field("/proc/meminfo", "MemFree:"), zone_headroom_kb(&z),
	       z.min * (long)(PAGE / 1024), z.boost * (long)(PAGE / 1024));
	keep_one_in(&r, 4);
	if (write(ready, "1", 1) != 1)
		_exit(2);
	while (!load_stop) {
		for (i = 0; i < r.nchunks * CHUNK_PAGES && !load_stop; i += 4)
			if (!rnd_below(16))
				rewrite(&r, i);
		sweep(&r);
	}
	_exit(stats[me].mismatch ? 1 : 0);
}

/* Pages of the CMA area at @dir that are not free, or -1. */
static long area_used(int kpf, const char *dir, long base)
{
	char path[320];
	long count, pfn, used = 0, n;

	snprintf(path, sizeof(path), "%s/count", dir);
	count = read_long(path);
	if (count <= 0)
		return -1;
	for (pfn = 0; pfn < count; pfn += 256) {
		n = used_pages(kpf, base + pfn, count - pfn < 256 ? count - pfn : 256);
		if (n < 0)
			return -1;
		used += n;
	}
	return used;
}

/*
 * Make the tries land on user pages: cma_alloc() takes the lowest free
 * range of the area's bitmap, the area's first MiB while nothing else
 * holds it, and where the load happened to leave that MiB empty (it did
 * on the KCSAN kernel, make stress, 2026-11-30) no try had a page to
 * migrate and the case measured nothing.  So find the area's MiB with the
 * most user pages (on the LRU: a page on a per-CPU free list looks used
 * too, and a MiB that looked full went down to 62 at the first try) and
 * hold every MiB below it through debugfs (faults off: migrating what is
 * there may take a retry); each try then takes that MiB, and frees it
 * again first, being the newest entry of the debugfs list.  Returns the pages held (0 when the first MiB is already
 * the busiest), -1 if they could not be held; *@mib and *@used tell which
 * MiB the tries take and how many of its pages are in use once held.
 */
static long hold_below_busiest(int afd, int kpf, const char *dir, long base,
			       long *mib, long *used)
{
	char path[320], buf[32];
	long count, m, n, tries;

	snprintf(path, sizeof(path), "%s/count", dir);
	count = read_long(path);
	*mib = 0;
	*used = -1;
	for (m = 0; count > 0 && (m + 1) * 256 <= count; m++) {
		n = flagged_pages(kpf, base + m * 256, 256, 5, true);	/* KPF_LRU */
		if (n > *used) {
			*used = n;
			*mib = m;
		}
	}
	if (*used < 0)
		return -1;
	n = snprintf(buf, sizeof(buf), "%ld", *mib * 256);
	for (tries = 0; *mib && write(afd, buf, n) != n; tries++) {
		if (tries == 10)
			return -1;
		sleep_ms(100);
	}
	*used = used_pages(kpf, base + *mib * 256, 256);
	return *mib * 256;
}

/* Stop the CMA case's load (cma_load()); its wait status. */
static int stop_load(pid_t load)
{
	int status = -1;

	kill(load, SIGTERM);
	waitpid(load, &status, 0);
	return status;
}

/* Give back the @held pages hold_below_busiest() took, through @ffd. */
static void cma_free_held(int ffd, long held)
{
	char buf[32];

	if (held && write(ffd, buf, snprintf(buf, sizeof(buf), "%ld", held)) < 0)
		printf("# cma-case: freeing the %ld pages held: %s\n", held, strerror(errno));
}

static int cma_case(int secs, int min_pct)
{
	enum { PAGES = 256 };	/* 1 MiB */
	char dir[300], path[320], c;
	long base, tries = 0, ok = 0, used, used_ok = 0, used_fail = 0, enomem = 0;
	long held, mib;
	long ebusy = 0, other = 0, cfail = 0, injected, area0, area1;
	long before = 0, after = 0, parked = 0, sampled = 0, unread = 0, collapsed = 0;
	bool sample;
	int other_errno = 0, pfd[2], status;
	int afd, ffd, cfd, kpf;
	pid_t load;

	printf("TAP version 13\n1..3\n");
	if (cma_area(dir, sizeof(dir))) {
		printf("not ok 1 cma-case: no CMA area under /sys/kernel/debug/cma\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/base_pfn", dir);
	base = read_long(path);
	snprintf(path, sizeof(path), "%s/alloc", dir);
	afd = open(path, O_WRONLY);
	snprintf(path, sizeof(path), "%s/free", dir);
	ffd = open(path, O_WRONLY);
	cfd = open("/proc/sys/vm/compact_memory", O_WRONLY);
	kpf = open("/proc/kpageflags", O_RDONLY);
	if (base < 0 || afd < 0 || ffd < 0 || cfd < 0 || kpf < 0 || pipe(pfd)) {
		printf("not ok 1 cma-case: cannot set up (%s)\n", strerror(errno));
		return 1;
	}
	load = fork();
	if (!load)
		cma_load(pfd[1], base);
	close(pfd[1]);
	if (load < 0 || read(pfd[0], &c, 1) != 1) {
		printf("not ok 1 cma-case: the load did not start\n");
		if (load > 0)
			stop_load(load);
		return 1;
	}
	area0 = area_used(kpf, dir, base);
	printf("# cma-case: the load is in place: MemFree %ld kB; in use: %ld of the area's "
	       "first MiB's pages, %ld of all its pages\n", stat_field("/proc/meminfo", "MemFree:"),
	       used_pages(kpf, base, PAGES), area0);
	held = hold_below_busiest(afd, kpf, dir, base, &mib, &used);
	if (held < 0 || used <= 0) {
		printf("not ok 1 cma-case: no try would migrate a page: %s\n", held < 0 ?
		       "the MiBs below the area's busiest could not be held" :
		       "the load left no page in use in the area");
		stop_load(load);
		return 1;
	}
	printf("# cma-case: the tries take the area's MiB %ld (%ld of its pages in use), "
	       "%ld pages below it held through debugfs\n", mib, used, held);
	if (faults_on(10, 0)) {
		printf("not ok 1 cma-case: cannot set up fail_page_alloc\n");
		cma_free_held(ffd, held);
		stop_load(load);
		return 1;
	}
	fault_mode = true;
	deadline = time(NULL) + secs;
	arm_faults();
	while (time_left()) {
		used = used_pages(kpf, base + held, PAGES);
		tries++;
		/* write(2), not pwrite(2): debugfs attribute files do not seek (ESPIPE) */
		if (write(afd, "256", 3) == 3) {
			ok++;
			used_ok += used;
			while (write(ffd, "256", 3) != 3)
				sleep_ms(1);
		} else {
			used_fail += used;
			if (errno == ENOMEM)
				enomem++;
			else if (errno == EBUSY)
				ebusy++;
			else if (!other++)
				other_errno = errno;
		}
		/* the first writes and every 8th after: what compaction adds */
		sample = tries <= 3 || tries % 8 == 0;
		if (sample) {
			collapsed = vmstat("thp_collapse_alloc");
			before = area_used(kpf, dir, base);
		}
		if (pwrite(cfd, "1", 1, 0) != 1)
			cfail++;
		if (sample)
			after = area_used(kpf, dir, base);
		/*
		 * A read can fail under the faults (opening the debugfs count
		 * allocates): such a write is not sampled, rather than -1
		 * counting as the area's pages in use (a run once "parked"
		 * 10,247 pages so, -1 -> 10,246)
		 */
		if (sample && (before < 0 || after < 0)) {
			unread++;
		} else if (sample) {
			parked += after > before ? after - before : 0;
			sampled++;
			/* who else allocated meanwhile: khugepaged's huge pages */
			if (after > before)
				printf("# cma-area: try %ld: %ld more of the area's pages in use "
				       "after compact_memory (%ld -> %ld); khugepaged collapsed %ld "
				       "huge pages meanwhile\n", tries, after - before, before,
				       after, vmstat("thp_collapse_alloc") - collapsed);
		}
		if (tries <= 3 || tries % 1000 == 0)
			printf("# cma-case: try %ld (%ld ok so far), then compact_memory: %ld of the "
			       "area's pages in use\n", tries, ok, after);
	}
	write_str("/proc/self/make-it-fail", "0");
	injected = faults_off();
	cma_free_held(ffd, held);
	area1 = area_used(kpf, dir, base);
	status = stop_load(load);
	printf("# cma-case: %s, %ld s: %ld allocation faults injected\n", dir, (long)secs,
	       injected);
	printf("# cma-case: used pages in the MiB the tries take, before a try: %.1f on average "
	       "when it succeeded, %.1f when it failed\n",
	       ok ? (double)used_ok / ok : 0.0,
	       tries > ok ? (double)used_fail / (tries - ok) : 0.0);
	printf("# cma-case: failures: ENOMEM %ld, EBUSY %ld, other %ld (the first: %s); "
	       "compact_memory writes failed %ld\n", enomem, ebusy, other,
	       other ? strerror(other_errno) : "none", cfail);
	tap(ok * 100 >= (long)min_pct * tries && tries && injected > 0,
	    "cma-case: %ld of %ld 1 MiB CMA allocations succeeded (%.1f%%, want >= %d%%), "
	    "%ld faults injected (want > 0)", ok, tries, tries ? 100.0 * ok / tries : 0.0,
	    min_pct, injected);
	printf("# cma-area: %ld of the area's pages in use after the load, %ld at the end "
	       "(free pages on per-CPU lists count as used; pages freed by the CMA tries\n"
	       "# cma-area: go to the movable per-CPU lists and come back as anyone's "
	       "movable pages)\n", area0, area1);
	tap(area0 >= 0 && area1 >= 0 && sampled && parked <= MAX_PARKED,
	    "cma-area: compact_memory put %ld pages into the area over %ld sampled writes "
	    "(want <= %d; %ld more not sampled, the area unreadable under the faults)",
	    parked, sampled, MAX_PARKED, unread);
	tap(WIFEXITED(status) && !WEXITSTATUS(status) && stats[W_ANON].bytes,
	    "cma-load: %" PRIu64 " mismatched words in %" PRIu64 " bytes verified (exit status 0x%x)",
	    stats[W_ANON].mismatch, stats[W_ANON].bytes, status);
	return all_ok ? 0 : 1;
}

/* Fault one THP-able 2 MiB chunk (MADV_HUGEPAGE); NULL if mmap failed. */
static char *fault_thp(void)
{
	char *p = mmap(NULL, 2 * CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	p = (char *)(((uintptr_t)p + CHUNK - 1) & ~(CHUNK - 1));
	madvise(p, CHUNK, MADV_HUGEPAGE);
	p[0] = 1;
	return p;
}

/*
 * -K's memory floor: an eighth of MemTotal.  Nothing of -K allocates below
 * it: the parent keeps every block a killed child gave back (so that the
 * next child must compact), the children's THPs come out of the layout's
 * holes, so free memory shrinks with every round; left unchecked the
 * oom-killer ended the run after some 20 s (2 GiB guest, debug kernel).
 */
static long kill_floor_kb(void)
{
	return stat_field("/proc/meminfo", "MemTotal:") / 8;
}

static bool kill_room(void)
{
	return stat_field("/proc/meminfo", "MemFree:") > kill_floor_kb() + 4096;
}

/*
 * -K's layout, made once by the parent: free memory filled in 4 KiB pages
 * down to the floor, and only then every page whose frame is not a
 * multiple of 8 dropped (by frame, from /proc/self/pagemap, so that every
 * block keeps 64 pages whatever the order the pages came in); then the
 * whole free blocks taken by THPs, so that a THP fault has to compact.
 * Dropping each chunk's pages right after faulting it, as this did first,
 * gave the next chunk the very pages just dropped: the layout never spread
 * beyond a few MiB, left ~770 whole free blocks, and the parent took them
 * all down to the floor (before the floor: the oom-killer).
 */
static void kill_layout(void)
{
	long floor_kb = kill_floor_kb();
	size_t max = free_kb_start / 2048 + 1, n, c, i, run, kept = 0;
	char **chunk = calloc(max, sizeof(*chunk));
	uint64_t ent[CHUNK_PAGES];
	int pm = open("/proc/self/pagemap", O_RDONLY);

	/* all of it first: a page dropped at once would be the next one faulted */
	for (n = 0; chunk && n < max; n++) {
		if (stat_field("/proc/meminfo", "MemFree:") < floor_kb)
			break;
		chunk[n] = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (chunk[n] == MAP_FAILED)
			break;
		madvise(chunk[n], CHUNK, MADV_NOHUGEPAGE);
		memset(chunk[n], 1, CHUNK);
	}
	for (c = 0; c < n; c++) {
		char *p = chunk[c];

		if (pm < 0 || pread(pm, ent, sizeof(ent), (uintptr_t)p / PAGE * 8) != sizeof(ent)) {
			/* no frames: one virtual page in 8 */
			for (i = 1; i < CHUNK_PAGES; i += 8)
				madvise(p + i * PAGE, 7 * PAGE, MADV_DONTNEED);
			kept += CHUNK_PAGES / 8;
			continue;
		}
		for (i = 0; i < CHUNK_PAGES; i += run) {
			bool keep = !(ent[i] & ((1ULL << 55) - 1) & 7);

			for (run = 1; i + run < CHUNK_PAGES &&
			     !(ent[i + run] & ((1ULL << 55) - 1) & 7) == keep; run++)
				;
			if (!keep)
				madvise(p + i * PAGE, run * PAGE, MADV_DONTNEED);
			else
				kept += run;
		}
	}
	if (pm >= 0)
		close(pm);
	free(chunk);
	printf("# kill: %zu MiB laid out, the pages of one frame in 8 kept (%zu MiB); "
	       "%ld free blocks, MemFree %ld MiB\n", 2 * n, kept >> 8, free_blocks(),
	       stat_field("/proc/meminfo", "MemFree:") >> 10);
}

/* Take the whole free blocks (those a killed child gave back) with THPs. */
static void kill_take_blocks(void)
{
	long n = free_blocks();

	while (n-- > 0 && kill_room())
		fault_thp();
}

/* -K: the child: fault THPs (each compacts directly) until killed. */
static void kill_child(int ready)
{
	if (write(ready, "x", 1) != 1)
		_exit(1);
	for (;;) {
		if (kill_room())
			fault_thp();
		else
			sleep_ms(20);
	}
}

/*
 * Was the child inside compaction when it was killed?  Its kernel stack
 * tells only while it sleeps (a task running on another CPU shows none),
 * so a tracefs instance of -K's own logs mm_compaction_begin/end with the
 * monotonic clock: a run the child began before the kill and ended after
 * it (or never ended) was cut short by the kill.
 */
#define KILL_TRACE	"/sys/kernel/tracing/instances/stress-kill"

static int kill_trace_start(void)
{
	if (mkdir(KILL_TRACE, 0755) && errno != EEXIST)
		return -errno;
	if (write_str(KILL_TRACE "/trace_clock", "mono") ||
	    write_str(KILL_TRACE "/events/compaction/mm_compaction_begin/enable", "1") ||
	    write_str(KILL_TRACE "/events/compaction/mm_compaction_end/enable", "1"))
		return -1;
	return write_str(KILL_TRACE "/tracing_on", "1");
}

static void kill_trace_clear(void)
{
	int fd = open(KILL_TRACE "/trace", O_WRONLY | O_TRUNC);

	if (fd >= 0)
		close(fd);
}

static void kill_trace_stop(void)
{
	write_str(KILL_TRACE "/events/compaction/mm_compaction_begin/enable", "0");
	write_str(KILL_TRACE "/events/compaction/mm_compaction_end/enable", "0");
	rmdir(KILL_TRACE);
}

/*
 * From the trace: did @pid's last run that began before @t_kill (seconds,
 * CLOCK_MONOTONIC) end at or after it, or not at all?  Also counts @pid's
 * runs in @runs.
 */
static bool kill_trace_inside(pid_t pid, double t_kill, long *runs)
{
	FILE *f = fopen(KILL_TRACE "/trace", "r");
	bool open_run = false, inside = false;
	char line[512];

	*runs = 0;
	while (f && fgets(line, sizeof(line), f)) {
		const char *ev, *br, *dash, *t;
		bool begin;
		double ts;

		if ((ev = strstr(line, " mm_compaction_begin:")))
			begin = true;
		else if ((ev = strstr(line, " mm_compaction_end:")))
			begin = false;
		else
			continue;
		br = strchr(line, '[');
		if (!br || br > ev)
			continue;
		for (dash = br; dash > line && *dash != '-'; dash--)
			;
		if (atoi(dash + 1) != pid)
			continue;
		/* "... 1234.567890: mm_compaction_begin: ..." */
		for (t = ev - 1; t > br && *t != ' '; t--)
			;
		ts = strtod(t + 1, NULL);
		if (begin && ts < t_kill) {
			open_run = true;
			inside = false;
			(*runs)++;
		} else if (!begin && open_run) {
			open_run = false;
			inside = ts >= t_kill;
		}
	}
	if (f)
		fclose(f);
	return inside || open_run;
}

static int kill_case(int secs)
{
	long kills = 0, inside = 0, by_stack = 0, by_trace = 0, worst = 0, total = 0, runs = 0;
	bool traced;
	char path[64], stack[4096];
	bool ok = true;

	printf("TAP version 13\n1..1\n");
	write_str("/sys/kernel/mm/transparent_hugepage/enabled", "always");
	write_str("/sys/kernel/mm/transparent_hugepage/defrag", "always");
	free_kb_start = stat_field("/proc/meminfo", "MemFree:");
	rng_state = seed;
	kill_layout();
	traced = !kill_trace_start();
	if (!traced)
		printf("# kill: no tracefs instance: the kernel stack alone tells\n");
	/* the layout takes a while on a debug kernel: the kills get SECONDS */
	deadline = time(NULL) + secs;
	while (time_left() && kill_room()) {
		struct timespec t0;
		int pfd[2], status;
		char c;
		bool in_stack, in_trace;
		pid_t pid;
		long ms;
		int w;

		if (pipe(pfd))
			return 1;
		kill_take_blocks();
		kill_trace_clear();
		pid = fork();
		if (!pid) {
			close(pfd[0]);
			kill_child(pfd[1]);
		}
		close(pfd[1]);
		if (read(pfd[0], &c, 1) != 1)
			printf("# kill: the child died before faulting\n");
		close(pfd[0]);
		/*
		 * 100 ms into the faults, kill at the first look (every 10 ms,
		 * up to 600 ms) that finds the child inside a compaction run:
		 * most of a THP fault's time is spent clearing the huge page
		 */
		sleep_ms(100);
		for (w = 0; traced && w < 50; w++) {
			if (kill_trace_inside(pid, 1e18, &runs))
				break;
			sleep_ms(10);
		}
		if (!traced)
			sleep_ms(rnd_below(500));
		snprintf(path, sizeof(path), "/proc/%d/stack", pid);
		if (read_str(path, stack, sizeof(stack)))
			stack[0] = 0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		ms = ms_since(&t0);
		kills++;
		total += ms;
		if (ms > worst)
			worst = ms;
		in_stack = strstr(stack, "compact");
		in_trace = traced &&
			   kill_trace_inside(pid, t0.tv_sec + t0.tv_nsec / 1e9, &runs);
		by_stack += in_stack;
		by_trace += in_trace;
		if (in_stack || in_trace) {
			inside++;
			if (inside <= 2)
				printf("# kill %ld: reaped in %ld ms, inside its compaction run %ld "
				       "(trace: %s); its stack:\n%s", kills, ms, runs,
				       in_trace ? "yes" : "no", stack);
		}
		if (ms > KILL_BOUND_MS) {
			ok = false;
			printf("# kill %ld: reaped only after %ld ms; its stack was:\n%s", kills, ms,
			       stack);
		}
	}
	write_str("/sys/kernel/mm/transparent_hugepage/defrag", "madvise");
	if (traced)
		kill_trace_stop();
	printf("# kill: %ld kills inside compaction by the stack, %ld by the trace\n",
	       by_stack, by_trace);
	printf("# kill: rounds ended with %ld s left, MemFree %ld MiB (floor %ld MiB)\n",
	       (long)(deadline - time(NULL)) > 0 ? (long)(deadline - time(NULL)) : 0,
	       stat_field("/proc/meminfo", "MemFree:") >> 10, kill_floor_kb() >> 10);
	printf("%sok 1 kill: %ld SIGKILLs, %ld of them inside compaction (stack or trace), "
	       "reaped in %ld ms at most (bound %d), %ld ms on average\n",
	       ok && inside ? "" : "not ", kills, inside, worst, KILL_BOUND_MS,
	       kills ? total / kills : 0);
	return ok && inside ? 0 : 1;
}

/* Set up what the workers need: ext2 on /dev/ram0, mTHP, the knobs. */
static int setup(void)
{
	mkdir("/mnt", 0755);
	mkdir("/mnt/stress", 0755);
	if (system("mke2fs -q -b 4096 /dev/ram0 >/dev/null 2>&1 && "
		   "mount -t ext2 /dev/ram0 /mnt/stress")) {
		printf("# setup: cannot make ext2 on /dev/ram0 (brd.rd_size=?)\n");
		return -1;
	}
	/* 64 KiB mTHP for the anonymous workers, where the kernel has them */
	write_str("/sys/kernel/mm/transparent_hugepage/hugepages-64kB/enabled", "always");
	write_str("/sys/kernel/mm/transparent_hugepage/enabled", "always");
	write_str("/sys/kernel/mm/transparent_hugepage/defrag", "always");
	return 0;
}

static void teardown(void)
{
	write_str("/sys/kernel/mm/transparent_hugepage/hugepages-64kB/enabled", "never");
	write_str("/sys/kernel/mm/transparent_hugepage/enabled", "always");
	write_str("/sys/kernel/mm/transparent_hugepage/defrag", "madvise");
	write_str("/proc/sys/vm/compaction_proactiveness", "20");
	unlink("/mnt/stress/file");
	/* and the RAM disk's pages go back to the allocator */
	if (system("umount /mnt/stress && blkdiscard /dev/ram0"))
		printf("# teardown: umount or blkdiscard of /dev/ram0 failed\n");
}

static void report_worker(enum worker_kind k)
{
	struct wstats *s = &stats[k];
	char ops[256] = "";
	size_t len = 0;
	int i;

	if (s->done == 2) {
		/* not asked for (-w): no line, the plan does not count it */
		printf("# %s: not run (-w)\n", worker_name[k]);
		return;
	}
	for (i = 0; i < 6 && op_name[k][i]; i++)
		len += snprintf(ops + len, sizeof(ops) - len, " %s %" PRIu64,
				op_name[k][i], s->ops[i]);
	tap(s->done && s->rounds && !s->errors,
	    "%s: %" PRIu64 " rounds, %" PRIu64 " MiB verified, %" PRIu64 " retried,%s%s%s",
	    worker_name[k], s->rounds, s->bytes >> 20, s->retried, ops,
	    s->errors ? ", ERRORS " : "", s->errors ? "(see above)" : "");
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-t SECONDS] [-s SEED] [-d DIMM_ADDR -D DIMM_BYTES] [-f FREE_KB]\n"
		"       %s -F [-t SECONDS] [-s SEED]\n"
		"       %s -C SECONDS [-P MIN_PERCENT]\n"
		"       %s -K SECONDS\n", prog, prog, prog, prog);
	exit(2);
}

/* @pid's kernel stack, one "#   " line per frame */
static void print_stack(pid_t pid)
{
	char path[64], buf[2048], *line;

	snprintf(path, sizeof(path), "/proc/%d/stack", pid);
	if (read_str(path, buf, sizeof(buf)))
		return;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		printf("#   %s\n", line);
}

/* a data worker that has not finished one round yet, and where it waits */
static void report_no_round(const pid_t *pids, int k)
{
	char path[64], buf[2048], *line, state = '?';

	if (!pids[k] || (!worker_share[k] && k != W_FILE) || stats[k].rounds ||
	    stats[k].done)
		return;
	snprintf(path, sizeof(path), "/proc/%d/stat", pids[k]);
	line = read_str(path, buf, sizeof(buf)) ? NULL : strrchr(buf, ')');
	if (line && line[1])
		state = line[2];
	printf("# %s: no round yet after %ld s, state %c\n", worker_name[k],
	       (long)(seconds - (deadline - time(NULL))), state);
	print_stack(pids[k]);
}

/*
 * Where the memory was at the sample with the fewest free pages, read from
 * /proc/vmstat right after /proc/zoneinfo, in pages: the LRU lists (anon,
 * file, unevictable), slab, page tables, kernel stacks, pages isolated for
 * migration, and huge pages mapped (THPs); @other is what the zones manage
 * less all of these and the free and per-CPU pages: kernel allocations no
 * counter names (pipe and socket buffers, vmalloc, page_owner's stacks)
 * and free pages a compaction run holds as targets.  Two kernels under
 * the same load differ at their lowest moments in one of these.
 */
static const char *const where_keys[] = {
	"nr_inactive_anon", "nr_active_anon", "nr_inactive_file", "nr_active_file",
	"nr_unevictable", "nr_slab_reclaimable", "nr_slab_unreclaimable",
	"nr_page_table_pages", "nr_kernel_stack", "nr_isolated_anon",
	"nr_isolated_file", "nr_anon_transparent_hugepages", "nr_shmem",
};

enum { MW_IANON, MW_AANON, MW_IFILE, MW_AFILE, MW_UNEV, MW_SLAB_R, MW_SLAB_U, MW_PT,
       MW_KSTACK_KB, MW_ISO_A, MW_ISO_F, MW_THP, MW_SHMEM, NR_MW };

struct mem_where {
	long v[NR_MW];
};

/* One pass over /proc/vmstat for every key of where_keys; -1 if missing. */
static void mem_where_read(struct mem_where *w)
{
	char line[256];
	size_t k, len;
	FILE *f = fopen("/proc/vmstat", "r");

	for (k = 0; k < NR_MW; k++)
		w->v[k] = -1;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		for (k = 0; k < NR_MW; k++) {
			len = strlen(where_keys[k]);
			if (!strncmp(line, where_keys[k], len) && line[len] == ' ')
				w->v[k] = strtol(line + len, NULL, 10);
		}
	fclose(f);
}

static struct {
	long n, free_sum, pcp_sum, pcp_max;
	long below_min, boosted;
	struct mem_sample least;	/* the sample with the fewest free pages */
	struct mem_where where;		/* /proc/vmstat right after it */
} mem_seen = { .least.free = LONG_MAX };

static void mem_note(void)
{
	struct mem_sample s = mem_sample();

	mem_seen.n++;
	mem_seen.free_sum += s.free;
	mem_seen.pcp_sum += s.pcp;
	if (s.free < mem_seen.least.free) {
		mem_seen.least = s;
		mem_where_read(&mem_seen.where);
	}
	if (s.pcp > mem_seen.pcp_max)
		mem_seen.pcp_max = s.pcp;
	mem_seen.below_min += s.free < s.min;
	mem_seen.boosted += s.boost > 0;
}

/* The sample with the fewest free pages, and where the rest was then. */
static void mem_report_least(void)
{
	const long *v = mem_seen.where.v;
	long anon = v[MW_IANON] + v[MW_AANON], file = v[MW_IFILE] + v[MW_AFILE];
	long slab = v[MW_SLAB_R] + v[MW_SLAB_U], kstack = v[MW_KSTACK_KB] / (PAGE / 1024);
	long iso = v[MW_ISO_A] + v[MW_ISO_F], other;
	size_t k;

	for (k = 0; k < NR_MW; k++)
		if (v[k] < 0)
			return;
	other = mem_seen.least.managed - mem_seen.least.free - mem_seen.least.pcp - anon -
		file - v[MW_UNEV] - slab - v[MW_PT] - kstack - iso;
	printf("# memory at its least: free %ld, per-CPU %ld, min %ld; anon %ld (shmem %ld, "
	       "THPs %ld), file %ld, unevictable %ld, slab %ld, page tables %ld, kernel "
	       "stacks %ld, isolated %ld, other %ld, of %ld managed\n", mem_seen.least.free,
	       mem_seen.least.pcp, mem_seen.least.min, anon, v[MW_SHMEM], v[MW_THP], file,
	       v[MW_UNEV], slab, v[MW_PT], kstack, iso, other, mem_seen.least.managed);
}

static void mem_report(void)
{
	if (!mem_seen.n)
		return;
	printf("# memory, %ld samples: free pages mean %ld, least %ld; on per-CPU lists "
	       "mean %ld, most %ld; below min %ld, watermark boosted %ld\n", mem_seen.n,
	       mem_seen.free_sum / mem_seen.n, mem_seen.least.free,
	       mem_seen.pcp_sum / mem_seen.n, mem_seen.pcp_max, mem_seen.below_min,
	       mem_seen.boosted);
	mem_report_least();
}

/* whether a worker has not exited yet (asked without reaping it) */
static bool worker_running(pid_t pid)
{
	siginfo_t info = { 0 };

	return pid && !waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) &&
	       !info.si_pid;
}

/*
 * Until the deadline, every 30 s: a data worker that has not finished one
 * round yet is printed with where it waits (its state and kernel stack),
 * the hint when a worker ends with 0 rounds.  Every 10 s until the last
 * worker has exited (a memory offline begun before the deadline may run
 * on past it, retries included), a worker that has been inside one long
 * call for 15 s or more, with its stack.
 */
static void watch_workers(const pid_t *pids)
{
	unsigned int tick;
	bool running;
	time_t since;
	int k;

	for (tick = 1; ; tick++) {
		sleep(1);
		for (k = 0, running = false; k < NR_WORKERS; k++)
			running |= worker_running(pids[k]);
		if (!running)
			return;
		mem_note();
		if (tick % 10)
			continue;
		for (k = 0; k < NR_WORKERS; k++) {
			if (tick % 30 == 0 && time(NULL) < deadline)
				report_no_round(pids, k);
			since = stats[k].busy_since;
			if (pids[k] && since && time(NULL) - since >= 15) {
				printf("# %s: in one call for %ld s:\n", worker_name[k],
				       (long)(time(NULL) - since));
				print_stack(pids[k]);
			}
		}
		fflush(stdout);
	}
}

/* -F: the fault phases, one per min-order, while the workers run. */
static long fault_phases(void)
{
	static const int min_order[] = { 0, 3, 9 };
	long injected = 0, n;
	unsigned int i;

	printf("# faults: 10%% of the page allocations of the workers and of %d kcompactd "
	       "thread(s) fail\n", mark_kcompactd("1"));
	for (i = 0; i < 3; i++) {
		time_t end = deadline - (time_t)(2 - i) * seconds / 3;

		if (faults_on(10, min_order[i]))
			return -1;
		while (time(NULL) < end)
			sleep_ms(200);
		n = faults_off();
		printf("# faults: min-order %d: %ld allocations failed\n", min_order[i], n);
		if (n < 0)
			return -1;
		injected += n;
	}
	mark_kcompactd("0");
	return injected;
}

/*
 * The CMA case with watermark boosting off, then as it was.  The load's
 * fill stops at MemFree less CmaFree of MemTotal / 32 (64 MiB): deep enough
 * for the allocator to serve movable faults from the area.  Boosting (a
 * fallback steal raises a zone's watermarks by up to 150% of its high mark
 * until kswapd has reclaimed) once put node 0's min at 49.6 MiB with 30 MiB
 * of boost, both nodes' mins at 76 MiB, above that floor: the oom-killer
 * took the load before it was in place (make stress, 2 CPUs, 23:31).
 */
static int cma_case_unboosted(int secs, int min_pct)
{
	const char *knob = "/proc/sys/vm/watermark_boost_factor";
	char old[32] = "";
	int rc;

	if (read_str(knob, old, sizeof(old)) || write_str(knob, "0")) {
		printf("not ok 1 cma-case: %s: %s\n", knob, strerror(errno));
		return 1;
	}
	sleep_ms(2000);		/* kswapd drops the boosts it was woken for */
	rc = cma_case(secs, min_pct);
	if (write_str(knob, old))
		printf("# cma-case: restoring %s: %s\n", knob, strerror(errno));
	return rc;
}

int main(int argc, char **argv)
{
	long before[NR_COUNTERS], after[NR_COUNTERS], iso_anon, iso_file, injected = 0;
	pid_t pids[NR_WORKERS] = { 0 };
	uint64_t bytes = 0, mismatch = 0;
	int opt, k, waited, status, nworkers = 0, cma_secs = 0, min_pct = 50, kill_secs = 0;
	long size_kb = 0;
	size_t i;

	while ((opt = getopt(argc, argv, "t:s:d:D:f:FC:P:K:w:")) != -1) {
		switch (opt) {
		case 't': seconds = atoi(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'd': dimm_addr = strtoull(optarg, NULL, 0); break;
		case 'D': dimm_bytes = strtoull(optarg, NULL, 0); break;
		case 'f': size_kb = atol(optarg); break;
		case 'F': fault_mode = true; break;
		case 'C': cma_secs = atoi(optarg); break;
		case 'P': min_pct = atoi(optarg); break;
		case 'K': kill_secs = atoi(optarg); break;
		case 'w':
			for (k = 0; k < NR_WORKERS; k++)
				if (strstr(optarg, worker_name[k]))
					only[k] = only_some = true;
			break;
		default: usage(argv[0]);
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	stats = mmap(NULL, sizeof(*stats) * NR_WORKERS, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (stats == MAP_FAILED)
		return 1;
	if (cma_secs)
		return cma_case_unboosted(cma_secs, min_pct);
	if (kill_secs)
		return kill_case(kill_secs);
	if (fault_mode)
		seconds /= 2;
	for (k = 0; k < NR_WORKERS; k++)
		nworkers += (!fault_mode || fault_worker[k]) && (!only_some || only[k]);
	if (only_some)
		for (k = 0; k < NR_WORKERS; k++)
			if (!only[k])
				stats[k].done = 2;	/* not asked for: not run */
	nr_nodes = node_count();
	memory_nodes();
	free_kb_start = stat_field("/proc/meminfo", "MemFree:");
	printf("TAP version 13\n");
	printf("1..%d\n", nworkers + 5);
	printf("# stress%s: seed %" PRIu64 ", %d s, %d node(s), %d with memory, MemFree %ld kB "
	       "at the start\n", fault_mode ? " -F" : "", seed, seconds, nr_nodes, nr_mem_nodes,
	       free_kb_start);
	if (!fault_mode)
		idle_compaction();
	if (!fault_mode && setup())
		printf("# the file worker will fail\n");
	else if (fault_mode)
		write_str("/sys/kernel/mm/transparent_hugepage/enabled", "always");
	for (i = 0; i < NR_COUNTERS; i++)
		before[i] = vmstat(counters[i]);

	deadline = time(NULL) + seconds;
	for (k = 0; k < NR_WORKERS; k++) {
		if ((fault_mode && !fault_worker[k]) || stats[k].done == 2)
			continue;
		pids[k] = fork();
		if (!pids[k]) {
			run_worker(k, size_kb ? size_kb : free_kb_start);
			fflush(stdout);
			_exit(0);
		}
	}
	if (fault_mode)
		injected = fault_phases();
	else
		watch_workers(pids);
	mem_report();
	for (k = 0; k < NR_WORKERS; k++) {
		if (!pids[k])
			continue;
		if (waitpid(pids[k], &status, 0) != pids[k] || !WIFEXITED(status) ||
		    WEXITSTATUS(status)) {
			printf("# %s: ended abnormally (status 0x%x)\n", worker_name[k], status);
			stats[k].errors++;
		}
	}
	if (!fault_mode)
		teardown();
	else
		write_str("/proc/sys/vm/compaction_proactiveness", "20");
	/* the isolated pages of the last runs go back within seconds */
	for (waited = 0; waited < 10; waited++) {
		iso_anon = vmstat("nr_isolated_anon");
		iso_file = vmstat("nr_isolated_file");
		if (!iso_anon && !iso_file)
			break;
		sleep(1);
	}
	for (i = 0; i < NR_COUNTERS; i++) {
		after[i] = vmstat(counters[i]);
		printf("# %s: +%ld\n", counters[i], after[i] - before[i]);
	}

	if (fault_mode) {
		me = W_ANON;
		recovery();
	}
	for (k = 0; k < NR_WORKERS; k++) {
		bytes += stats[k].bytes;
		mismatch += stats[k].mismatch;
	}
	tap(!mismatch && bytes, "data: %" PRIu64 " mismatched words in %" PRIu64 " bytes verified",
	    mismatch, bytes);
	for (k = 0; k < NR_WORKERS; k++)
		if (!fault_mode || fault_worker[k])
			report_worker(k);
	if (fault_mode) {
		tap(injected > 0, "faults: %ld page allocations failed on purpose", injected);
	} else {
		long migrated = after[0] - before[0], stalls = after[5] - before[5];
		long wakes = after[8] - before[8], dscan = after[9] - before[9];
		long total_pages = stat_field("/proc/meminfo", "MemTotal:") / (PAGE / 1024);
		long want = total_pages / MIGRATED_SHARE_PER_MIN * seconds / 60;

		/*
		 * With -w (the odd machines: short runs, small guests) direct
		 * compaction and kcompactd are counted but not required: frag
		 * alone seldom runs out of free blocks there.
		 */
		bool others = only_some || (stalls >= MIN_STALLS && dscan > 0);
		const char *excused = only_some ? ", not with -w" : "";

		tap(migrated >= want && others && stats[W_COMPACT].ops[0] &&
		    stats[W_COMPACT].ops[1],
		    "compaction: pgmigrate_success +%ld (>= %ld), compact_stall +%ld (>= %d%s), "
		    "compact_daemon_migrate_scanned +%ld (> 0%s), compact_daemon_wake +%ld "
		    "(not required), %" PRIu64 " compact_memory and %" PRIu64 " nodeN/compact writes",
		    migrated, want, stalls, MIN_STALLS, excused, dscan, excused, wakes,
		    stats[W_COMPACT].ops[0], stats[W_COMPACT].ops[1]);
	}
	tap(nr_mem_nodes < 2 || stats[W_MIGRATE].ops[1] > 0,
	    "numa: %d nodes, %d with memory, %" PRIu64 " pages moved by move_pages, %" PRIu64
	    " migrate_pages calls",
	    nr_nodes, nr_mem_nodes, stats[W_MIGRATE].ops[1], stats[W_MIGRATE].ops[2]);
	tap(!iso_anon && !iso_file, "isolated: nr_isolated_anon %ld, nr_isolated_file %ld after %ds",
	    iso_anon, iso_file, waited);
	printf("# stress%s: %s: %" PRIu64 " bytes verified, %" PRIu64 " mismatched words, "
	       "%ld pages migrated, %" PRIu64 " CMA rounds, %" PRIu64 " hotplug rounds, "
	       "%ld faults injected\n", fault_mode ? " -F" : "",
	       all_ok ? "PASS" : "FAIL", bytes, mismatch, after[0] - before[0],
	       stats[W_CMA].rounds, stats[W_HOTPLUG].rounds, injected);
	return all_ok ? 0 : 1;
}
