// SPDX-License-Identifier: GPL-2.0
/*
 * compaction_contig - alloc_contig_range() over hugetlb pages.
 *
 * A contiguous allocation (CMA, gigantic hugetlb pages) empties its range
 * with the compaction engine's migrate scanner (isolate_migratepages_range()),
 * which alone among the engine's callers must deal with hugetlb pages: a
 * hugetlb page that is in use is migrated as one 2 MiB folio, one that is
 * free in the pool is dissolved (a fresh pool page is allocated outside
 * the range in its place and the old one goes back to the buddy
 * allocator).  Compaction for the buddy allocator steps over them.
 *
 * The range is the CMA area the kernel command line reserves (cma=, the
 * harness gives the check guests 64 MiB), allocated whole through CMA's
 * debugfs files (alloc, free: a count of 4 KiB pages), which calls
 * cma_alloc(), which calls alloc_contig_range() over the area.  Hugetlb
 * pages are movable allocations, and the page allocator takes movable
 * pages from CMA pageblocks once those hold most of a zone's free memory
 * or no other free 2 MiB page is left, so we grow the hugetlb pool (8
 * pages at a time, while MemFree stays above 64 MiB) until 8 pool pages
 * sit in the area (/proc/kpageflags: KPF_HUGE on a head frame); at least
 * 4 must (in the 1 GiB guest, with 160 MiB free, 7 to 9 did).
 *
 * Case 1, dissolve (pool: only free pages, all in the area):
 *
 *   area   [H][H][.][H][u][H][.][H]...   H free hugetlb pool page
 *   pool   every page in the area, none elsewhere
 *
 *   map the whole pool once, to learn where each page is, unmap it; the
 *   pages outside the area are unmapped last so that they head the pool's
 *   free lists, where shrinking a node's pool takes them from; shrink each
 *   node's pool to its pages in the area.  Allocate the area: it must
 *   succeed, no hugetlb frame is left in it, and the pool keeps its size
 *   with every page free (the dissolved ones were replaced).
 *
 * Case 2, migrate (pool: only pages in use, all in the area):
 *
 *   area   [M][M][.][M][u][M][.][M]...   M a hugetlb page we hold, every
 *                                        byte written with a pattern
 *
 *   grow the pool again, map all of it, keep the pages in the area (and
 *   write them), unmap the others and shrink the pool to the pages we
 *   hold: with no free pool page, migration's targets are fresh pages from
 *   the buddy allocator outside the area (a free pool page could be one in
 *   the area: the old page of an earlier migration, which goes back to the
 *   pool, would be taken as the next one's target).  Allocate the area: it
 *   must succeed, every page we hold has left it with every byte intact,
 *   pgmigrate_success and compact_isolated grew by at least their 512
 *   pages each, and the pool still counts exactly our pages, none surplus.
 *
 * An engine that steps over hugetlb pages in alloc_contig_range() fails
 * both (the area never empties: cma_alloc() says ENOMEM); one that drops
 * a folio or loses its contents fails case 2.  Allocation is tried up to
 * ALLOC_TRIES times, as a CMA user would retry (a page briefly pinned or
 * on a per-CPU list makes one attempt fail); every try is printed.
 *
 * -DBREAK_FLIP_BYTE flips one byte of a kept page after the allocation, as
 * a migration that lost data would: case 2 must fail.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../kselftest.h"
#include "compaction_util.h"

#define CMA_DEBUGFS	"/sys/kernel/debug/cma"
#define NR_HUGEPAGES	"/proc/sys/vm/nr_hugepages"
#define HP_SYSFS	"/sys/kernel/mm/hugepages/hugepages-2048kB"
#define NODE_HP_FMT	"/sys/devices/system/node/node%d/hugepages/hugepages-2048kB/nr_hugepages"
#define MAX_NODES	64
#define KPF_COMPOUND_HEAD	15
#define KPF_HUGE	17
/*
 * Pool pages in the area: at least WANT_IN_AREA, or nothing was tested;
 * growing stops at ENOUGH_IN_AREA (16 MiB of hugetlb pages to move).
 */
#define WANT_IN_AREA	4
#define ENOUGH_IN_AREA	8
/* stop growing the pool when MemFree would drop below this (kB) */
#define MEMFREE_FLOOR_KB	(64 << 10)
#define GROW_STEP	8
#define ALLOC_TRIES	5
#define SEED		0xc0417a9

static char area[300];			/* the CMA area's debugfs directory */
static unsigned long base_pfn, area_pages;

/* === The CMA area === */

static int area_find(void)
{
	DIR *d = opendir(CMA_DEBUGFS);
	struct dirent *e;
	char path[340];
	long v;

	if (!d)
		return -errno;
	area[0] = 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(area, sizeof(area), "%s/%s", CMA_DEBUGFS, e->d_name);
			break;
		}
	closedir(d);
	if (!area[0])
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/base_pfn", area);
	if (knob_read_long(path, &v) || v <= 0)
		return -EINVAL;
	base_pfn = v;
	snprintf(path, sizeof(path), "%s/count", area);
	if (knob_read_long(path, &v) || v <= 0)
		return -EINVAL;
	area_pages = v;
	return 0;
}

static long area_used(void)
{
	char path[340];
	long v;

	snprintf(path, sizeof(path), "%s/used", area);
	return knob_read_long(path, &v) ? -1 : v;
}

/* Write the area's page count to its alloc or free file: 0 or -errno. */
static int area_write(const char *file)
{
	char path[340], val[32];

	snprintf(path, sizeof(path), "%s/%s", area, file);
	snprintf(val, sizeof(val), "%lu", area_pages);
	return knob_write(path, val);
}

static bool in_area(uint64_t pfn)
{
	return pfn >= base_pfn && pfn < base_pfn + area_pages;
}

/* The hugetlb heads in the area (free pool pages included), or -errno. */
static long area_hugetlb(void)
{
	uint64_t *pfn, *flags;
	unsigned long i;
	long n = 0;
	int err;

	pfn = malloc(area_pages * sizeof(*pfn));
	flags = malloc(area_pages * sizeof(*flags));
	if (!pfn || !flags) {
		free(pfn);
		free(flags);
		return -ENOMEM;
	}
	for (i = 0; i < area_pages; i++)
		pfn[i] = base_pfn + i;
	err = page_flags(pfn, area_pages, flags);
	for (i = 0; !err && i < area_pages; i++)
		if ((flags[i] >> KPF_HUGE & 1) && (flags[i] >> KPF_COMPOUND_HEAD & 1))
			n++;
	free(pfn);
	free(flags);
	return err ? err : n;
}

/* Allocate the whole area, up to ALLOC_TRIES times: 0 or the last -errno. */
static int area_alloc(const char *name)
{
	int err = 0, t;

	for (t = 1; t <= ALLOC_TRIES; t++) {
		err = area_write("alloc");
		ksft_print_msg("%s: allocating the area (%lu pages), try %d: %s\n",
			       name, area_pages, t, err ? strerror(-err) : "ok");
		if (!err)
			return 0;
		usleep(200 * 1000);
	}
	return err;
}

/* === The hugetlb pool === */

static long hp_read(const char *file)
{
	char path[128];
	long v;

	snprintf(path, sizeof(path), "%s/%s", HP_SYSFS, file);
	return knob_read_long(path, &v) ? -1 : v;
}

static void pool_show(const char *when)
{
	ksft_print_msg("%s: pool %ld pages, %ld free, %ld reserved, %ld surplus; MemFree %ld MiB\n",
		       when, hp_read("nr_hugepages"), hp_read("free_hugepages"),
		       hp_read("resv_hugepages"), hp_read("surplus_hugepages"),
		       meminfo_kb("MemFree") >> 10);
}

static int pool_set(long n)
{
	char val[32];

	snprintf(val, sizeof(val), "%ld", n);
	return knob_write(NR_HUGEPAGES, val);
}

/*
 * Grow the pool until ENOUGH_IN_AREA of its pages are in the area, it
 * stops growing, or MemFree nears the floor.  The pages in the area, or
 * -errno.
 */
static long pool_grow(void)
{
	long size = hp_read("nr_hugepages"), got, in = 0;

	while (meminfo_kb("MemFree") - GROW_STEP * 2048 > MEMFREE_FLOOR_KB) {
		int err = pool_set(size + GROW_STEP);

		if (err)
			return err;
		got = hp_read("nr_hugepages");
		in = area_hugetlb();
		if (in < 0 || in >= ENOUGH_IN_AREA || got <= size)
			break;
		size = got;
	}
	return in;
}

/* Shrink node @nid's pool to @n pages (its free ones go, list head first). */
static int node_pool_set(int nid, long n)
{
	char path[128], val[32];

	snprintf(path, sizeof(path), NODE_HP_FMT, nid);
	snprintf(val, sizeof(val), "%ld", n);
	return knob_write(path, val);
}

/* === The pool, mapped === */

struct huge {
	char *mem;		/* the whole pool, mapped */
	unsigned long n;	/* its 2 MiB pages */
	uint64_t *pfn;		/* each page's head frame */
	int *node;		/* each page's node */
	bool *mapped;
};

/* Map and fault in every page of the pool; learn where each one is. */
static int huge_map(struct huge *h)
{
	void **pages;
	unsigned long i;
	int *status, err = 0;

	h->n = hp_read("nr_hugepages");
	h->mem = mmap(NULL, h->n * BLOCK_2M, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (h->mem == MAP_FAILED)
		return -errno;
	h->pfn = calloc(h->n, sizeof(*h->pfn));
	h->node = calloc(h->n, sizeof(*h->node));
	h->mapped = calloc(h->n, sizeof(*h->mapped));
	pages = calloc(h->n, sizeof(*pages));
	status = calloc(h->n, sizeof(*status));
	if (!h->pfn || !h->node || !h->mapped || !pages || !status) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < h->n; i++) {
		pages[i] = h->mem + i * BLOCK_2M;
		*(volatile char *)pages[i] = 1;
		h->mapped[i] = true;
		err = page_frames(pages[i], 1, &h->pfn[i]);
		if (err)
			goto out;
	}
	if (syscall(SYS_move_pages, 0, h->n, pages, NULL, status, 0)) {
		err = -errno;
		goto out;
	}
	for (i = 0; i < h->n; i++)
		h->node[i] = status[i];
out:
	free(pages);
	free(status);
	return err;
}

static void huge_unmap(struct huge *h, unsigned long i)
{
	if (h->mapped[i])
		munmap(h->mem + i * BLOCK_2M, BLOCK_2M);
	h->mapped[i] = false;
}

static void huge_free(struct huge *h)
{
	unsigned long i;

	for (i = 0; i < h->n; i++)
		huge_unmap(h, i);
	free(h->pfn);
	free(h->node);
	free(h->mapped);
	memset(h, 0, sizeof(*h));
}

/*
 * Unmap the pages whose placement (in the area or not) is @keep_in_area's
 * opposite, then shrink each node's pool to its mapped pages plus, if
 * @free_in_area, its unmapped pages in the area.  The pages left mapped.
 */
static unsigned long huge_keep(struct huge *h, bool keep_mapped, bool free_in_area)
{
	long per_node[MAX_NODES] = { 0 };
	unsigned long i, kept = 0;
	int nid;

	/* the area's pages first, so that the others head the free lists */
	for (i = 0; i < h->n; i++)
		if (in_area(h->pfn[i]) && !keep_mapped)
			huge_unmap(h, i);
	for (i = 0; i < h->n; i++)
		if (!in_area(h->pfn[i]))
			huge_unmap(h, i);
	for (i = 0; i < h->n; i++) {
		if (h->node[i] < 0 || h->node[i] >= MAX_NODES)
			continue;
		if (h->mapped[i] || (free_in_area && in_area(h->pfn[i])))
			per_node[h->node[i]]++;
		kept += h->mapped[i];
	}
	for (nid = 0; nid < MAX_NODES; nid++) {
		char path[128];

		snprintf(path, sizeof(path), NODE_HP_FMT, nid);
		if (!access(path, F_OK))
			node_pool_set(nid, per_node[nid]);
	}
	return kept;
}

/* Pattern of the pages we keep: each 4 KiB page by its index in the pool. */
static void huge_fill(struct huge *h)
{
	unsigned long i, p;

	for (i = 0; i < h->n; i++)
		for (p = 0; h->mapped[i] && p < PAGES_PER_BLOCK; p++)
			fill_page(h->mem + i * BLOCK_2M + p * PAGE_4K, SEED,
				  i * PAGES_PER_BLOCK + p);
}

/* 4 KiB pages that differ from their pattern (every byte compared). */
static unsigned long huge_bad(struct huge *h)
{
	unsigned long i, p, bad = 0;

	for (i = 0; i < h->n; i++)
		for (p = 0; h->mapped[i] && p < PAGES_PER_BLOCK; p++)
			if (check_page(h->mem + i * BLOCK_2M + p * PAGE_4K, SEED,
				       i * PAGES_PER_BLOCK + p) >= 0)
				bad++;
	return bad;
}

/* Our mapped pages still in the area, their frames read again; -1 on error. */
static long huge_in_area(struct huge *h)
{
	unsigned long i;
	long n = 0;

	for (i = 0; i < h->n; i++) {
		if (!h->mapped[i])
			continue;
		if (page_frames(h->mem + i * BLOCK_2M, 1, &h->pfn[i]))
			return -1;
		n += in_area(h->pfn[i]);
	}
	return n;
}

/* === The cases === */

/* Grow the pool and map it whole: 0, or -1 with @name's case failed. */
static int case_setup(const char *name, struct huge *h)
{
	long in = pool_grow();
	int err = 0;

	ksft_print_msg("%s: grown: %ld pool pages in the area\n", name, in);
	pool_show(name);
	if (in >= WANT_IN_AREA) {
		err = huge_map(h);
		if (!err)
			return 0;
	}
	ksft_test_result_fail("%s: cannot set up: %ld pool pages in the area, want %d (%s)\n",
			      name, in, WANT_IN_AREA, err ? strerror(-err) : "too few");
	huge_free(h);
	return -1;
}

static void case_dissolve(void)
{
	struct huge h = { 0 };
	long in, pool, left, free_after, total_after;
	int err;

	if (case_setup("dissolve", &h))
		return;
	huge_keep(&h, false, true);
	huge_free(&h);
	pool = hp_read("nr_hugepages");
	in = area_hugetlb();
	pool_show("dissolve: before");
	err = area_alloc("dissolve");
	left = area_hugetlb();
	total_after = hp_read("nr_hugepages");
	free_after = hp_read("free_hugepages");
	pool_show("dissolve: after");
	ksft_test_result(!err && in >= WANT_IN_AREA && pool == in && left == 0 &&
			 total_after == pool && free_after == pool &&
			 area_used() == (long)area_pages,
			 "dissolve: the area allocated over %ld free pool pages (pool %ld): "
			 "%s, %ld hugetlb pages left in it, pool %ld with %ld free after\n",
			 in, pool, err ? strerror(-err) : "ok", left, total_after, free_after);
	if (!err && area_write("free"))
		ksft_print_msg("dissolve: freeing the area: %s\n", strerror(errno));
	pool_set(0);
}

static void case_migrate(void)
{
	unsigned long before[2], after[2], kept;
	static const char *const names[] = { "pgmigrate_success", "compact_isolated" };
	struct huge h = { 0 };
	long still, bad, bad_after_free, total, free_hp, surplus;
	int err;

	if (case_setup("migrate", &h)) {
		ksft_test_result_fail("migrate: contents after the area is freed\n");
		return;
	}
	kept = huge_keep(&h, true, false);
	huge_fill(&h);
	pool_show("migrate: before");
	vmstat_read(names, before, 2);
	err = area_alloc("migrate");
	vmstat_read(names, after, 2);
#ifdef BREAK_FLIP_BYTE
	for (unsigned long i = 0; i < h.n; i++)
		if (h.mapped[i]) {
			h.mem[i * BLOCK_2M + 1234] ^= 0x10;
			break;
		}
#endif
	still = huge_in_area(&h);
	bad = huge_bad(&h);
	total = hp_read("nr_hugepages");
	free_hp = hp_read("free_hugepages");
	surplus = hp_read("surplus_hugepages");
	pool_show("migrate: after");
	ksft_print_msg("migrate: pgmigrate_success +%lu, compact_isolated +%lu\n",
		       after[0] - before[0], after[1] - before[1]);
	ksft_test_result(!err && kept >= WANT_IN_AREA && still == 0 && bad == 0 &&
			 after[0] - before[0] >= kept * PAGES_PER_BLOCK &&
			 after[1] - before[1] >= kept * PAGES_PER_BLOCK &&
			 total == (long)kept && free_hp == 0 && surplus == 0,
			 "migrate: the area allocated over %lu hugetlb pages in use: %s; "
			 "%ld still in it, %ld of %lu 4 KiB pages differ, pool %ld (%ld free, %ld surplus)\n",
			 kept, err ? strerror(-err) : "ok", still, bad,
			 kept * PAGES_PER_BLOCK, total, free_hp, surplus);
	if (!err && area_write("free"))
		ksft_print_msg("migrate: freeing the area: %s\n", strerror(errno));
	bad_after_free = huge_bad(&h);
	ksft_test_result(bad_after_free == 0 && area_used() == 0,
			 "migrate: after the area is freed: %ld 4 KiB pages differ, %ld of it used\n",
			 bad_after_free, area_used());
	huge_free(&h);
	pool_set(0);
}

int main(void)
{
	long used, total;
	int err;

	ksft_print_header();
	if (geteuid())
		ksft_exit_skip("needs root\n");
	err = area_find();
	if (err)
		ksft_exit_fail_msg("no CMA area in %s (%s): boot with cma=\n",
				   CMA_DEBUGFS, strerror(-err));
	used = area_used();
	if (used != 0)
		ksft_exit_fail_msg("%s: %ld pages already used\n", area, used);
	if (knob_save(NR_HUGEPAGES))
		ksft_exit_fail_msg("cannot read %s\n", NR_HUGEPAGES);
	ksft_set_plan(4);
	ksft_print_msg("%s: pfn %lu, %lu pages (%lu MiB); MemFree %ld MiB\n", area,
		       base_pfn, area_pages, area_pages * PAGE_4K >> 20,
		       meminfo_kb("MemFree") >> 10);

	case_dissolve();
	case_migrate();

	knobs_restore();
	total = hp_read("nr_hugepages");
	ksft_test_result(total == 0 && area_used() == 0,
			 "the pool is back to %ld pages, %ld of the area used\n",
			 total, area_used());
	ksft_finished();
}
