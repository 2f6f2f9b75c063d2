// SPDX-License-Identifier: GPL-2.0
/*
 * workload - the memory layouts 'make bench' compacts, built the same way
 * (fixed seeds, fixed patterns) on every kernel.
 *
 * usage: workload KIND PERCENT READYFILE [SEED]
 *        workload plan SEED PFN...
 *        workload fastpath MIB ROUNDS
 *        workload touch
 *
 *   holes     map PERCENT of MemFree as private anonymous memory, write a
 *             per-page pattern into every page, then in every 2 MiB region
 *             free the same 7 of each 8 pages (keep page i when i % 8 == 0):
 *             no 2 MiB block is free, each keeps 64 pages.
 *   gradient  like holes, but what stays is chosen by physical frame
 *             number (read from /proc/self/pagemap: run as root): a page
 *             at pfn p stays iff p % 512 < plan(p / 512), so each physical
 *             pageblock keeps its planned share of the pages we hold in it,
 *             and the same SEED gives every pageblock the same plan on
 *             every boot and kernel.  plan(b) = 8 + perm[b % 512] * 496 /
 *             511, perm a SEED-shuffled 0..511: every aligned GiB of
 *             pageblocks gets each share from 8 to 504 pages once, so which
 *             blocks a compactor evacuates decides how many pages it moves.
 *             "plan" prints plan(p / 512) for each PFN given.
 *   quarter   like gradient, but the page at pfn p stays iff p % 4 == 0:
 *             every pageblock keeps 128 pages, a regular layout that has
 *             made compactors give up while blocks could still be freed.
 *   mixed     anonymous memory, tmpfs page cache and unmovable kernel
 *             allocations (pipe buffers, queued AF_UNIX socket data, small
 *             files' inodes and dentries) interleaved chunk by chunk, then
 *             half of the anonymous and page-cache memory freed.
 *   mixed-unmovable
 *             unmovable pages scattered over many movable pageblocks by
 *             fallback steals.  (1) PERCENT of MemFree as anonymous memory,
 *             every eighth page freed: order-0 holes in every block;
 *             (2) the free pageblocks left eaten by huge pages (a
 *             MADV_HUGEPAGE region faulted 2 MiB at a time until a fault
 *             is not huge; the caller sets THP enabled=madvise,
 *             defrag=never, so no compaction), so free memory is only
 *             holes (the huge pages are freed again after (3));
 *             (3) unmovable allocations (a pipe page each; every
 *             16th also a small tmpfs file, every 64th also an AF_UNIX
 *             socket pair with 2 KiB queued) interleaved one to one with
 *             new anonymous pages until 3/4 of the holes are used, or
 *             free memory is down to twice the high watermarks plus 16
 *             MiB: every unmovable page is a fallback steal from a
 *             movable block;
 *             (4) then region r of (1) frees d_r more of each 8 pages, d_r
 *             from 1 to 6 drawn with SEED.  On the first SIGUSR1 it goes
 *             on allocating unmovable (half as many again, interleaved as
 *             in (3)), writes READYFILE.late and waits for a second
 *             SIGUSR1: the caller looks at where they landed meanwhile.
 *   thp       holes, then (once woken, see below) fault in a new region
 *             2 MiB at a time and print, per fault, its latency and whether
 *             a huge page backs it.  THP enabled=always and defrag=always
 *             are the caller's to set.
 *
 *   fastpath  no layout and no compaction: the allocator's fast paths as a
 *             task meets them, for a side-by-side check that ours costs
 *             them nothing.  ROUNDS times: map MIB MiB without THP, write
 *             one byte into each 4 KiB page (a fault: an order-0 page off
 *             the per-CPU lists, zeroed, mapped), unmap it (the pages back
 *             to the lists); then the same MIB in 2 MiB faults of a
 *             MADV_HUGEPAGE region (an order-9 page from the buddy lists;
 *             the caller sets THP enabled=madvise, defrag=never, so none
 *             of them compacts), unmapped again.  One line a round:
 *               FASTPATH <fault4k> <unmap4k> <fault2m> <unmap2m> <huge>
 *             nanoseconds per 4 KiB fault, per 4 KiB page unmapped, per
 *             2 MiB fault, per 2 MiB unmapped, and how many of the 2 MiB
 *             faults got a huge page.
 *
 *   touch     writes all the memory it can take once and gives it back, so
 *             that QEMU backs the guest's memory before anything is timed
 *             (see touch() below); guest-bench runs it first, every run.
 *
 * After building the layout the program writes "ready" to READYFILE (a
 * file it creates, or a FIFO the caller made) and waits for SIGUSR1: the
 * caller compacts (or, for thp, nothing) meanwhile.  On SIGUSR1 'thp' runs
 * its faults; every kind then checks that each kept anonymous page still
 * holds its pattern, prints one line
 *   WORKLOAD kind=K kept=N bad=B [faults=F huge=H] [unmovable=U]
 * and exits 0 if nothing was corrupted.  thp prints one line per fault
 * before it: "FAULT <ns> <0|1>".  The line printed when the layout is
 * ready, "WORKLOAD ready kind=K regions=R base=0xADDR pages=N", names the
 * main anonymous region.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PAGE		4096UL
#define REGION_PAGES	512UL
#define REGION		(REGION_PAGES * PAGE)
#define PFN_MASK	((1ULL << 55) - 1)
#define PM_PRESENT	(1ULL << 63)

/* ===================================================================== */
/* Helpers                                                               */
/* ===================================================================== */

static volatile sig_atomic_t woken;

static void on_usr1(int sig)
{
	(void)sig;
	woken++;
}

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static unsigned long memfree_bytes(void)
{
	char line[256];
	unsigned long kib = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		die("/proc/meminfo");
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %lu kB", &kib) == 1)
			break;
	fclose(f);
	return kib * 1024;
}

static uint64_t pattern(unsigned long i)
{
	return 0x9e3779b97f4a7c15ULL * (i + 1);
}

/* xorshift64*: a fixed sequence for a fixed seed, on every libc */
static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Map @len bytes of anonymous memory 2 MiB-aligned, without THP. */
static char *map_anon(unsigned long len, int thp)
{
	char *raw, *mem;

	raw = mmap(NULL, len + REGION, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		die("mmap");
	mem = (char *)(((uintptr_t)raw + REGION - 1) & ~(REGION - 1));
	madvise(mem, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	return mem;
}

/* ===================================================================== */
/* The anonymous layouts: which pages of a region stay                   */
/* ===================================================================== */

struct anon {
	char *mem;
	unsigned long regions;
	unsigned char *keepmap;	/* a bit per page: kept */
	int stride;		/* else: keep page i when i % stride == 0 */
};

static int kept(const struct anon *a, unsigned long r, unsigned long i)
{
	unsigned long idx = r * REGION_PAGES + i;

	if (a->keepmap)
		return (a->keepmap[idx / 8] >> (idx % 8)) & 1;
	return i % a->stride == 0;
}

static void set_kept(struct anon *a, unsigned long idx, int keep)
{
	if (keep)
		a->keepmap[idx / 8] |= 1 << (idx % 8);
	else
		a->keepmap[idx / 8] &= ~(1 << (idx % 8));
}

static void keepmap_alloc(struct anon *a)
{
	a->keepmap = calloc((a->regions * REGION_PAGES + 7) / 8, 1);
	if (!a->keepmap)
		die("calloc");
}

static void fill(struct anon *a)
{
	unsigned long n = a->regions * REGION_PAGES, i;

	for (i = 0; i < n; i++)
		*(uint64_t *)(a->mem + i * PAGE) = pattern(i);
}

/* Free the pages not kept, as runs, so the syscalls stay few. */
static void punch(struct anon *a)
{
	unsigned long r, i, start;

	for (r = 0; r < a->regions; r++) {
		char *base = a->mem + r * REGION;

		for (i = 0; i < REGION_PAGES; i++) {
			if (kept(a, r, i))
				continue;
			start = i;
			while (i + 1 < REGION_PAGES && !kept(a, r, i + 1))
				i++;
			madvise(base + start * PAGE, (i - start + 1) * PAGE,
				MADV_DONTNEED);
		}
	}
}

static unsigned long verify(const struct anon *a, unsigned long *nkept)
{
	unsigned long r, i, bad = 0;

	*nkept = 0;
	for (r = 0; r < a->regions; r++)
		for (i = 0; i < REGION_PAGES; i++) {
			unsigned long idx = r * REGION_PAGES + i;

			if (!kept(a, r, i))
				continue;
			(*nkept)++;
			if (*(uint64_t *)(a->mem + idx * PAGE) != pattern(idx))
				bad++;
		}
	return bad;
}

/* gradient's plan: pages kept in physical pageblock b, see the top */
#define PLAN_PERIOD	512UL
static unsigned short plan_perm[PLAN_PERIOD];

static void plan_init(void)
{
	unsigned long b, j;

	for (b = 0; b < PLAN_PERIOD; b++)
		plan_perm[b] = b;
	for (b = PLAN_PERIOD - 1; b > 0; b--) {
		unsigned short t;

		j = rng() % (b + 1);
		t = plan_perm[b];
		plan_perm[b] = plan_perm[j];
		plan_perm[j] = t;
	}
}

static unsigned long plan(uint64_t block)
{
	return 8 + plan_perm[block % PLAN_PERIOD] * 496 / (PLAN_PERIOD - 1);
}

/* gradient: keep the page at @pfn iff its offset is below its block's plan */
static int gradient_keeps(uint64_t pfn)
{
	return pfn % REGION_PAGES < plan(pfn / REGION_PAGES);
}

/* quarter: keep every fourth page by physical frame number */
static int quarter_keeps(uint64_t pfn)
{
	return pfn % 4 == 0;
}

/*
 * Keep a page iff @keeps says so of its pfn (gradient: its offset in its
 * pageblock is below the block's plan).  The pages must be faulted in:
 * their pfns are read here.
 */
static void keep_by_pfn(struct anon *a, int (*keeps)(uint64_t pfn))
{
	static uint64_t ent[REGION_PAGES];
	unsigned long r, i;
	int pm = open("/proc/self/pagemap", O_RDONLY);

	if (pm < 0)
		die("/proc/self/pagemap");
	keepmap_alloc(a);
	plan_init();
	for (r = 0; r < a->regions; r++) {
		off_t off = (uintptr_t)(a->mem + r * REGION) / PAGE * 8;

		if (pread(pm, ent, sizeof(ent), off) != (ssize_t)sizeof(ent))
			die("pagemap read");
		for (i = 0; i < REGION_PAGES; i++) {
			uint64_t pfn = ent[i] & PFN_MASK;

			if (!(ent[i] & PM_PRESENT) || !pfn) {
				fprintf(stderr, "workload: no pfn in pagemap (not root?)\n");
				exit(2);
			}
			set_kept(a, r * REGION_PAGES + i, keeps(pfn));
		}
	}
	close(pm);
}

/* ===================================================================== */
/* mixed: movable memory with unmovable kernel allocations in between     */
/* ===================================================================== */

#define MIXED_CHUNK	(8 * REGION)

static void unmovable_bits(int n)
{
	static char buf[65536];
	int p[2], s[2], fd;
	char name[64];

	memset(buf, n, sizeof(buf));
	/* a pipe holding 64 KiB: its buffer pages are unmovable */
	if (pipe(p) == 0) {
		fcntl(p[1], F_SETFL, O_NONBLOCK);
		if (write(p[1], buf, sizeof(buf)) < 0)
			perror("pipe write");
	}
	/* a socket pair with data queued: skbs, unmovable */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, s) == 0) {
		fcntl(s[0], F_SETFL, O_NONBLOCK);
		if (write(s[0], buf, 16384) < 0)
			perror("socket write");
	}
	/* small files: inodes and dentries in slab */
	for (int i = 0; i < 16; i++) {
		snprintf(name, sizeof(name), "/tmp/mixed/f%d-%d", n, i);
		fd = open(name, O_CREAT | O_WRONLY, 0600);
		if (fd >= 0) {
			if (write(fd, name, strlen(name)) < 0)
				perror("small file");
			close(fd);
		}
	}
}

/*
 * Alternate 16 MiB of anonymous memory, 16 MiB of tmpfs page cache and a
 * few unmovable allocations until the budget is spent, then free every
 * other 4 KiB page of the anonymous memory and truncate every other
 * page-cache file.  Returns the anonymous part as an anon layout.
 */
static void mixed(struct anon *a, unsigned long budget)
{
	unsigned long chunks = budget / (2 * MIXED_CHUNK), c;
	static char page[PAGE];
	int fd;
	char name[64];

	mkdir("/tmp/mixed", 0700);
	a->regions = chunks * (MIXED_CHUNK / REGION);
	a->stride = 2;
	a->mem = map_anon(a->regions * REGION, 0);
	for (c = 0; c < chunks; c++) {
		unsigned long first = c * (MIXED_CHUNK / PAGE), i;

		for (i = 0; i < MIXED_CHUNK / PAGE; i++)
			*(uint64_t *)(a->mem + (first + i) * PAGE) = pattern(first + i);
		snprintf(name, sizeof(name), "/tmp/mixed/cache%lu", c);
		fd = open(name, O_CREAT | O_RDWR, 0600);
		if (fd < 0)
			die(name);
		memset(page, (int)c, sizeof(page));
		for (i = 0; i < MIXED_CHUNK / PAGE; i++)
			if (write(fd, page, PAGE) != (ssize_t)PAGE)
				die("page cache write");
		close(fd);
		unmovable_bits((int)c);
	}
	/* only now free: had they gone at once, later chunks would refill the holes */
	for (c = 1; c < chunks; c += 2) {
		snprintf(name, sizeof(name), "/tmp/mixed/cache%lu", c);
		if (truncate(name, 0))
			perror(name);
	}
	punch(a);
}

/* ===================================================================== */
/* thp: fault in a new region 2 MiB at a time                             */
/* ===================================================================== */

static int is_huge(char *addr)
{
	uint64_t ent, flags;
	int pm, kf, huge = 0;

	pm = open("/proc/self/pagemap", O_RDONLY);
	kf = open("/proc/kpageflags", O_RDONLY);
	if (pm >= 0 && kf >= 0 &&
	    pread(pm, &ent, 8, (uintptr_t)addr / PAGE * 8) == 8 &&
	    (ent >> 63) && (ent & ((1ULL << 55) - 1)) &&
	    pread(kf, &flags, 8, (ent & ((1ULL << 55) - 1)) * 8) == 8)
		huge = !!(flags & (1ULL << 22));	/* KPF_THP */
	if (pm >= 0)
		close(pm);
	if (kf >= 0)
		close(kf);
	return huge;
}

static void thp_faults(unsigned long len, unsigned long *faults,
		       unsigned long *huge)
{
	char *mem = map_anon(len, 1);
	unsigned long off;

	*faults = *huge = 0;
	for (off = 0; off < len; off += REGION) {
		uint64_t t0 = now_ns();

		mem[off] = 1;
		t0 = now_ns() - t0;
		(*faults)++;
		if (is_huge(mem + off)) {
			(*huge)++;
			printf("FAULT %llu 1\n", (unsigned long long)t0);
		} else {
			printf("FAULT %llu 0\n", (unsigned long long)t0);
		}
	}
}

/* ===================================================================== */
/* mixed-unmovable: unmovable pages stolen page by page from movable blocks */
/* ===================================================================== */

/*
 * Every allocation here is order 0 or may fail without reclaim: in this
 * layout free memory is all order-0 holes, and stock 6.12 OOM-killed the
 * workload for one order-2 unmovable allocation (the ring F_SETPIPE_SZ
 * allocates for 256 buffers).  So pipes keep their 16 default buffers, and
 * a socket gets one skb with no page fragments (those try order 3 and
 * wake kswapd, and kswapd kcompactd, which would compact while we build).
 */
#define MU_PIPE_PAGES	16
#define MU_SOCK_BYTES	2048

/*
 * Stop taking memory below twice the zones' high watermarks plus 16 MiB
 * (enabling THP raises min_free_kbytes, so read them while building).
 */
static unsigned long high_watermarks(void)
{
	unsigned long high, sum = 0;
	char line[256];
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		die("/proc/zoneinfo");
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " high %lu", &high) == 1)
			sum += high;
	fclose(f);
	return sum * PAGE;
}

/*
 * What a user page fault may still take before some zone is down to its
 * high watermark: per zone, the free pages above the high watermark and
 * above what the zone keeps back from allocations that could use a
 * higher zone (lowmem_reserve, the largest of "protection:" in
 * /proc/zoneinfo).  MemFree counts those kept-back pages too: on an
 * 8 GiB guest DMA32 keeps 6,002 pages (23 MiB) from a fault that may use
 * Normal, and a touch that stopped by MemFree ran into the oom-killer.
 */
static unsigned long takeable_bytes(void)
{
	unsigned long v, free = 0, high = 0, keep = 0, sum = 0;
	char line[512], *p;
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		die("/proc/zoneinfo");
	/* each zone is added when the next begins, and at the end */
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Node ", 5)) {
			if (free > high + keep)
				sum += free - high - keep;
			free = high = keep = 0;
		} else if (sscanf(line, " pages free %lu", &v) == 1) {
			free = v;
		} else if (sscanf(line, " high %lu", &v) == 1) {
			high = v;
		} else if ((p = strstr(line, "protection: ("))) {
			for (p += 13; *p && *p != ')'; p++) {
				v = strtoul(p, &p, 10);
				if (v > keep)
					keep = v;
				if (*p == ')')
					break;
			}
		}
	}
	if (free > high + keep)
		sum += free - high - keep;
	fclose(f);
	return sum * PAGE;
}

static unsigned long mu_floor(void)
{
	return 2 * high_watermarks() + (16UL << 20);
}

/* The unmovable allocations made so far, and what holds them. */
static struct {
	int pipe_fd;		/* write end of the pipe being filled, or -1 */
	unsigned long in_pipe;	/* pages queued in it */
	unsigned long pages, files, socks, failed;
} mu = { .pipe_fd = -1 };

/* One more unmovable page (a pipe buffer), and now and then slab. */
static void mu_unmovable(void)
{
	static char buf[PAGE];
	char name[64];
	int p[2], sk[2], fd;

	if (mu.pipe_fd < 0 || mu.in_pipe == MU_PIPE_PAGES) {
		/* both ends stay open: nobody reads, the pages stay queued */
		if (pipe(p)) {
			mu.failed++;
			return;
		}
		fcntl(p[1], F_SETFL, O_NONBLOCK);
		mu.pipe_fd = p[1];
		mu.in_pipe = 0;
	}
	memset(buf, (int)mu.pages, PAGE);
	/* a whole page written after a full buffer takes a new page */
	if (write(mu.pipe_fd, buf, PAGE) == (ssize_t)PAGE) {
		mu.in_pipe++;
		mu.pages++;
	} else {
		mu.in_pipe = MU_PIPE_PAGES;	/* full: a new pipe next time */
		mu.failed++;
		return;
	}
	if (mu.pages % 16 == 0) {	/* an inode and a dentry, slab */
		snprintf(name, sizeof(name), "/tmp/mixed-u/f%lu", mu.files);
		fd = open(name, O_CREAT | O_WRONLY, 0600);
		if (fd >= 0) {
			if (write(fd, name, strlen(name)) < 0)
				mu.failed++;
			close(fd);
			mu.files++;
		}
	}
	if (mu.pages % 64 == 0 && !socketpair(AF_UNIX, SOCK_STREAM, 0, sk)) {
		fcntl(sk[0], F_SETFL, O_NONBLOCK);
		if (write(sk[0], buf, MU_SOCK_BYTES) < 0)	/* an skb */
			mu.failed++;
		mu.socks++;
	}
}

/*
 * Up to @n unmovable pages, each followed by a new page of @b (written
 * with its pattern, from page *@next on); stops early near mu_floor().
 */
static void mu_interleave(struct anon *b, unsigned long *next, unsigned long n)
{
	unsigned long i, max = b->regions * REGION_PAGES, floor = mu_floor();

	for (i = 0; i < n && *next < max; i++) {
		if (i % 256 == 0 && memfree_bytes() < floor)
			break;
		mu_unmovable();
		*(uint64_t *)(b->mem + *next * PAGE) = pattern(*next);
		(*next)++;
	}
}

/*
 * Fault in huge pages 2 MiB at a time until one is not huge: the free
 * pageblocks are used up.  Returns how many; *@t and *@len the mapping.
 */
static unsigned long mu_eat_free_blocks(char **t, unsigned long *len)
{
	unsigned long floor = mu_floor(), r;

	*len = memfree_bytes() & ~(REGION - 1);
	*t = map_anon(*len, 1);
	for (r = 0; r < *len / REGION; r++) {
		if (memfree_bytes() < floor + REGION)
			break;
		(*t)[r * REGION] = 1;
		if (!is_huge(*t + r * REGION))
			break;
	}
	/* keep khugepaged away from the rest */
	madvise(*t, *len, MADV_NOHUGEPAGE);
	return r;
}

struct mu_layout {
	struct anon a;		/* the big region, with holes */
	struct anon b, c;	/* new pages between unmovable ones */
	unsigned long huge, b_used, c_used, built;
};

static void mu_map(struct anon *x, unsigned long pages)
{
	x->regions = (pages + REGION_PAGES - 1) / REGION_PAGES;
	x->mem = map_anon(x->regions * REGION, 0);
	x->stride = 1;
}

static void mixed_unmovable(struct mu_layout *l, unsigned long budget)
{
	struct rlimit nofile = { 65536, 65536 };
	unsigned long r, i, room, t_len;
	char *t;

	setrlimit(RLIMIT_NOFILE, &nofile);
	mkdir("/tmp/mixed-u", 0700);
	/* (1) every eighth page freed */
	l->a.regions = budget / REGION;
	l->a.mem = map_anon(l->a.regions * REGION, 0);
	keepmap_alloc(&l->a);
	for (i = 0; i < l->a.regions * REGION_PAGES; i++)
		set_kept(&l->a, i, i % 8 != 7);
	fill(&l->a);
	punch(&l->a);
	/* (2) no free pageblock left */
	l->huge = mu_eat_free_blocks(&t, &t_len);
	/* (3) 3/4 of the holes: half unmovable, half movable */
	room = l->a.regions * REGION_PAGES / 8 * 3 / 8;
	mu_map(&l->b, room);
	mu_map(&l->c, room / 2 + 1);
	mu_interleave(&l->b, &l->b_used, room);
	l->built = mu.pages;
	/*
	 * The huge pages were only there to keep fallbacks page by page:
	 * their blocks go back free (a compactor that cannot place a huge
	 * page is another story, not this workload's).
	 */
	munmap(t, t_len + REGION);
	/* (4) region r frees d_r more of each 8 pages */
	for (r = 0; r < l->a.regions; r++) {
		unsigned long d = 1 + rng() % 6;

		for (i = 0; i < REGION_PAGES; i++)
			if (i % 8 < d)
				set_kept(&l->a, r * REGION_PAGES + i, 0);
	}
	punch(&l->a);
}

/* After compaction: half as many unmovable pages again. */
static void mixed_unmovable_late(struct mu_layout *l)
{
	mu_interleave(&l->c, &l->c_used, l->built / 2);
}

/* @x's first @used pages hold their pattern; the rest were never used. */
static unsigned long verify_first(const struct anon *x, unsigned long used,
				  unsigned long *nkept)
{
	unsigned long i, bad = 0;

	for (i = 0; i < used; i++)
		if (*(uint64_t *)(x->mem + i * PAGE) != pattern(i))
			bad++;
	*nkept += used;
	return bad;
}

/* ===================================================================== */
/* main                                                                   */
/* ===================================================================== */

/* Write "ready" to @readyfile (a file or a FIFO), wait for one more SIGUSR1. */
static void wait_for_usr1(const char *readyfile)
{
	sig_atomic_t want = woken + 1;
	sigset_t set, old;
	FILE *f;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	sigdelset(&old, SIGUSR1);
	signal(SIGUSR1, on_usr1);
	f = fopen(readyfile, "w");
	if (!f || fputs("ready\n", f) < 0 || fclose(f))
		die(readyfile);
	while (woken < want)
		sigsuspend(&old);
}

/* workload plan SEED PFN...: gradient's plan for each pfn's pageblock */
static int print_plan(int argc, char **argv)
{
	int i;

	rng_state = strtoull(argv[2], NULL, 0);
	if (!rng_state)
		rng_state = 1;
	plan_init();
	for (i = 3; i < argc; i++)
		printf("%lu\n", plan(strtoull(argv[i], NULL, 0) / REGION_PAGES));
	return 0;
}

/* ===================================================================== */
/* touch: have the host back the guest's memory before anything is timed  */
/* ===================================================================== */

/*
 * QEMU backs guest memory with host pages only when the guest first writes
 * it: a guest page's first write costs a host page fault.  Without this,
 * a 2 MiB THP fault served from a free block the guest never used cost
 * 8.8 to 12 ms under TCG, more than one that compacted first (5.4 to
 * 10 ms), and a kernel that left more free blocks looked slower.  So every
 * run first writes all the memory it can take, 2 MiB at a time in 4 KiB
 * pages, until what it may take is within 6 MiB of the zones' high
 * watermarks (above the low ones, where kswapd would wake; see
 * takeable_bytes()), and gives it back.  A share of MemFree
 * would not do: the layouts take the pages freed last first, and a kernel
 * with more free blocks left would meet the ones never written (stopping
 * at twice the high watermarks plus 16 MiB left ~18 such blocks: 9 to
 * 17 ms faults).  A THP fault goes down to the low watermarks, below
 * where this stops, so bench.py also has QEMU back all guest memory at
 * its start (-mem-prealloc); this step stays, so that the layouts begin
 * from the same free lists as before.
 */
static int touch(void)
{
	unsigned long off, n = 0, max = 1UL << 20;
	char **chunk = calloc(max, sizeof(*chunk));

	if (!chunk)
		die("calloc");
	while (n < max && takeable_bytes() > 3 * REGION) {
		chunk[n] = map_anon(REGION, 0);
		for (off = 0; off < REGION; off += PAGE)
			chunk[n][off] = 1;
		n++;
	}
	while (n--)
		if (munmap(chunk[n], REGION))
			die("munmap");
	free(chunk);
	return 0;
}

/* ===================================================================== */
/* fastpath: the allocator's fast paths, no compaction                   */
/* ===================================================================== */

static int fastpath(unsigned long mib, unsigned long rounds)
{
	unsigned long len = mib << 20, r, off, huge;
	uint64_t t0, fault4k, unmap4k, fault2m, unmap2m;
	char *mem;

	if (!mib || !rounds)
		return 2;
	for (r = 0; r < rounds; r++) {
		mem = map_anon(len, 0);
		t0 = now_ns();
		for (off = 0; off < len; off += PAGE)
			mem[off] = 1;
		fault4k = now_ns() - t0;
		t0 = now_ns();
		if (munmap(mem, len))
			die("munmap");
		unmap4k = now_ns() - t0;

		mem = map_anon(len, 1);
		huge = 0;
		t0 = now_ns();
		for (off = 0; off < len; off += REGION)
			mem[off] = 1;
		fault2m = now_ns() - t0;
		for (off = 0; off < len; off += REGION)
			huge += is_huge(mem + off);
		t0 = now_ns();
		if (munmap(mem, len))
			die("munmap");
		unmap2m = now_ns() - t0;
		/* map_anon()'s unaligned head and tail stay mapped, untouched */
		printf("FASTPATH %llu %llu %llu %llu %lu\n",
		       (unsigned long long)(fault4k / (len / PAGE)),
		       (unsigned long long)(unmap4k / (len / PAGE)),
		       (unsigned long long)(fault2m / (len / REGION)),
		       (unsigned long long)(unmap2m / (len / REGION)), huge);
		fflush(stdout);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct mu_layout mul = { 0 };
	struct anon a = { 0 };
	unsigned long pct, budget, nkept, bad, faults = 0, huge = 0;
	char late[4096];
	const char *kind;
	int mixed_u;

	if (argc >= 3 && !strcmp(argv[1], "plan"))
		return print_plan(argc, argv);
	if (argc == 2 && !strcmp(argv[1], "touch"))
		return touch();
	if (argc == 4 && !strcmp(argv[1], "fastpath"))
		return fastpath(strtoul(argv[2], NULL, 10),
				strtoul(argv[3], NULL, 10));
	if (argc < 4 || (pct = strtoul(argv[2], NULL, 10)) == 0 || pct > 95) {
		fprintf(stderr, "usage: workload holes|gradient|quarter|mixed|mixed-unmovable|thp PERCENT(1-95) READYFILE [SEED]\n"
				"       workload plan SEED PFN...\n"
				"       workload fastpath MIB ROUNDS\n"
				"       workload touch\n");
		return 2;
	}
	kind = argv[1];
	mixed_u = !strcmp(kind, "mixed-unmovable");
	rng_state = argc > 4 ? strtoull(argv[4], NULL, 0) : 0x5eed;
	if (!rng_state)
		rng_state = 1;
	budget = memfree_bytes() / 100 * pct;

	if (!strcmp(kind, "mixed")) {
		mixed(&a, budget);
	} else if (mixed_u) {
		mixed_unmovable(&mul, budget);
		a = mul.a;
	} else if (!strcmp(kind, "holes") || !strcmp(kind, "thp") ||
		   !strcmp(kind, "gradient") || !strcmp(kind, "quarter")) {
		a.regions = budget / REGION;
		a.mem = map_anon(a.regions * REGION, 0);
		a.stride = 8;
		fill(&a);
		/* these need the pages faulted in */
		if (!strcmp(kind, "gradient"))
			keep_by_pfn(&a, gradient_keeps);
		if (!strcmp(kind, "quarter"))
			keep_by_pfn(&a, quarter_keeps);
		punch(&a);
	} else {
		fprintf(stderr, "workload: unknown kind '%s'\n", kind);
		return 2;
	}
	printf("WORKLOAD ready kind=%s regions=%lu base=%p pages=%lu\n", kind,
	       a.regions, (void *)a.mem, a.regions * REGION_PAGES);
	if (mixed_u)
		printf("WORKLOAD built huge=%lu unmovable=%lu movable=%lu files=%lu socks=%lu failed=%lu\n",
		       mul.huge, mu.pages, mul.b_used, mu.files, mu.socks,
		       mu.failed);
	fflush(stdout);

	wait_for_usr1(argv[3]);
	if (!strcmp(kind, "thp"))
		/* as much as the holes punched free, less a margin */
		thp_faults(a.regions * REGION / 8 * 6, &faults, &huge);
	if (mixed_u) {
		unsigned long before = mu.pages;

		mixed_unmovable_late(&mul);
		printf("WORKLOAD late unmovable=%lu movable=%lu\n",
		       mu.pages - before, mul.c_used);
		fflush(stdout);
		snprintf(late, sizeof(late), "%s.late", argv[3]);
		wait_for_usr1(late);
	}
	bad = verify(&a, &nkept);
	if (mixed_u) {
		bad += verify_first(&mul.b, mul.b_used, &nkept);
		bad += verify_first(&mul.c, mul.c_used, &nkept);
	}
	printf("WORKLOAD kind=%s kept=%lu bad=%lu", kind, nkept, bad);
	if (!strcmp(kind, "thp"))
		printf(" faults=%lu huge=%lu", faults, huge);
	if (mixed_u)
		printf(" unmovable=%lu", mu.pages);
	printf("\n");
	return bad ? 1 : 0;
}
