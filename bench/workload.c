// SPDX-License-Identifier: GPL-2.0
/*
 * workload - the memory layouts 'make bench' compacts, built the same way
 * (fixed seeds, fixed patterns) on every kernel.
 *
 * usage: workload KIND PERCENT READYFILE [SEED]
 *
 *   holes     map PERCENT of MemFree as private anonymous memory, write a
 *             per-page pattern into every page, then in every 2 MiB region
 *             free the same 7 of each 8 pages (keep page i when i % 8 == 0):
 *             no 2 MiB block is free, each keeps 64 pages.
 *   gradient  like holes, but region r keeps keep[r] pages, keep[] spread
 *             evenly from 8 to 504 and shuffled with SEED, so which blocks
 *             a compactor evacuates decides how many pages it moves.
 *   mixed     anonymous memory, tmpfs page cache and unmovable kernel
 *             allocations (pipe buffers, queued AF_UNIX socket data, small
 *             files' inodes and dentries) interleaved chunk by chunk, then
 *             half of the anonymous and page-cache memory freed.
 *   thp       holes, then (once woken, see below) fault in a new region
 *             2 MiB at a time and print, per fault, its latency and whether
 *             a huge page backs it.  THP enabled=always and defrag=always
 *             are the caller's to set.
 *
 * After building the layout the program creates READYFILE and waits for
 * SIGUSR1: the caller compacts (or, for thp, nothing) meanwhile.  On SIGUSR1
 * 'thp' runs its faults; every kind then checks that each kept anonymous
 * page still holds its pattern, prints one line
 *   WORKLOAD kind=K kept=N bad=B [faults=F huge=H]
 * and exits 0 if nothing was corrupted.  thp prints one line per fault
 * before it: "FAULT <ns> <0|1>".
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PAGE		4096UL
#define REGION_PAGES	512UL
#define REGION		(REGION_PAGES * PAGE)

/* ===================================================================== */
/* Helpers                                                               */
/* ===================================================================== */

static volatile sig_atomic_t woken;

static void on_usr1(int sig)
{
	(void)sig;
	woken = 1;
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
	unsigned short *keep;	/* pages kept in each region */
	int stride;		/* holes: keep page i when i % stride == 0 */
};

static int kept(const struct anon *a, unsigned long r, unsigned long i)
{
	if (a->stride)
		return i % a->stride == 0;
	return i < a->keep[r];
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

static void gradient_keep(struct anon *a)
{
	unsigned long r, j;

	a->keep = calloc(a->regions, sizeof(*a->keep));
	if (!a->keep)
		die("calloc");
	/* evenly from 8 to 504 pages kept, then a seeded shuffle */
	for (r = 0; r < a->regions; r++)
		a->keep[r] = 8 + (a->regions > 1 ? r * 496 / (a->regions - 1) : 0);
	for (r = a->regions - 1; r > 0; r--) {
		unsigned short t;

		j = rng() % (r + 1);
		t = a->keep[r];
		a->keep[r] = a->keep[j];
		a->keep[j] = t;
	}
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
/* main                                                                   */
/* ===================================================================== */

static void wait_for_usr1(const char *readyfile)
{
	sigset_t set, old;
	FILE *f;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	signal(SIGUSR1, on_usr1);
	f = fopen(readyfile, "w");
	if (!f)
		die(readyfile);
	fclose(f);
	while (!woken)
		sigsuspend(&old);
}

int main(int argc, char **argv)
{
	struct anon a = { 0 };
	unsigned long pct, budget, nkept, bad, faults = 0, huge = 0;
	const char *kind;

	if (argc < 4 || (pct = strtoul(argv[2], NULL, 10)) == 0 || pct > 95) {
		fprintf(stderr, "usage: workload holes|gradient|mixed|thp PERCENT(1-95) READYFILE [SEED]\n");
		return 2;
	}
	kind = argv[1];
	rng_state = argc > 4 ? strtoull(argv[4], NULL, 0) : 0x5eed;
	if (!rng_state)
		rng_state = 1;
	budget = memfree_bytes() / 100 * pct;

	if (!strcmp(kind, "mixed")) {
		mixed(&a, budget);
	} else if (!strcmp(kind, "holes") || !strcmp(kind, "thp") ||
		   !strcmp(kind, "gradient")) {
		a.regions = budget / REGION;
		a.mem = map_anon(a.regions * REGION, 0);
		if (!strcmp(kind, "gradient"))
			gradient_keep(&a);
		else
			a.stride = 8;
		fill(&a);
		punch(&a);
	} else {
		fprintf(stderr, "workload: unknown kind '%s'\n", kind);
		return 2;
	}
	printf("WORKLOAD ready kind=%s regions=%lu\n", kind, a.regions);
	fflush(stdout);

	wait_for_usr1(argv[3]);
	if (!strcmp(kind, "thp"))
		/* as much as the holes punched free, less a margin */
		thp_faults(a.regions * REGION / 8 * 6, &faults, &huge);
	bad = verify(&a, &nkept);
	printf("WORKLOAD kind=%s kept=%lu bad=%lu", kind, nkept, bad);
	if (!strcmp(kind, "thp"))
		printf(" faults=%lu huge=%lu", faults, huge);
	printf("\n");
	return bad ? 1 : 0;
}
