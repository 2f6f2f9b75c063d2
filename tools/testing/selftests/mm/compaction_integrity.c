// SPDX-License-Identifier: GPL-2.0
/*
 * compaction_integrity - pages that compaction moves, again and again and
 * while their owner reads and writes them, keep their contents; mlocked
 * pages move only when compact_unevictable_allowed says they may.
 *
 * Scenario: map 25% of MemFree (at most 256 MiB) as private anonymous 4 KiB
 * pages (MADV_NOHUGEPAGE).  Every page holds a pattern derived from its index,
 * a seed and a generation (bumped when the page is rewritten), and we keep
 * its checksum aside.  About one page in four is kept, chosen
 * pseudo-randomly per round; the others are freed (MADV_DONTNEED):
 *
 *   region, round r     (# kept, . freed)
 *   block 0:  #..#.#......##...#.#..#....#.#...
 *   block 1:  ..#...##.#.....#..#..#.#......#..
 *   round r+1: every freed page is faulted in again, then a new draw
 *   keeps ~1/4 and frees the rest: pages kept in both rounds stay put (and
 *   are moved again and again), the new ones share their blocks with the
 *   pages just freed, so every round starts fragmented anew.
 *
 * Each of ROUNDS rounds (one TAP line each):
 *   - a second thread compacts: /proc/sys/vm/compact_memory on odd rounds,
 *     every /sys/devices/system/node/nodeN/compact in turn on even ones
 *     (compact_memory when there are none);
 *   - meanwhile the main thread walks the kept pages, re-reading each
 *     against its checksum and rewriting every fourth with a new
 *     generation;
 *   - then every kept page is checked (checksum, and pattern for the
 *     report), and /proc/self/pagemap tells how many of them compaction
 *     moved: a round passes if none is bad, the compaction write worked and
 *     at least one kept page moved (else nothing was tested).
 *
 * Then mlock (two TAP lines): a 32 MiB mapping, written, three pages in
 * four freed, the rest locked with mlock2(MLOCK_ONFAULT) so that the holes
 * stay holes:
 *   - compact_unevictable_allowed=0: compact; no locked page may move, and
 *     all keep their contents;
 *   - compact_unevictable_allowed=1: compact; some locked pages must move
 *     (they were faulted into the low free blocks the rounds left, which
 *     is where the migration scanner works), and all keep their contents.
 * The last line checks that compact_unevictable_allowed is back to what it
 * was (it is also restored at exit and on SIGTERM/SIGINT).
 *
 * Needs root (to compact and to read page frames).  Takes 22 to 27 s in a
 * 1 GiB QEMU/TCG guest, 45 s in a 2 GiB one.
 *
 * To see it fail: build with -DBREAK_FLIP_BYTE, which flips one byte of a
 * kept page after round 3's compaction, before its check.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../kselftest.h"
#include "compaction_util.h"

#define SHARE_PERCENT	25	/* of MemFree, for the region ... */
#define MAX_REGION	(256UL << 20)	/* ... up to this: the time grows with it */
#define ROUNDS		12
#define SEED		0x1e9a7c0ffeeULL
#define MLOCK_SIZE	(32UL << 20)
#define MAX_NODES	64

struct region {
	char *mem;
	unsigned long npages;
	unsigned int *gen;	/* 0: not present; else the pattern's generation */
	uint64_t *csum;		/* checksum of the page's contents */
	uint64_t *pfn_before, *pfn_after;
};

static int nodes[MAX_NODES], nr_nodes;

static bool kept_in_round(unsigned long i, unsigned int round)
{
	return mix64(SEED ^ ((uint64_t)round << 40) ^ i) % 4 == 0;
}

static uint64_t page_seed(unsigned int gen)
{
	return SEED + gen;
}

static void write_page(struct region *r, unsigned long i, unsigned int gen)
{
	char *p = r->mem + i * PAGE_4K;

	fill_page(p, page_seed(gen), i);
	r->gen[i] = gen;
	r->csum[i] = page_csum(p);
}

/* Check page @i against its checksum; on a mismatch say where it differs. */
static bool page_ok(struct region *r, unsigned long i, bool report)
{
	const char *p = r->mem + i * PAGE_4K;
	long off;

	if (page_csum(p) == r->csum[i])
		return true;
	if (report) {
		off = check_page(p, page_seed(r->gen[i]), i);
		ksft_print_msg("page %lu (generation %u) is corrupt, first difference at byte %ld\n",
			       i, r->gen[i], off);
	}
	return false;
}

static unsigned long check_all(struct region *r, unsigned long *nkept)
{
	unsigned long i, bad = 0;

	*nkept = 0;
	for (i = 0; i < r->npages; i++) {
		if (!r->gen[i])
			continue;
		(*nkept)++;
		if (!page_ok(r, i, bad < 3))
			bad++;
	}
	return bad;
}

/* How many present pages sit on a different frame than before; -1 if unknown. */
static long moved_pages(struct region *r)
{
	unsigned long i, moved = 0, seen = 0;

	if (page_frames(r->mem, r->npages, r->pfn_after))
		return -1;
	for (i = 0; i < r->npages; i++) {
		if (!r->gen[i] || !r->pfn_before[i] || !r->pfn_after[i])
			continue;
		seen++;
		moved += r->pfn_before[i] != r->pfn_after[i];
	}
	return seen ? (long)moved : -1;
}

/* === the compacting thread === */

struct compactor {
	unsigned int round;
	bool done;		/* set last, with release semantics */
	int err;
	char what[64];
	double seconds;
};

static void *compact_thread(void *arg)
{
	struct compactor *c = arg;
	char path[128];
	double t = now_s();
	int i;

	if (c->round % 2 == 0 && nr_nodes) {
		snprintf(c->what, sizeof(c->what), "node*/compact");
		for (i = 0; i < nr_nodes && !c->err; i++) {
			snprintf(path, sizeof(path), NODE_COMPACT_FMT, nodes[i]);
			c->err = knob_write(path, "1");
		}
	} else {
		snprintf(c->what, sizeof(c->what), "compact_memory");
		c->err = knob_write(VM_COMPACT_MEMORY, "1");
	}
	c->seconds = now_s() - t;
	__atomic_store_n(&c->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * While the compactor runs: re-read kept pages against their checksums and
 * rewrite every fourth with the next generation.  Returns pages looked at.
 */
static unsigned long touch_while(struct region *r, struct compactor *c,
				 unsigned long *bad, unsigned long *cursor)
{
	unsigned long looked = 0, i = *cursor;

	while (!__atomic_load_n(&c->done, __ATOMIC_ACQUIRE)) {
		i = (i + 1) % r->npages;
		if (!r->gen[i])
			continue;
		looked++;
		if (!page_ok(r, i, *bad < 3))
			(*bad)++;
		if (looked % 4 == 0)
			write_page(r, i, r->gen[i] + 1);
	}
	*cursor = i;
	return looked;
}

/* === the rounds === */

static struct region *region_setup(unsigned long npages)
{
	struct region *r = calloc(1, sizeof(*r));
	unsigned long i;

	if (!r)
		return NULL;
	r->npages = npages;
	r->mem = map_2m(npages * PAGE_4K, MADV_NOHUGEPAGE);
	r->gen = calloc(npages, sizeof(*r->gen));
	r->csum = calloc(npages, sizeof(*r->csum));
	r->pfn_before = calloc(npages, sizeof(*r->pfn_before));
	r->pfn_after = calloc(npages, sizeof(*r->pfn_after));
	if (!r->mem || !r->gen || !r->csum || !r->pfn_before || !r->pfn_after)
		return NULL;
	for (i = 0; i < npages; i++)
		write_page(r, i, 1);
	return r;
}

static unsigned int keep_round;

static bool keep_now(unsigned long i, void *arg)
{
	(void)arg;
	return kept_in_round(i, keep_round);
}

/*
 * Fault in every page that is not present (the kept ones of round @round
 * get their pattern, the others one byte), then free all that @round does
 * not keep: the new pages share their blocks with the ones just freed.
 */
static int refragment(struct region *r, unsigned int round)
{
	unsigned long i;

	for (i = 0; i < r->npages; i++) {
		if (r->gen[i])
			continue;
		if (kept_in_round(i, round))
			write_page(r, i, round);
		else
			r->mem[i * PAGE_4K] = 1;
	}
	keep_round = round;
	if (punch(r->mem, r->npages, keep_now, NULL) < 0)
		return -errno;
	for (i = 0; i < r->npages; i++)
		if (!kept_in_round(i, round))
			r->gen[i] = 0;
	return 0;
}

static void run_round(struct region *r, unsigned int round, unsigned long *cursor)
{
	struct compactor c = { .round = round };
	unsigned long bad = 0, looked, nkept;
	pthread_t thread;
	long moved;
	double t = now_s();

	if (page_frames(r->mem, r->npages, r->pfn_before))
		ksft_exit_fail_msg("/proc/self/pagemap: %s\n", strerror(errno));
	if (pthread_create(&thread, NULL, compact_thread, &c))
		ksft_exit_fail_msg("pthread_create failed\n");
	looked = touch_while(r, &c, &bad, cursor);
	pthread_join(thread, NULL);
#ifdef BREAK_FLIP_BYTE
	if (round == 3) {
		unsigned long i = r->npages / 2;

		while (!r->gen[i])
			i++;
		r->mem[i * PAGE_4K + 2049] ^= 0x10;
	}
#endif
	bad += check_all(r, &nkept);
	moved = moved_pages(r);
	ksft_test_result(!bad && !c.err && moved > 0,
			 "round %u: %s %s in %.2f s, %ld of %lu kept pages moved, %lu bad (%lu re-read during it)\n",
			 round, c.what, c.err ? strerror(-c.err) : "ok", c.seconds,
			 moved, nkept, bad, looked);
	if (refragment(r, round + 1))
		ksft_exit_fail_msg("madvise(MADV_DONTNEED): %s\n", strerror(errno));
	ksft_print_msg("round %u took %.1f s\n", round, now_s() - t);
}

/* === mlock === */

static bool keep_quarter(unsigned long i, void *arg)
{
	(void)arg;
	return i % 4 == 0;
}

static struct region *mlock_setup(void)
{
	struct region *r = region_setup(MLOCK_SIZE / PAGE_4K);
	unsigned long i;

	if (!r)
		ksft_exit_fail_msg("cannot map %lu MiB\n", MLOCK_SIZE >> 20);
	if (punch(r->mem, r->npages, keep_quarter, NULL) < 0)
		ksft_exit_fail_msg("madvise(MADV_DONTNEED): %s\n", strerror(errno));
	for (i = 0; i < r->npages; i++)
		if (!keep_quarter(i, NULL))
			r->gen[i] = 0;
	if (mlock2(r->mem, MLOCK_SIZE, MLOCK_ONFAULT))
		ksft_exit_fail_msg("mlock2(MLOCK_ONFAULT): %s\n", strerror(errno));
	ksft_print_msg("mlocked %lu pages; Mlocked: %ld kB, Unevictable: %ld kB\n",
		       r->npages / 4, meminfo_kb("Mlocked"), meminfo_kb("Unevictable"));
	return r;
}

static void mlock_case(struct region *r, const char *allowed)
{
	unsigned long nkept, bad;
	long moved;
	int ret;

	ret = knob_write(VM_UNEVICTABLE_ALLOWED, allowed);
	if (ret)
		ksft_exit_fail_msg("cannot write %s to compact_unevictable_allowed: %s\n",
				   allowed, strerror(-ret));
	if (page_frames(r->mem, r->npages, r->pfn_before))
		ksft_exit_fail_msg("/proc/self/pagemap: %s\n", strerror(errno));
	ret = knob_write(VM_COMPACT_MEMORY, "1");
	bad = check_all(r, &nkept);
	moved = moved_pages(r);
	if (*allowed == '0')
		ksft_test_result(!ret && !bad && moved == 0,
				 "mlock, compact_unevictable_allowed=0: %ld of %lu locked pages moved (none may), %lu bad, compact %s\n",
				 moved, nkept, bad, ret ? strerror(-ret) : "ok");
	else
		ksft_test_result(!ret && !bad && moved > 0,
				 "mlock, compact_unevictable_allowed=1: %ld of %lu locked pages moved (some must), %lu bad, compact %s\n",
				 moved, nkept, bad, ret ? strerror(-ret) : "ok");
}

int main(void)
{
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	unsigned long npages, cursor = 0;
	unsigned int round;
	struct region *r;
	long memfree, before, now;
	double t0 = now_s();

	ksft_print_header();
	if (geteuid())
		ksft_exit_skip("needs root\n");
	if (access(VM_COMPACT_MEMORY, F_OK))
		ksft_exit_skip("%s is absent\n", VM_COMPACT_MEMORY);
	if (access(VM_UNEVICTABLE_ALLOWED, F_OK))
		ksft_exit_skip("%s is absent\n", VM_UNEVICTABLE_ALLOWED);
	if (access("/proc/self/pagemap", R_OK))
		ksft_exit_skip("/proc/self/pagemap is absent\n");
	memfree = meminfo_kb("MemFree");
	if (memfree <= 0)
		ksft_exit_skip("no MemFree in /proc/meminfo\n");
	nr_nodes = node_compact_files(nodes, MAX_NODES);
	ksft_set_plan(ROUNDS + 3);

	if (knob_save(VM_UNEVICTABLE_ALLOWED) ||
	    knob_read_long(VM_UNEVICTABLE_ALLOWED, &before))
		ksft_exit_fail_msg("cannot read %s\n", VM_UNEVICTABLE_ALLOWED);
	setrlimit(RLIMIT_MEMLOCK, &unlimited);

	npages = (unsigned long)memfree * 1024 / 100 * SHARE_PERCENT;
	if (npages > MAX_REGION)
		npages = MAX_REGION;
	npages = npages / BLOCK_2M * PAGES_PER_BLOCK;
	ksft_print_msg("MemFree %ld MiB; region %lu MiB; %d node compact files\n",
		       memfree / 1024, npages * PAGE_4K >> 20, nr_nodes);
	r = region_setup(npages);
	if (!r)
		ksft_exit_fail_msg("cannot map %lu pages: %s\n", npages, strerror(errno));
	if (refragment(r, 1))
		ksft_exit_fail_msg("madvise(MADV_DONTNEED): %s\n", strerror(errno));
	ksft_print_msg("layout built in %.1f s\n", now_s() - t0);

	for (round = 1; round <= ROUNDS; round++)
		run_round(r, round, &cursor);
	munmap(r->mem, r->npages * PAGE_4K);

	r = mlock_setup();
	mlock_case(r, "0");
	mlock_case(r, "1");
	munlock(r->mem, MLOCK_SIZE);

	knobs_restore();
	ksft_test_result(!knob_read_long(VM_UNEVICTABLE_ALLOWED, &now) && now == before,
			 "compact_unevictable_allowed restored to %ld (reads %ld)\n",
			 before, now);
	ksft_print_msg("total %.1f s\n", now_s() - t0);
	ksft_finished();
}
