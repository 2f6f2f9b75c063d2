// SPDX-License-Identifier: GPL-2.0
/*
 * oracle - the "physical limit" for our compaction benchmark: the most any
 * compaction could achieve in each zone right now, read from the page
 * flags. Runs as root inside a Linux 6.12 x86_64 guest; static, libc only.
 *
 *   oracle [--root DIR] [--unevictable 0|1] [--ambiguous-free]
 *          [--buddy-tails auto|marked|unmarked] [--map FILE] [--used FILE]
 *
 * Inputs (every path is prefixed by --root DIR, default "", so a host test
 * can point the program at fake files):
 *   /proc/zoneinfo   for each "Node N, zone NAME" section: "pages free",
 *                    min, low, high, spanned, present, managed, "start_pfn:"
 *                    and the per-CPU "count:" lines under "pagesets",
 *                    summed into "pcp" (pages parked on per-CPU free lists;
 *                    the zone's "pages free" does not include them) and
 *                    counted into "ncpu". Zones with "present 0" are
 *                    skipped.
 *   /proc/kpageflags one little-endian u64 of KPF_* bits per pfn, at offset
 *   /proc/kpagecount pfn * 8 (kpagecount: the page's mapcount).
 *   /proc/sys/vm/compact_unevictable_allowed  0 or 1, unless --unevictable.
 *   /proc/self/status "RssAnon:" and "VmPTE:" (kB), read last: our own
 *                    footprint, "self".
 *
 * Bits used (include/uapi/linux/kernel-page-flags.h, and the kernel-only
 * include/linux/kernel-page-flags.h of 6.12): SLAB 7, BUDDY 10, LRU 5,
 * HUGE 17, UNEVICTABLE 18, HWPOISON 19, NOPAGE 20, OFFLINE 23, PGTABLE 26,
 * RESERVED 32, MLOCKED 33. (6.12 exports 34 as OWNER_2, not MAPPEDTODISK,
 * and has no UNCACHED bit; neither matters here.)
 *
 * Definitions. A pageblock ("block") is an aligned run of 512 pfns (2 MiB).
 * Every pfn of a zone's span [start_pfn, start_pfn + spanned) is exactly one
 * of the following.
 *
 * hole       KPF_NOPAGE set, or no entry in kpageflags (read past its end).
 *
 * free       A page of a free buddy block. What kpageflags shows of a free
 *            block depends on the kernel, hence --buddy-tails:
 *            marked    every page of the block has BUDDY. This is what
 *                      6.12 does: stable_page_flags() in fs/proc/page.c
 *                      sets KPF_BUDDY on the head (PageBuddy) and on any
 *                      page with refcount 0 that is_free_buddy_page() finds
 *                      inside a free block, i.e. the tails too (pagemap.rst
 *                      still says "only the first page"). A page is free
 *                      iff it has BUDDY; nothing is inferred.
 *            unmarked  only the head has BUDDY; the tails show flags 0 and
 *                      count 0. The order is not exported, so each head's
 *                      extent is inferred as the largest naturally aligned
 *                      power-of-two run (order <= 10, up to 1024 pages,
 *                      inside the zone's span) starting at the head whose
 *                      other pages all have flags == 0 and count == 0 (so
 *                      hold no other BUDDY head). This over-counts when a
 *                      flagless page that is not free (a kernel allocation
 *                      or a per-CPU list page) sits right after a free block
 *                      inside the head's alignment window: e.g. a free
 *                      order-0 page at an even pfn followed by a kernel
 *                      stack page counts as an order-1 block.
 *            auto      (default) marked if any even pfn p has BUDDY on both
 *                      p and p + 1 in any zone (free blocks of order >= 1
 *                      exist on any running system and show that way only
 *                      when tails are marked; two free order-0 buddies side
 *                      by side would have merged), else unmarked.
 *            The total is reported as free_inferred next to the zone's
 *            "pages free" (before and after the scan), so any difference
 *            is visible.
 *
 * ambiguous  flags == 0 and count == 0 and not free: a page on a per-CPU
 *            free list (pcp pages carry no flags and are not in "pages
 *            free") or a flagless kernel allocation (kernel stacks,
 *            vmalloc, pipe buffers, alloc_pages users, zsmalloc). Policy:
 *            unmovable (a block holding one is not eligible), but n_max
 *            takes in the blocks a few of them may not really hold (see
 *            "extra" below). At most "pcp" of them are really free; both
 *            numbers are reported per zone.
 *            --ambiguous-free counts them as free pages instead, for the
 *            block classes, eligibility and m_min (the optimistic bound);
 *            they are never added to free_inferred.
 *
 * movable    a used page with LRU set (anon or file; THP head and tail
 *            pages carry their folio's LRU) and none of HUGE (hugetlb),
 *            SLAB, PGTABLE, RESERVED, OFFLINE, HWPOISON; with UNEVICTABLE
 *            or MLOCKED it is movable only if compact_unevictable_allowed
 *            is 1.
 * unmovable  any other used page. Pinned pages (GUP, RDMA) look movable
 *            here: kpageflags cannot show pins. Non-LRU movable pages
 *            (zsmalloc, balloon) and LRU pages briefly off the LRU (in a
 *            per-CPU folio batch, or isolated) count as unmovable.
 *
 * offlru     (a subset of unmovable) a used page without LRU and without
 *            SLAB, HUGE, PGTABLE, RESERVED, OFFLINE, HWPOISON: maybe an
 *            LRU page in a per-CPU folio batch, maybe a kernel page.
 *
 * The page counters free_inferred, ambiguous, used_movable, used_unmovable
 * and hole_pages partition the zone's span (they sum to spanned).
 *
 * Blocks: every block that meets the span, from start_pfn & ~511 on;
 * "blocks" counts them all and the classes below partition them:
 *   H  hole/partial: holds a hole, or is not fully inside the span. Not
 *      eligible, in no other class, its pages never enter m_min.
 *   F  free: every page free.
 *   M  movable: has used pages, all of them movable.
 *   U  unmovable: has used pages, all of them unmovable.
 *   X  mixed: both movable and unmovable used pages.
 *   (Ambiguous pages count as unmovable used pages, or as free pages with
 *   --ambiguous-free.) A block is eligible iff it is F or M.
 *
 * Limits, per zone. The bench compacts with "echo 1 > compact_memory";
 * what can such a run reach, on any engine?
 *   - No watermark test before it starts. Upstream's compact_zone() asks
 *     compaction_suit_allocation_order() (low watermark + compact_gap())
 *     only when cc->order != -1, which compact_memory's order is. Ours asks
 *     zone_has_room() (cpol_free_needed(): the min or low watermark plus
 *     cpol_gap()) only in runs made for an allocation
 *     (run_is_for_allocation()), never for COMPACT_REASON_MANUAL. So
 *     neither "low" nor the gap bounds the run; a bound that subtracted
 *     both was beaten by recorded runs (887 free blocks against 885).
 *   - The free scanner's own floor does not bound it either. Both engines
 *     take free pages with __isolate_free_page() (ours from
 *     isolate_free_stretch()), which refuses a page of order o while
 *     NR_FREE_PAGES, less the highatomic reserve, is at most min + 2^o.
 *     But NR_FREE_PAGES gets back each page a migration frees, the pages
 *     of every block already emptied included; only the targets taken for
 *     one batch and the freed sources still on a per-CPU list are missing
 *     from it. So the min watermark stops a run only in a zone whose free
 *     pages are within a few hundred pages of it, and then it stops the
 *     run outright; "free - min" is no bound (a run that packs every free
 *     page into free blocks never meets the floor).
 *   - Conservation does bound it: each page moved takes one free page and
 *     frees one, so a run ends with the free pages it began with, plus
 *     free pages NR_FREE_PAGES did not count (those on per-CPU lists,
 *     "pcp", which the run may drain) plus pages their owners free meanwhile:
 *     our own anonymous memory and page tables ("self", freed when the
 *     oracle exits, before the run). k free blocks hold 512 k of them.
 *   - A block can become free only if none of its pages is certainly
 *     unmovable. Certainly unmovable: a used page with SLAB, HUGE, PGTABLE,
 *     RESERVED, OFFLINE or HWPOISON, or on the LRU but unevictable while
 *     compact_unevictable_allowed is 0. Transient: an ambiguous page (may
 *     sit on a per-CPU free list) or a used page off the LRU with none of
 *     those bits ("offlru": may sit in a per-CPU folio batch, 31 folios in
 *     each of the 7 batches a CPU has in 6.12: lru_add, lru_deactivate_file,
 *     lru_deactivate, lru_lazyfree, lru_activate, lru_move_tail, mlock).
 *     At most "budget" of them are not really unmovable.
 *   budget   = pcp + 7 * 31 * ncpu (ncpu: the zone's pageset entries).
 *   extra    = the most blocks that hold transient pages but no certainly
 *              unmovable one, with all their transient pages within the
 *              budget (fewest transient pages first).
 *   by_free  = (pages_free_before + pcp + self) / 512.
 *   n_max    = min(eligible + extra, by_free): no run can free more.
 *   used_hist  the movable pages of each candidate block, as
 *              [used, blocks] pairs, fewest used first: every eligible
 *              block, and the "extra" transient blocks with the fewest
 *              movable pages (whichever of them could really be freed,
 *              the sums below stay lower bounds).
 *   M_min(k) = the sum of the k smallest used counts of used_hist: the
 *              fewest migrations that leave k blocks free. m_min is
 *              M_min(n_max); a report computes M_min(k) for the k blocks a
 *              run freed.
 * Left out of the bound: pages other tasks free while the run goes on
 * (the bench runs nothing else). Left out of M_min(k): our own pages are
 * used pages in the snapshot and free by the time the run starts, so
 * M_min(k) may be over by at most "self" pages.
 *
 * The snapshot is not atomic: pages change while we read. To keep the
 * error small each zone is read in one pass, chunk by chunk (8192 pfns),
 * kpagecount for a chunk right after kpageflags for it; zoneinfo is read
 * before and after the scan and both "pages free" values are reported
 * (n_max uses the one from before). Repeating the measurement is the
 * caller's choice.
 *
 * Output: one JSON object per zone and line, then {"zone":"total",...} with
 * the sums of the per-zone figures (start_pfn/end_pfn: lowest and highest;
 * node: null; self once; used_hist merged). Keys: node, zone, start_pfn,
 * end_pfn, blocks, free_blocks, eligible, movable_blocks,
 * unmovable_blocks, mixed_blocks, hole_blocks, used_movable,
 * used_unmovable, free_inferred, pages_free_before, pages_free_after, min,
 * low, pcp, ncpu, ambiguous, offlru, budget, extra, self, by_free, n_max,
 * m_min, hole_pages, buddy_tails, used_hist. (used_unmovable includes the
 * offlru pages, not the ambiguous ones.) --map FILE writes one line per
 * zone: "NODE ZONE START_PFN " and one class letter per block, the first
 * for the block holding start_pfn. --used FILE writes one line per zone:
 * "NODE ZONE START_PFN" and, per block in the same order, its movable
 * pages, or "-" for an H block.
 *
 * Exit status: 0 on success, 1 on bad input (missing or unreadable file,
 * zoneinfo parse error), 2 on a bad command line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KPF_LRU			5
#define KPF_SLAB		7
#define KPF_BUDDY		10
#define KPF_HUGE		17
#define KPF_UNEVICTABLE		18
#define KPF_HWPOISON		19
#define KPF_NOPAGE		20
#define KPF_OFFLINE		23
#define KPF_PGTABLE		26
#define KPF_RESERVED		32
#define KPF_MLOCKED		33

#define BIT(n)			(1ULL << (n))
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define PAGEBLOCK_ORDER		9
#define PAGEBLOCK_PAGES		(1ULL << PAGEBLOCK_ORDER)
#define INFER_MAX_ORDER		10
#define CHUNK_PFNS		8192
/* 6.12: 7 per-CPU folio batches (6 in cpu_fbatches, 1 mlock) of 31 */
#define LRU_BATCH_PAGES		(7 * 31)

/* Per-pfn class, one byte each; BUDDY and BLANK are resolved later. */
enum pclass {
	PC_HOLE,
	PC_BUDDY,	/* has KPF_BUDDY */
	PC_BLANK,	/* flags == 0 and count == 0 */
	PC_MOVABLE,
	PC_UNMOVABLE,	/* certainly unmovable */
	PC_OFFLRU,	/* used, off the LRU, no never-movable bit */
	PC_FREE,	/* resolved: free */
	PC_AMBIG,	/* resolved: blank but not free */
};

enum tails { TAILS_AUTO, TAILS_MARKED, TAILS_UNMARKED };
static const char *const tails_name[] = { "auto", "marked", "unmarked" };

/* zoneinfo fields we need; a populated zone must have all of them */
enum {
	ZF_FREE = 1 << 0, ZF_MIN = 1 << 1, ZF_LOW = 1 << 2, ZF_HIGH = 1 << 3,
	ZF_SPANNED = 1 << 4, ZF_PRESENT = 1 << 5, ZF_MANAGED = 1 << 6,
	ZF_START = 1 << 7,
	ZF_ALL = (1 << 8) - 1,
};

/* all unsigned long long: add_stats() sums them field by field */
struct zstats {
	unsigned long long blocks, free_blocks, movable_blocks;
	unsigned long long unmovable_blocks, mixed_blocks, hole_blocks;
	unsigned long long used_movable, used_unmovable, free_inferred;
	unsigned long long ambiguous, offlru, hole_pages, n_max, m_min;
	unsigned long long budget, extra, by_free;
	/* candidate blocks by movable pages: see used_hist */
	unsigned long long hist[PAGEBLOCK_PAGES + 1];
};

struct zone {
	int node;
	char name[32];
	unsigned int seen;
	unsigned long long free, min, low, high, spanned, present, managed;
	unsigned long long start_pfn, pcp, ncpu, free_after;
	unsigned char *pc;	/* spanned entries */
	char *map;		/* one letter per block */
	int *used;		/* movable pages per block, -1 for H */
	struct zstats st;
};

struct zones {
	struct zone *z;
	size_t nr;
};

static struct {
	const char *root;
	int unevictable;	/* -1: read the sysctl */
	int ambiguous_free;
	enum tails tails;
	const char *map;
	const char *used;
} opt = { .root = "", .unevictable = -1, .tails = TAILS_AUTO };

/* our own anonymous pages and page tables, freed when we exit */
static unsigned long long self_pages;

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fputs("oracle: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *xzalloc(size_t size)
{
	void *p = calloc(1, size ? size : 1);

	if (!p)
		die("out of memory (%zu bytes)", size);
	return p;
}

static char *path_of(const char *rel)
{
	size_t len = strlen(opt.root) + strlen(rel) + 1;
	char *p = xzalloc(len);

	snprintf(p, len, "%s%s", opt.root, rel);
	return p;
}

static const char *root_hint(int err)
{
	return (err == EACCES || err == EPERM) ? " (run as root)" : "";
}

/* ---- zoneinfo ------------------------------------------------------- */

static int parse_ull(const char *s, unsigned long long *val)
{
	char *end;

	if (!s)
		return -1;
	while (*s == ' ' || *s == '\t')
		s++;
	errno = 0;
	*val = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -1;
	while (*end == ' ' || *end == '\t' || *end == '\n')
		end++;
	return *end ? -1 : 0;
}

struct zi_key {
	const char *key;
	unsigned int bit;
	size_t off;
};

static const struct zi_key zi_keys[] = {
	{ "min",	ZF_MIN,		offsetof(struct zone, min) },
	{ "low",	ZF_LOW,		offsetof(struct zone, low) },
	{ "high",	ZF_HIGH,	offsetof(struct zone, high) },
	{ "spanned",	ZF_SPANNED,	offsetof(struct zone, spanned) },
	{ "present",	ZF_PRESENT,	offsetof(struct zone, present) },
	{ "managed",	ZF_MANAGED,	offsetof(struct zone, managed) },
	{ "start_pfn:",	ZF_START,	offsetof(struct zone, start_pfn) },
};

/* One line inside a zone section; returns -1 on a bad number. */
static int zi_line(struct zone *z, char *line)
{
	char *key = strtok(line, " \t\n");
	char *rest = strtok(NULL, "\n");
	unsigned long long v;
	size_t i;

	if (!key)
		return 0;
	if (!strcmp(key, "pages") && rest && !strncmp(rest, "free", 4)) {
		z->seen |= ZF_FREE;
		return parse_ull(rest + 4, &z->free);
	}
	if (!strcmp(key, "count:")) {
		if (parse_ull(rest, &v))
			return -1;
		z->pcp += v;
		z->ncpu++;
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(zi_keys); i++) {
		if (strcmp(key, zi_keys[i].key))
			continue;
		z->seen |= zi_keys[i].bit;
		return parse_ull(rest, (unsigned long long *)
				 ((char *)z + zi_keys[i].off));
	}
	return 0;
}

static struct zone *zi_new(struct zones *zs, const char *line, const char *path)
{
	struct zone *z;

	zs->z = realloc(zs->z, (zs->nr + 1) * sizeof(*zs->z));
	if (!zs->z)
		die("out of memory");
	z = &zs->z[zs->nr++];
	memset(z, 0, sizeof(*z));
	if (sscanf(line, "Node %d, zone %31s", &z->node, z->name) != 2)
		die("%s: cannot parse section header: %s", path, line);
	return z;
}

/* Drops unpopulated zones; checks the populated ones are complete. */
static void zi_check(struct zones *zs, const char *path)
{
	size_t i, n = 0;

	for (i = 0; i < zs->nr; i++) {
		struct zone *z = &zs->z[i];

		if ((z->seen & ZF_PRESENT) && !z->present)
			continue;
		if ((z->seen & ZF_ALL) != ZF_ALL)
			die("%s: zone %d/%s lacks a field (have mask %#x of %#x)",
			    path, z->node, z->name, z->seen, ZF_ALL);
		zs->z[n++] = *z;
	}
	zs->nr = n;
	if (!n)
		die("%s: no populated zone", path);
}

static struct zones read_zoneinfo(void)
{
	char *path = path_of("/proc/zoneinfo");
	struct zones zs = { 0 };
	struct zone *z = NULL;
	char *line = NULL;
	size_t cap = 0;
	unsigned long lineno = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		die("cannot open %s: %s", path, strerror(errno));
	while (getline(&line, &cap, f) > 0) {
		lineno++;
		if (!strncmp(line, "Node ", 5)) {
			z = zi_new(&zs, line, path);
			continue;
		}
		if (!z)
			die("%s:%lu: data before the first zone", path, lineno);
		if (zi_line(z, line))
			die("%s:%lu: bad number", path, lineno);
	}
	if (ferror(f))
		die("cannot read %s: %s", path, strerror(errno));
	fclose(f);
	free(line);
	zi_check(&zs, path);
	free(path);
	return zs;
}

static void read_free_after(struct zones *zs)
{
	struct zones after = read_zoneinfo();
	size_t i, j;

	for (i = 0; i < zs->nr; i++) {
		struct zone *z = &zs->z[i];

		for (j = 0; j < after.nr; j++)
			if (after.z[j].node == z->node &&
			    !strcmp(after.z[j].name, z->name))
				break;
		if (j == after.nr)
			die("zone %d/%s vanished from zoneinfo during the scan",
			    z->node, z->name);
		z->free_after = after.z[j].free;
	}
	free(after.z);
}

static int read_unevictable(void)
{
	char *path = path_of("/proc/sys/vm/compact_unevictable_allowed");
	char buf[16] = "";
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		die("cannot open %s: %s (or pass --unevictable 0|1)", path,
		    strerror(errno));
	ok = fgets(buf, sizeof(buf), f) && (buf[0] == '0' || buf[0] == '1') &&
	     (buf[1] == '\n' || buf[1] == '\0');
	fclose(f);
	if (!ok)
		die("%s: expected 0 or 1", path);
	free(path);
	return buf[0] - '0';
}

/* RssAnon + VmPTE of /proc/self/status, in pages. */
static unsigned long long read_self(void)
{
	char *path = path_of("/proc/self/status");
	unsigned long long kb, sum = 0;
	unsigned int seen = 0;
	char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		die("cannot open %s: %s", path, strerror(errno));
	while (getline(&line, &cap, f) > 0) {
		if (sscanf(line, "RssAnon: %llu kB", &kb) == 1) {
			sum += kb;
			seen |= 1;
		} else if (sscanf(line, "VmPTE: %llu kB", &kb) == 1) {
			sum += kb;
			seen |= 2;
		}
	}
	fclose(f);
	free(line);
	if (seen != 3)
		die("%s: no RssAnon or VmPTE line", path);
	free(path);
	return (sum * 1024 + 4095) / 4096;
}

/* ---- kpageflags / kpagecount ---------------------------------------- */

struct kpage {
	int fd;
	char *path;
};

static struct kpage kpage_open(const char *rel)
{
	struct kpage k = { .path = path_of(rel) };

	k.fd = open(k.path, O_RDONLY);
	if (k.fd < 0)
		die("cannot open %s: %s%s", k.path, strerror(errno),
		    root_hint(errno));
	return k;
}

/* Reads up to n entries from pfn on; returns how many (less at EOF). */
static size_t kpage_read(struct kpage *k, uint64_t pfn, size_t n, uint64_t *buf)
{
	size_t want = n * sizeof(*buf), got = 0;

	while (got < want) {
		ssize_t r = pread(k->fd, (char *)buf + got, want - got,
				  (off_t)(pfn * sizeof(*buf) + got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("cannot read %s at pfn %llu: %s%s", k->path,
			    (unsigned long long)pfn, strerror(errno),
			    root_hint(errno));
		if (!r)
			break;
		got += r;
	}
	return got / sizeof(*buf);
}

/* A used page with one of these is certainly unmovable. */
#define NEVER_MOVABLE	(BIT(KPF_HUGE) | BIT(KPF_SLAB) | BIT(KPF_PGTABLE) | \
			 BIT(KPF_RESERVED) | BIT(KPF_OFFLINE) | \
			 BIT(KPF_HWPOISON))

static int movable(uint64_t flags, int unevictable)
{
	const uint64_t unev = BIT(KPF_UNEVICTABLE) | BIT(KPF_MLOCKED);

	if (!(flags & BIT(KPF_LRU)) || (flags & NEVER_MOVABLE))
		return 0;
	return unevictable || !(flags & unev);
}

static unsigned char raw_class(uint64_t flags, uint64_t count, int unevictable)
{
	if (flags & BIT(KPF_NOPAGE))
		return PC_HOLE;
	if (flags & BIT(KPF_BUDDY))
		return PC_BUDDY;
	if (!flags && !count)
		return PC_BLANK;
	if (movable(flags, unevictable))
		return PC_MOVABLE;
	if (!(flags & (BIT(KPF_LRU) | NEVER_MOVABLE)))
		return PC_OFFLRU;
	return PC_UNMOVABLE;
}

/* One pass over the zone, kpagecount for each chunk right after flags. */
static void scan_zone(struct zone *z, struct kpage *kf, struct kpage *kc,
		      uint64_t *flags, uint64_t *count, int unevictable)
{
	unsigned long long i, j;

	z->pc = xzalloc(z->spanned);
	for (i = 0; i < z->spanned; i += CHUNK_PFNS) {
		size_t n = z->spanned - i < CHUNK_PFNS ? z->spanned - i
						       : CHUNK_PFNS;
		size_t nf = kpage_read(kf, z->start_pfn + i, n, flags);
		size_t nc = kpage_read(kc, z->start_pfn + i, n, count);

		for (j = 0; j < n; j++)
			z->pc[i + j] = (j < nf && j < nc) ?
				raw_class(flags[j], count[j], unevictable) :
				PC_HOLE;
	}
}

/* ---- free pages ----------------------------------------------------- */

static int tails_marked(const struct zones *zs)
{
	size_t i;
	unsigned long long j;

	for (i = 0; i < zs->nr; i++) {
		const struct zone *z = &zs->z[i];

		for (j = z->start_pfn & 1; j + 1 < z->spanned; j += 2)
			if (z->pc[j] == PC_BUDDY && z->pc[j + 1] == PC_BUDDY)
				return 1;
	}
	return 0;
}

/* Largest order of a free block headed at index i, tails unmarked. */
static unsigned int infer_order(const struct zone *z, unsigned long long i)
{
	unsigned long long pfn = z->start_pfn + i, j;
	unsigned int order;

	for (order = 1; order <= INFER_MAX_ORDER; order++) {
		unsigned long long size = 1ULL << order;

		if ((pfn & (size - 1)) || i + size > z->spanned)
			break;
		for (j = i + size / 2; j < i + size; j++)
			if (z->pc[j] != PC_BLANK)
				return order - 1;
	}
	return order - 1;
}

static void resolve_free(struct zone *z, int marked)
{
	unsigned long long i, j, end;

	for (i = 0; i < z->spanned; i++) {
		if (z->pc[i] != PC_BUDDY)
			continue;
		end = i + (marked ? 1 : 1ULL << infer_order(z, i));
		for (j = i; j < end; j++)
			z->pc[j] = PC_FREE;
		i = end - 1;
	}
	for (i = 0; i < z->spanned; i++)
		if (z->pc[i] == PC_BLANK)
			z->pc[i] = PC_AMBIG;
}

/* ---- blocks and limits ---------------------------------------------- */

static void count_pages(struct zone *z)
{
	unsigned long long i;

	for (i = 0; i < z->spanned; i++) {
		switch (z->pc[i]) {
		case PC_HOLE:
			z->st.hole_pages++;
			break;
		case PC_FREE:
			z->st.free_inferred++;
			break;
		case PC_AMBIG:
			z->st.ambiguous++;
			break;
		case PC_MOVABLE:
			z->st.used_movable++;
			break;
		case PC_OFFLRU:
			z->st.offlru++;
			z->st.used_unmovable++;
			break;
		default:
			z->st.used_unmovable++;
			break;
		}
	}
}

/* What one block holds, by the page classes above. */
struct bcount {
	unsigned int mov;	/* movable: the pages M_min has to move */
	unsigned int certain;	/* certainly unmovable */
	unsigned int transient;	/* ambiguous (unless counted free), offlru */
};

/* Class letter of the block at pfn, and its counts unless it is H. */
static char block_class(const struct zone *z, unsigned long long pfn,
			struct bcount *bc)
{
	unsigned long long end = z->start_pfn + z->spanned, i;

	memset(bc, 0, sizeof(*bc));
	if (pfn < z->start_pfn || pfn + PAGEBLOCK_PAGES > end)
		return 'H';
	for (i = pfn - z->start_pfn; i < pfn - z->start_pfn + PAGEBLOCK_PAGES;
	     i++) {
		switch (z->pc[i]) {
		case PC_HOLE:
			return 'H';
		case PC_FREE:
			break;
		case PC_MOVABLE:
			bc->mov++;
			break;
		case PC_AMBIG:
			bc->transient += !opt.ambiguous_free;
			break;
		case PC_OFFLRU:
			bc->transient++;
			break;
		default:
			bc->certain++;
			break;
		}
	}
	if (bc->certain + bc->transient)
		return bc->mov ? 'X' : 'U';
	return bc->mov ? 'M' : 'F';
}

/* A block with transient pages but none certainly unmovable. */
struct maybe {
	unsigned int transient, mov;
};

static int by_transient(const void *a, const void *b)
{
	const struct maybe *x = a, *y = b;

	return (x->transient > y->transient) - (x->transient < y->transient);
}

static int by_mov(const void *a, const void *b)
{
	const struct maybe *x = a, *y = b;

	return (x->mov > y->mov) - (x->mov < y->mov);
}

/*
 * extra: how many of the @nr maybe-blocks could be free at once, their
 * transient pages within the budget; then the extra ones with the fewest
 * movable pages join the histogram.
 */
static void admit_maybe(struct zone *z, struct maybe *mb, size_t nr)
{
	unsigned long long spent = 0;
	size_t i;

	qsort(mb, nr, sizeof(*mb), by_transient);
	for (i = 0; i < nr && spent + mb[i].transient <= z->st.budget; i++)
		spent += mb[i].transient;
	z->st.extra = i;
	qsort(mb, nr, sizeof(*mb), by_mov);
	for (i = 0; i < z->st.extra; i++)
		z->st.hist[mb[i].mov]++;
}

static void classify_blocks(struct zone *z)
{
	unsigned long long first = z->start_pfn & ~(PAGEBLOCK_PAGES - 1);
	unsigned long long end = z->start_pfn + z->spanned, pfn, b;
	struct maybe *mb;
	struct bcount bc;
	size_t nr_mb = 0;

	z->st.blocks = (end - first + PAGEBLOCK_PAGES - 1) / PAGEBLOCK_PAGES;
	z->map = xzalloc(z->st.blocks + 1);
	z->used = xzalloc(z->st.blocks * sizeof(*z->used));
	mb = xzalloc(z->st.blocks * sizeof(*mb));
	for (b = 0, pfn = first; b < z->st.blocks; b++, pfn += PAGEBLOCK_PAGES) {
		char c = block_class(z, pfn, &bc);

		z->map[b] = c;
		z->used[b] = c == 'H' ? -1 : (int)bc.mov;
		switch (c) {
		case 'H':
			z->st.hole_blocks++;
			break;
		case 'U':
		case 'X':
			if (c == 'U')
				z->st.unmovable_blocks++;
			else
				z->st.mixed_blocks++;
			if (!bc.certain) {
				mb[nr_mb].transient = bc.transient;
				mb[nr_mb++].mov = bc.mov;
			}
			break;
		case 'F':
			z->st.free_blocks++;
			z->st.hist[0]++;
			break;
		default:
			z->st.movable_blocks++;
			z->st.hist[bc.mov]++;
			break;
		}
	}
	z->st.budget = z->pcp + LRU_BATCH_PAGES * z->ncpu;
	admit_maybe(z, mb, nr_mb);
	free(mb);
}

/* n_max and m_min, once self_pages is known. */
static void set_limits(struct zone *z)
{
	unsigned long long eligible, by_free, left;
	unsigned int used;

	eligible = z->st.free_blocks + z->st.movable_blocks + z->st.extra;
	by_free = (z->free + z->pcp + self_pages) / PAGEBLOCK_PAGES;
	z->st.by_free = by_free;
	z->st.n_max = eligible < by_free ? eligible : by_free;
	/* m_min = M_min(n_max): the emptiest candidates, fewest used first */
	left = z->st.n_max;
	for (used = 0; used <= PAGEBLOCK_PAGES && left; used++) {
		unsigned long long take = z->st.hist[used] < left ?
					  z->st.hist[used] : left;

		z->st.m_min += take * used;
		left -= take;
	}
}

/* ---- output --------------------------------------------------------- */

static void print_hist(const unsigned long long *hist)
{
	const char *sep = "";
	unsigned int used;

	printf("[");
	for (used = 0; used <= PAGEBLOCK_PAGES; used++) {
		if (!hist[used])
			continue;
		printf("%s[%u,%llu]", sep, used, hist[used]);
		sep = ",";
	}
	printf("]");
}

/* One JSON line; @node is the number, or "null" for the total. */
static void print_json(const struct zone *z, const char *node,
		       const char *tails)
{
	const struct zstats *s = &z->st;

	printf("{\"node\":%s,\"zone\":\"%s\",\"start_pfn\":%llu,"
	       "\"end_pfn\":%llu,\"blocks\":%llu,\"free_blocks\":%llu,"
	       "\"eligible\":%llu,\"movable_blocks\":%llu,"
	       "\"unmovable_blocks\":%llu,\"mixed_blocks\":%llu,"
	       "\"hole_blocks\":%llu,\"used_movable\":%llu,"
	       "\"used_unmovable\":%llu,\"free_inferred\":%llu,"
	       "\"pages_free_before\":%llu,\"pages_free_after\":%llu,"
	       "\"min\":%llu,\"low\":%llu,\"pcp\":%llu,\"ncpu\":%llu,"
	       "\"ambiguous\":%llu,\"offlru\":%llu,\"budget\":%llu,"
	       "\"extra\":%llu,\"self\":%llu,\"by_free\":%llu,"
	       "\"n_max\":%llu,\"m_min\":%llu,\"hole_pages\":%llu,"
	       "\"buddy_tails\":\"%s\",\"used_hist\":",
	       node, z->name, z->start_pfn, z->start_pfn + z->spanned,
	       s->blocks, s->free_blocks, s->free_blocks + s->movable_blocks,
	       s->movable_blocks, s->unmovable_blocks, s->mixed_blocks,
	       s->hole_blocks, s->used_movable, s->used_unmovable,
	       s->free_inferred, z->free, z->free_after, z->min, z->low,
	       z->pcp, z->ncpu, s->ambiguous, s->offlru, s->budget, s->extra,
	       self_pages, s->by_free, s->n_max, s->m_min, s->hole_pages,
	       tails);
	print_hist(s->hist);
	printf("}\n");
}

/* struct zstats is all unsigned long long: add it field by field */
static void add_stats(struct zstats *t, const struct zstats *s)
{
	const unsigned long long *src = (const unsigned long long *)s;
	unsigned long long *dst = (unsigned long long *)t;
	size_t i;

	for (i = 0; i < sizeof(*s) / sizeof(*src); i++)
		dst[i] += src[i];
}

static void report(const struct zones *zs, const char *tails)
{
	struct zone tot = { .name = "total", .start_pfn = ~0ULL };
	unsigned long long hi = 0;
	char node[16];
	size_t i;

	for (i = 0; i < zs->nr; i++) {
		const struct zone *z = &zs->z[i];
		unsigned long long end = z->start_pfn + z->spanned;

		snprintf(node, sizeof(node), "%d", z->node);
		print_json(z, node, tails);
		add_stats(&tot.st, &z->st);
		tot.start_pfn = z->start_pfn < tot.start_pfn ? z->start_pfn :
							      tot.start_pfn;
		hi = end > hi ? end : hi;
		tot.free += z->free;
		tot.free_after += z->free_after;
		tot.min += z->min;
		tot.low += z->low;
		tot.pcp += z->pcp;
		tot.ncpu += z->ncpu;
	}
	tot.spanned = hi - tot.start_pfn;
	print_json(&tot, "null", tails);
}

static void write_used(const struct zones *zs)
{
	FILE *f = fopen(opt.used, "w");
	unsigned long long b;
	size_t i;

	if (!f)
		die("cannot write %s: %s", opt.used, strerror(errno));
	for (i = 0; i < zs->nr; i++) {
		const struct zone *z = &zs->z[i];

		fprintf(f, "%d %s %llu", z->node, z->name, z->start_pfn);
		for (b = 0; b < z->st.blocks; b++) {
			if (z->used[b] < 0)
				fputs(" -", f);
			else
				fprintf(f, " %d", z->used[b]);
		}
		fputc('\n', f);
	}
	if (fclose(f))
		die("cannot write %s: %s", opt.used, strerror(errno));
}

static void write_map(const struct zones *zs)
{
	FILE *f = fopen(opt.map, "w");
	size_t i;

	if (!f)
		die("cannot write %s: %s", opt.map, strerror(errno));
	for (i = 0; i < zs->nr; i++)
		fprintf(f, "%d %s %llu %s\n", zs->z[i].node, zs->z[i].name,
			zs->z[i].start_pfn, zs->z[i].map);
	if (fclose(f))
		die("cannot write %s: %s", opt.map, strerror(errno));
}

/* ---- main ----------------------------------------------------------- */

static void __attribute__((noreturn)) usage(const char *why)
{
	if (why)
		fprintf(stderr, "oracle: %s\n", why);
	fprintf(stderr,
		"usage: oracle [--root DIR] [--unevictable 0|1] [--ambiguous-free]\n"
		"              [--buddy-tails auto|marked|unmarked] [--map FILE]\n"
		"              [--used FILE]\n");
	exit(why ? 2 : 0);
}

static void parse_args(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--help") || !strcmp(a, "-h"))
			usage(NULL);
		if (!strcmp(a, "--ambiguous-free")) {
			opt.ambiguous_free = 1;
			continue;
		}
		if (!v)
			usage("unknown option or missing value");
		i++;
		if (!strcmp(a, "--root"))
			opt.root = v;
		else if (!strcmp(a, "--map"))
			opt.map = v;
		else if (!strcmp(a, "--used"))
			opt.used = v;
		else if (!strcmp(a, "--unevictable") && (!strcmp(v, "0") ||
							 !strcmp(v, "1")))
			opt.unevictable = v[0] - '0';
		else if (!strcmp(a, "--buddy-tails") && !strcmp(v, "marked"))
			opt.tails = TAILS_MARKED;
		else if (!strcmp(a, "--buddy-tails") && !strcmp(v, "unmarked"))
			opt.tails = TAILS_UNMARKED;
		else if (!strcmp(a, "--buddy-tails") && !strcmp(v, "auto"))
			opt.tails = TAILS_AUTO;
		else
			usage("unknown option or bad value");
	}
}

int main(int argc, char **argv)
{
	uint64_t *flags, *count;
	struct kpage kf, kc;
	struct zones zs;
	int unevictable, marked;
	size_t i;

	parse_args(argc, argv);
	unevictable = opt.unevictable >= 0 ? opt.unevictable
					   : read_unevictable();
	zs = read_zoneinfo();
	kf = kpage_open("/proc/kpageflags");
	kc = kpage_open("/proc/kpagecount");
	flags = xzalloc(CHUNK_PFNS * sizeof(*flags));
	count = xzalloc(CHUNK_PFNS * sizeof(*count));
	for (i = 0; i < zs.nr; i++)
		scan_zone(&zs.z[i], &kf, &kc, flags, count, unevictable);
	read_free_after(&zs);

	marked = opt.tails == TAILS_AUTO ? tails_marked(&zs)
					 : opt.tails == TAILS_MARKED;
	for (i = 0; i < zs.nr; i++) {
		resolve_free(&zs.z[i], marked);
		count_pages(&zs.z[i]);
		classify_blocks(&zs.z[i]);
	}
	/* every big allocation is made and touched by now */
	self_pages = read_self();
	for (i = 0; i < zs.nr; i++)
		set_limits(&zs.z[i]);
	report(&zs, tails_name[marked ? TAILS_MARKED : TAILS_UNMARKED]);
	if (opt.map)
		write_map(&zs);
	if (opt.used)
		write_used(&zs);
	return 0;
}
