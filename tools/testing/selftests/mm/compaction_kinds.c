// SPDX-License-Identifier: GPL-2.0
/*
 * compaction_kinds - every kind of page compaction meets keeps every byte;
 * the kinds that can move do move, large folios as folios of the same
 * size; the kinds that cannot move (pinned, or dirty with no way to
 * migrate) stay where they are and go back to the LRU.
 *
 * The kinds, each in a region of its own (U = 3% of MemFree, 29 MiB in the
 * 1 GiB guest), keeping 1 folio in 8 (THP: 1 extent in 2):
 *
 *   kind                  backing                        folio size moves
 *   anon 4K               private anonymous, NOHUGEPAGE  4K    2U   yes
 *   anon 4K pinned        the same, some kept pinned     4K    U/2  unpinned only
 *   anon 64K (mTHP)       private anonymous, no advice,  64K   2U   yes, whole
 *                         hugepages-64kB enabled=always
 *   anon 2M (THP)         MADV_HUGEPAGE, enabled=madvise 2M    U    no (1)
 *   shmem 4K (file in     a file in /tmp, MAP_SHARED,    4K    2U   unpinned only
 *     /tmp, mapped)       some kept pinned (2)
 *   shmem 64K             MAP_SHARED|MAP_ANONYMOUS,      64K   U    unpinned only, whole
 *                         hugepages-64kB shmem_enabled
 *                         =always, some kept pinned
 *   files in /tmp         8-page files written with      4K    2U   yes
 *                         pwrite(2), cut to their first
 *                         page: dirty page cache, not
 *                         mapped during compaction (3)
 *   ramfs files           the same on a private ramfs    4K    U/2  no (4)
 *   KSM pairs             two identical pages, merged    4K    U/2  yes, still one page
 *
 * (1) A folio of pageblock order or more is moved only by
 *     alloc_contig_range(): moving it frees nothing larger (upstream's rule
 *     too; Documentation/mm/compaction.rst).  It must stay whole, where it
 *     is, with its contents.
 * (2) Not memfd_create(): a shmem file with no name when it is mapped is
 *     anonymous shared memory and follows the per-size shmem_enabled knobs
 *     (our 64K kind); a file with a name gets 4K pages (/tmp is mounted
 *     huge=never).
 * (3) The guest has no disk filesystem (CONFIG_BLOCK is off), so /tmp is
 *     tmpfs and its dirty page cache is shmem; where /tmp is a disk
 *     filesystem this line covers that filesystem's dirty pages (the line
 *     names the filesystem).
 * (4) ramfs pages are dirty and ramfs has neither ->migrate_folio nor
 *     ->writepage, so the migration of each fails (-EINVAL, in the fallback
 *     path) however hard the engine tries: the pages are taken (they are
 *     unevictable, and compact_unevictable_allowed is 1 here), fail, and
 *     must come back.
 *
 * Pinned: the first page of every other (or 4th, 8th: at most 256 a kind)
 * kept folio is vmsplice(2)d into a pipe that stays open, which holds a
 * reference (no io_uring in our configs).  The engine refuses pinned
 * anonymous folios before isolating them (more references than
 * mappings); shmem ones it isolates, migration allocates a target, fails
 * on the extra reference and returns the unused target (order 4 for the
 * 64K ones) and the folio.
 *
 * Layout: nothing else may move our folios while we lay them out.  So
 * khugepaged is held off (in 6.12 it collapses 64K anonymous shmem folios
 * into 2 MiB ones: 13 to 26 of 45-58 kept shmem 64K folios were left
 * whole when it ran, thp_collapse_alloc +7), compaction_proactiveness is
 * 0 and we wait for kcompactd to sleep (the test before wakes it when it
 * restores the knob), and THP defrag is never after one compact_memory
 * (not judged), so that the THPs of the layout take free 2 MiB blocks and
 * no compaction runs.
 * Then 16 rounds, each faulting (or writing) 1/16 of every region in turn,
 * so that all kinds share the same stretches of memory; then every region
 * frees what it does not keep (MADV_DONTNEED, MADV_REMOVE, fallocate()
 * punch, truncate()) and pins:
 *
 *   physical memory after the rounds (one round of each kind after another):
 *   [a4K|p4K|a64K|THP|s4K|s64K|tmp|ram][a4K|p4K|a64K|THP|s4K|s64K|tmp|ram] ...
 *   each region then (# kept, . freed, P pinned):
 *   anon 4K:   #.......#.......#.......#.......       1 page in 8
 *   shmem 4K:  #.......P.......#.......#.......       some kept pinned
 *   anon 64K:  [####][....][....] ... [....][####]    1 folio of 16 pages in 8
 *   THP:       [ 2M kept ][ 2M freed ][ 2M kept ] ...
 *
 * Then one write of compact_memory from this CPU, and a drain of its LRU
 * batches (putback_movable_pages() leaves folios there, without PG_lru,
 * until then).  Where the migrate scanner went, zone by zone, is
 * [zone_start, migrate_pfn) of our mm_compaction_end events (a tracefs
 * instance of our own): a folio in there was looked at, and that is what
 * we judge.  How much of a kind lies there depends on where its pages
 * landed and where the run stopped: 67 to 1746 of the 1875 kept anonymous
 * 4K pages in our runs after the other tests.  TAP lines:
 *   1.    compact_memory takes "1";
 *   2-10. one line per kind, judging the kept folios that were whole before (at
 *         least half of them must be): every byte of every kept page holds its
 *         pattern (through the mapping; through read(2) too for the files); no
 *         kept folio is gone from its mapping (a shmem folio that split is
 *         mapped again first: the kernel does not remap a split file folio); of
 *         the unpinned kept folios of a kind that moves, some were passed and
 *         all of those are on other frames now (/proc/self/pagemap; for the
 *         files, a mapping made just to read the frame) but at most one batch
 *         (32 pages) a zone: the batch in hand when the free scanner runs out
 *         of targets where the scanners meet; pinned folios, THPs and ramfs
 *         pages did not move and are on the LRU again (KPF_LRU); file pages
 *         that were dirty still are.  64K and 2M folios: none moved into frames
 *         that are contiguous but not one compound folio of its size (a target
 *         not prepared as a large folio); a folio for which migration found no
 *         target is split and its pages moved (upstream too), at most a quarter
 *         of them, none of the 2M ones.  A run may end before its scanners
 *         meet (when migrate_pages() returns -ENOMEM, as upstream's does: a
 *         large folio that finds no target and cannot be split, such as a
 *         pinned shmem one, is enough; seen in four of eleven runs after
 *         the other tests: node 0 stopped at pfn 0x38f0, 0x6290, 0x6c90 and
 *         0x1f90, its free scanner at 0x16200 to 0x1b200): a kind that had
 *         nothing in the part passed is then excused.  On our engine every
 *         passed folio moved in every run (test and debug kernels, fresh
 *         guest or after the other tests), and 0 to 6 of ~116 64K folios
 *         split.  KSM is a skip where CONFIG_KSM is off (our configs
 *         have it on; the lru-skips-ksm mutant of harness/mutants,
 *         which never isolates a KSM folio, fails this line);
 *   11.   pgmigrate_fail grew (the pinned shmem and ramfs pages were tried
 *         and failed), nr_isolated_anon + nr_isolated_file is back to 0 (no
 *         folio stayed isolated), and the 64K folios seen split are no more
 *         than hugepages-64kB/stats/split counted;
 *   12.   pins released: a new pattern written through each pinned page's
 *         mapping reads back from its pipe (the pipe and the mapping still
 *         share the page: it was not replaced under the pin), the pipes are
 *         drained, and a second compact_memory passes some of the folios
 *         that were pinned and moves them all (but a batch a zone): they
 *         were back on the LRU, movable again; every kept page is intact
 *         again;
 *   13.   after teardown MemFree is back to within 16 MiB of where it
 *         started (a leaked target or folio stays lost: the failing
 *         migrations above allocate and return ~1000 targets, ten times
 *         over with migrate_pages()'s retries);
 *   14.   every knob is back to what it was.
 *
 * What a broken engine shows: one that never moves large folios fails
 * "moved" of the 64K lines; one that puts a large folio into a target not
 * prepared as one fails "contiguous but not one folio" (or splats); one
 * that loses the dirty bit fails the file lines; one that moves a 2M
 * folio fails the THP line; one that leaks a folio whose migration failed
 * fails "off the LRU", 11 and 12; one that loses unused targets fails 13.
 *
 * Knobs, saved and restored at exit and on SIGTERM/SIGINT/SIGHUP: THP
 * enabled=madvise and defrag=never, hugepages-64kB enabled=always and
 * shmem_enabled=always, hugepages-2048kB enabled=inherit, every other size
 * never, shmem_enabled never; khugepaged pages_to_scan=1 and
 * scan_sleep_millisecs=4294967295 (see thp_setup());
 * compact_unevictable_allowed=1; compaction_proactiveness=0;
 * percpu_pagelist_high_fraction as in
 * compaction_util.h; for KSM its run, pages_to_scan, sleep_millisecs.
 * Files and the ramfs mount are removed at exit.  Skips (exit 4) without
 * root, THP, tracefs or /proc/kpageflags (outside our engine); a missing
 * compaction knob fails; a kind the kernel lacks (no mTHP, no ramfs, no
 * KSM) is a TAP skip that names why.  Runs on one CPU from its first
 * measured compaction on.  Takes about 3 s in a 1 GiB QEMU/TCG guest (test
 * kernel), 19 s on the debug kernel.
 *
 * To see it fail: -DBREAK_FLIP_BYTE flips one byte of a kept 64K folio
 * after the compaction (lines 4, "anon 64K (mTHP)", and 12 fail: 1 bad
 * page); -DBREAK_NO_COMPACT writes nothing to compact_memory (lines 2-4
 * and 6-8 fail, nothing passed; 11, nothing failed to migrate; 12).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/kernel-page-flags.h>
#include <linux/magic.h>

#include "../kselftest.h"
#include "compaction_util.h"

#define UNIT_PERCENT	3	/* of MemFree: one unit of layout */
#define ROUNDS		16
#define PIN_MAX		256	/* pinned folios a kind: a pipe of 1 MiB */
#define SEED		0xc0ffee5eedULL
#define GEN2		0x5eedf00dULL	/* seed change for a page rewritten */
#define LEAK_MB		16
#define ISOLATED_WAIT_S	3.0
#define BATCH_PAGES	32	/* pages the migrate scanner isolates at a time */
#define KCOMPACTD_IDLE_S 30.0	/* a proactive round of the test before, at most */
#define KSM_WAIT_S	20.0
#define KSM_DIR		"/sys/kernel/mm/ksm/"
#define KHUGEPAGED_DIR	"/sys/kernel/mm/transparent_hugepage/khugepaged/"

/* What the frames of a kept folio say about it. */
enum folio_state {
	F_ABSENT,	/* its first page is not mapped */
	F_WHOLE,	/* present; a large folio: one compound folio, contiguous */
	F_SPLIT,	/* a large folio no longer contiguous: split into pages */
	F_NOT_ONE,	/* contiguous, but not one compound folio of its size */
};

enum backing {
	B_ANON,		/* private anonymous mapping */
	B_SHMFILE,	/* a file in /tmp, MAP_SHARED (unlinked once mapped) */
	B_SHMEM,	/* MAP_SHARED | MAP_ANONYMOUS */
	B_FILES,	/* 8-page files in a directory; kept page: the first */
};

struct kind {
	/* what it is */
	const char *name;
	const char *id;			/* its TAP name when it is skipped */
	enum backing backing;
	unsigned long folio_pages;	/* 1, 16 or 512 */
	int advice;			/* madvise() for the mapping, or -1 */
	unsigned int eighths;		/* size in eighths of a unit */
	unsigned int keep_every;	/* folio f is kept when f % keep_every == 0 */
	bool pin;			/* pin some kept folios: kind_pin() */
	bool moves;			/* its unpinned kept folios must move */
	bool ksm;			/* pages in identical pairs, merged */
	/* set up at run time */
	const char *skip;		/* why the kernel cannot have this kind */
	char dir[64];			/* B_FILES */
	char fsname[32];
	char *mem;
	int fd;
	uint64_t seed;
	unsigned long nfolios, npages;
	unsigned long nkept, *kept;	/* indices of the kept folios */
	bool *pinned;			/* per kept folio */
	unsigned char *state0;		/* enum folio_state, before */
	bool *rewritten;		/* first page rewritten with GEN2 */
	uint64_t *pfn0, *pfn1, *pfn2;	/* head frame: before, after, after release */
	uint64_t *flags0;		/* kpageflags of the head, before */
	unsigned long npinned;
	unsigned long ksm_merged;	/* pairs ksmd merged before compaction */
	unsigned long nsplit;		/* large folios the compaction split */
	int pipe[2];
};

static struct kind kinds[] = {
	{ "anon 4K", "anon_4k", B_ANON, 1, MADV_NOHUGEPAGE, 16, 8, false, true },
	{ "anon 4K pinned", "anon_4k_pinned", B_ANON, 1, MADV_NOHUGEPAGE, 4, 8, true, true },
	{ "anon 64K (mTHP)", "anon_64k", B_ANON, 16, -1, 16, 8, false, true },
	{ "anon 2M (THP)", "anon_2m", B_ANON, 512, MADV_HUGEPAGE, 8, 2, false, false },
	{ "shmem 4K (file in /tmp, mapped)", "shmem_4k", B_SHMFILE, 1, -1, 16, 8, true, true },
	{ "shmem 64K (anonymous shared)", "shmem_64k", B_SHMEM, 16, -1, 8, 8, true, true },
	{ "files in /tmp", "tmp_files", B_FILES, 1, -1, 16, 8, false, true },
	{ "ramfs files", "ramfs_files", B_FILES, 1, -1, 4, 8, false, false },
	{ "KSM pairs", "ksm", B_ANON, 1, MADV_NOHUGEPAGE, 4, 8, false, true, true },
};

#define NR_KINDS	ARRAY_SIZE(kinds)
#define K_MTHP		2
#define K_SHMEM64	5
#define K_TMP		6
#define K_RAMFS		7
#define K_KSM		8

static char ramfs_dir[64];

/* === Patterns === */

static unsigned long kept_page_index(const struct kind *k, unsigned long j,
				     unsigned long p)
{
	return k->kept[j] * k->folio_pages + p;
}

/* The pattern index of page @i: KSM pairs share theirs. */
static unsigned long pattern_index(const struct kind *k, unsigned long i)
{
	return k->ksm ? i / 2 : i;
}

static bool folio_kept(const struct kind *k, unsigned long f)
{
	/* KSM keeps a pair, folios 0 and 1 of every keep_every */
	return f % k->keep_every < (k->ksm ? 2 : 1);
}

static uint64_t page_seed(const struct kind *k, unsigned long j, unsigned long p)
{
	return k->seed ^ (p == 0 && k->rewritten[j] ? GEN2 : 0);
}

/* === Backings === */

static char *file_path(const struct kind *k, unsigned long file, char *buf)
{
	snprintf(buf, 128, "%s/%lu", k->dir, file);
	return buf;
}

/* One kept page of a file kind: map it just to read its frame. */
static uint64_t file_frame(const struct kind *k, unsigned long f)
{
	char path[128];
	uint64_t pfn = 0;
	char *p;
	int fd;

	fd = open(file_path(k, f / 8, path), O_RDONLY);
	if (fd < 0)
		return 0;
	p = mmap(NULL, PAGE_4K, PROT_READ, MAP_SHARED, fd, 0);
	if (p != MAP_FAILED) {
		(void)*(volatile char *)p;
		page_frames(p, 1, &pfn);
		munmap(p, PAGE_4K);
	}
	close(fd);
	return pfn;
}

static int fs_setup(struct kind *k, const char *base, bool ramfs)
{
	struct statfs sfs;

	snprintf(k->dir, sizeof(k->dir), "%s/compaction_kinds.XXXXXX", base);
	if (!mkdtemp(k->dir))
		return -errno;
	if (ramfs) {
		snprintf(ramfs_dir, sizeof(ramfs_dir), "%s", k->dir);
		if (mount("ramfs", k->dir, "ramfs", 0, "mode=0700")) {
			int err = errno;

			rmdir(k->dir);
			ramfs_dir[0] = '\0';
			return -err;
		}
	}
	if (statfs(k->dir, &sfs))
		return -errno;
	if (sfs.f_type == TMPFS_MAGIC)
		snprintf(k->fsname, sizeof(k->fsname), "tmpfs: shmem");
	else if (sfs.f_type == RAMFS_MAGIC)
		snprintf(k->fsname, sizeof(k->fsname), "ramfs");
	else
		snprintf(k->fsname, sizeof(k->fsname), "fs 0x%lx", (long)sfs.f_type);
	return 0;
}

/* Map the region: 2 MiB-aligned, then what the backing needs. */
static int kind_map(struct kind *k)
{
	size_t len = k->npages * PAGE_4K;

	k->fd = -1;
	k->mem = map_2m(len, k->backing == B_ANON ? k->advice : -1);
	if (!k->mem)
		return -errno;
	if (k->backing == B_SHMFILE) {
		/*
		 * Not memfd_create(): shmem takes a file that has no name when
		 * it is mapped for anonymous shared memory, which follows the
		 * per-size shmem_enabled knobs (64K here, the kind below).
		 */
		char path[] = "/tmp/compaction_kinds.XXXXXX";

		k->fd = mkstemp(path);
		if (k->fd < 0 || ftruncate(k->fd, len))
			return -errno;
		if (mmap(k->mem, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
			 k->fd, 0) == MAP_FAILED)
			return -errno;
		unlink(path);
	} else if (k->backing == B_SHMEM) {
		if (mmap(k->mem, len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
			return -errno;
	}
	return 0;
}

static int kind_setup(struct kind *k, unsigned long unit_pages, unsigned int idx)
{
	unsigned long step = k->folio_pages * k->keep_every, f, j = 0;
	int ret = 0;

	k->seed = SEED + mix64(idx);
	k->npages = unit_pages * k->eighths / 8 / step * step;
	k->nfolios = k->npages / k->folio_pages;
	for (f = 0; f < k->nfolios; f++)
		k->nkept += folio_kept(k, f);
	k->kept = calloc(k->nkept, sizeof(*k->kept));
	k->pinned = calloc(k->nkept, sizeof(bool));
	k->state0 = calloc(k->nkept, 1);
	k->rewritten = calloc(k->nkept, sizeof(bool));
	k->pfn0 = calloc(k->nkept, sizeof(uint64_t));
	k->pfn1 = calloc(k->nkept, sizeof(uint64_t));
	k->pfn2 = calloc(k->nkept, sizeof(uint64_t));
	k->flags0 = calloc(k->nkept, sizeof(uint64_t));
	if (!k->kept || !k->pinned || !k->state0 || !k->rewritten || !k->pfn0 ||
	    !k->pfn1 || !k->pfn2 || !k->flags0)
		return -ENOMEM;
	for (f = 0; f < k->nfolios; f++)
		if (folio_kept(k, f))
			k->kept[j++] = f;
	if (idx == K_TMP)
		ret = fs_setup(k, "/tmp", false);
	else if (idx == K_RAMFS)
		ret = fs_setup(k, "/tmp", true);
	else
		ret = kind_map(k);
	return ret;
}

/* Round @r: fault in (or write) folios [nfolios * r / ROUNDS, next round's). */
static int kind_fill(struct kind *k, unsigned int r)
{
	unsigned long f0 = k->nfolios * r / ROUNDS, f1 = k->nfolios * (r + 1) / ROUNDS;

	if (k->backing == B_FILES) {
		/* whole files: file n is written in the round its first page falls in */
		f0 = (f0 + 7) / 8 * 8;
		f1 = (f1 + 7) / 8 * 8;
	}
	unsigned long f, p, i;

	if (k->backing == B_FILES) {
		static char buf[8 * PAGE_4K];
		char path[128];
		int fd;

		/* folios are pages; file n holds pages 8n to 8n + 7 */
		for (f = f0; f < f1; f += 8) {
			for (p = 0; p < 8; p++)
				fill_page(buf + p * PAGE_4K, k->seed, f + p);
			fd = open(file_path(k, f / 8, path), O_CREAT | O_WRONLY | O_TRUNC, 0600);
			if (fd < 0)
				return -errno;
			if (pwrite(fd, buf, sizeof(buf), 0) != sizeof(buf)) {
				close(fd);
				return -EIO;
			}
			close(fd);
		}
		return 0;
	}
	for (f = f0; f < f1; f++) {
		for (p = 0; p < k->folio_pages; p++) {
			i = f * k->folio_pages + p;
			if (folio_kept(k, f))
				fill_page(k->mem + i * PAGE_4K, k->seed, pattern_index(k, i));
			else if (k->folio_pages == 1 || p == 0)
				k->mem[i * PAGE_4K] = 1;
		}
	}
	return 0;
}

/* Free every folio that is not kept. */
static int kind_punch(struct kind *k)
{
	unsigned long f, g, fp = k->folio_pages;
	char path[128];

	if (k->backing == B_FILES) {
		for (f = 0; f < k->nfolios; f += 8)
			if (truncate(file_path(k, f / 8, path), PAGE_4K))
				return -errno;
		return 0;
	}
	for (f = 0; f < k->nfolios; f = g) {
		size_t off, len;

		if (folio_kept(k, f)) {
			g = f + 1;
			continue;
		}
		for (g = f + 1; g < k->nfolios && !folio_kept(k, g); g++)
			;
		off = f * fp * PAGE_4K;
		len = (g - f) * fp * PAGE_4K;
		if (k->backing == B_ANON && madvise(k->mem + off, len, MADV_DONTNEED))
			return -errno;
		if (k->backing == B_SHMEM && madvise(k->mem + off, len, MADV_REMOVE))
			return -errno;
		if (k->backing == B_SHMFILE &&
		    fallocate(k->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len))
			return -errno;
	}
	return 0;
}

/*
 * vmsplice() the first page of kept folios 1, 1 + s, 1 + 2s, ... with the
 * stride s (2, 4, 8 ...) that pins at most PIN_MAX, spread over the region.
 */
static int kind_pin(struct kind *k)
{
	unsigned long j, n = 0, done, stride = 2;
	struct iovec *iov;
	int ret = 0;

	while (k->nkept / stride > PIN_MAX)
		stride *= 2;

	if (pipe(k->pipe))
		return -errno;
	if (fcntl(k->pipe[1], F_SETPIPE_SZ, PIN_MAX * PAGE_4K) < 0)
		return -errno;
	iov = calloc(PIN_MAX, sizeof(*iov));
	if (!iov)
		return -ENOMEM;
	for (j = 1; j < k->nkept && n < PIN_MAX; j += stride) {
		k->pinned[j] = true;
		iov[n].iov_base = k->mem + k->kept[j] * k->folio_pages * PAGE_4K;
		iov[n].iov_len = PAGE_4K;
		n++;
	}
	k->npinned = n;
	for (done = 0; done < n; ) {
		ssize_t got = vmsplice(k->pipe[1], iov + done, n - done, 0);

		if (got <= 0 || got % PAGE_4K) {
			ret = got < 0 ? -errno : -EIO;
			break;
		}
		done += got / PAGE_4K;
	}
	free(iov);
	return ret;
}

/* === Looking at the kept folios === */

/*
 * Head frame of every kept folio into @pfn; with @state, also what its
 * frames say (enum folio_state: pagemap for contiguity, kpageflags for
 * head and tails).
 */
static int kind_frames(struct kind *k, uint64_t *pfn, unsigned char *state)
{
	unsigned long j, p, fp = k->folio_pages;
	uint64_t *all;

	if (k->backing == B_FILES) {
		for (j = 0; j < k->nkept; j++) {
			pfn[j] = file_frame(k, k->kept[j]);
			if (state)
				state[j] = pfn[j] ? F_WHOLE : F_ABSENT;
		}
		return 0;
	}
	all = calloc(k->npages, sizeof(*all));
	if (!all)
		return -ENOMEM;
	if (page_frames(k->mem, k->npages, all)) {
		free(all);
		return -EIO;
	}
	for (j = 0; j < k->nkept; j++) {
		uint64_t *f = all + k->kept[j] * fp;
		bool contiguous = true;

		pfn[j] = f[0];
		if (!state)
			continue;
		for (p = 1; p < fp && contiguous; p++)
			contiguous = f[p] && f[p] == f[0] + p;
		if (!f[0])
			state[j] = F_ABSENT;
		else if (!contiguous)
			state[j] = F_SPLIT;
		else if (fp > 1 && is_whole_folio(f[0], fp) != 1)
			state[j] = F_NOT_ONE;
		else
			state[j] = F_WHOLE;
	}
	free(all);
	return 0;
}

/* The kept page's bytes: in place, or read(2) into @buf. */
static const char *kept_page(const struct kind *k, unsigned long j,
			     unsigned long p, char *buf, bool via_fd)
{
	unsigned long i = kept_page_index(k, j, p);
	char path[128];
	int fd;

	if (k->backing == B_FILES) {
		fd = open(file_path(k, k->kept[j] / 8, path), O_RDONLY);
		if (fd < 0 || pread(fd, buf, PAGE_4K, 0) != PAGE_4K)
			memset(buf, 0, PAGE_4K);
		if (fd >= 0)
			close(fd);
		return buf;
	}
	if (via_fd) {
		if (pread(k->fd, buf, PAGE_4K, i * PAGE_4K) != PAGE_4K)
			memset(buf, 0, PAGE_4K);
		return buf;
	}
	return k->mem + i * PAGE_4K;
}

/* Every byte of every kept page; the number of bad pages (3 reported). */
static unsigned long kind_bad_pages(const struct kind *k)
{
	static char buf[PAGE_4K];
	unsigned long j, p, bad = 0;
	int pass;

	for (pass = 0; pass < (k->backing == B_SHMFILE ? 2 : 1); pass++) {
		for (j = 0; j < k->nkept; j++) {
			for (p = 0; p < k->folio_pages; p++) {
				unsigned long i = kept_page_index(k, j, p);
				const char *page = kept_page(k, j, p, buf, pass == 1);
				long off = check_page(page, page_seed(k, j, p),
						      pattern_index(k, i));

				if (off < 0)
					continue;
				if (bad++ < 3)
					ksft_print_msg("%s: page %lu%s differs at byte %ld\n",
						       k->name, i, pass ? " (read(2))" : "", off);
			}
		}
	}
	return bad;
}

/* === Judging a kind after compaction === */

#define MAX_SPANS	64

/*
 * The runs of the last compaction: per zone, [zone_start, migrate_pfn) of
 * our task's mm_compaction_end, and how each ended.
 */
static struct {
	unsigned long start, end;
	bool complete;		/* the run ended with its scanners met */
} spans[MAX_SPANS];
static int nr_spans;
/*
 * What the migrate scanner looked at in the last compaction: the ranges
 * of our task's mm_compaction_isolate_migratepages events, each inside one
 * pageblock.  A movable folio in there was looked at, and a correct engine
 * moved it.  A planned run (its census) also logs one event over the whole
 * zone that takes nothing: a range longer than a pageblock is that one,
 * and is not a look by the scanner.
 */
static struct range { unsigned long start, end; } *looked;
static unsigned long nr_looked;
/*
 * A zone's run ended before its scanners met.  The engine ends a run when
 * migrate_pages() returns -ENOMEM before they meet, as upstream does: a
 * large folio that finds no target and cannot be split (a pinned shmem
 * one) is enough.  A kind none of whose folios lay in the part that was
 * passed is then not judged on "moved".
 */
static bool cut_short;

static bool passed(uint64_t pfn)
{
	unsigned long i;

	for (i = 0; i < nr_looked; i++)
		if (pfn >= looked[i].start && pfn < looked[i].end)
			return true;
	return false;
}

static void read_spans(char *buf, size_t size)
{
	struct trace_log t;
	size_t len = 0;
	unsigned long i;

	nr_spans = 0;
	nr_looked = 0;
	cut_short = false;
	buf[0] = '\0';
	if (trace_read(&t))
		ksft_exit_fail_msg("cannot read our trace\n");
	free(looked);
	looked = calloc(t.n + 1, sizeof(*looked));
	if (!looked)
		ksft_exit_fail_msg("no memory for %lu ranges\n", t.n);
	for (i = 0; i < t.n && nr_spans < MAX_SPANS; i++) {
		const struct trace_event *e = &t.ev[i];

		if (e->pid != getpid())
			continue;
		if (!strcmp(e->name, "mm_compaction_isolate_migratepages") &&
		    e->range_end > e->range_start &&
		    e->range_end - e->range_start <= PAGES_PER_BLOCK) {
			looked[nr_looked].start = e->range_start;
			looked[nr_looked++].end = e->range_end;
			continue;
		}
		if (strcmp(e->name, "mm_compaction_end"))
			continue;
		spans[nr_spans].start = e->zone_start;
		spans[nr_spans].end = e->migrate_pfn;
		spans[nr_spans].complete = !strcmp(e->ret, "complete");
		cut_short |= !spans[nr_spans].complete;
		nr_spans++;
		if (len < size)
			len += snprintf(buf + len, size - len,
					"%s[0x%lx, 0x%lx) of 0x%lx (free scanner at 0x%lx, %s)",
					len ? ", " : "", e->zone_start, e->migrate_pfn,
					e->zone_end, e->free_pfn, e->ret);
	}
	trace_log_free(&t);
}

/*
 * Passed but unmoved folios a correct engine may leave: the batch it had
 * isolated when the free scanner ran out of targets, in each zone.
 */
static unsigned long stranded_max(const struct kind *k)
{
	return nr_spans * BATCH_PAGES / k->folio_pages;
}

struct verdict {
	unsigned long bad, absent, judged;
	unsigned long movable, passed, moved;	/* unpinned of a moving kind */
	unsigned long stayers, stayers_passed, stayers_moved, off_lru;
	unsigned long split, not_one, dirty0, dirty1, ksm_pairs;
};

/* Read a byte of every page of kept folio @j: maps it again if it was unmapped. */
static void touch_folio(const struct kind *k, unsigned long j)
{
	unsigned long p;

	for (p = 0; p < k->folio_pages; p++)
		(void)*(volatile char *)(k->mem + kept_page_index(k, j, p) * PAGE_4K);
}

/*
 * After the compaction: frames, states and flags of the kept folios.  A
 * shmem folio that is not mapped any more was split (the kernel does not
 * map a split file folio again): fault it in and look once more.
 */
static void after_frames(struct kind *k, unsigned char *state1, uint64_t *flags1)
{
	unsigned long j, refault = 0;

	if (kind_frames(k, k->pfn1, state1))
		ksft_exit_fail_msg("%s: cannot read frames\n", k->name);
	if (k->backing == B_SHMEM || k->backing == B_SHMFILE) {
		for (j = 0; j < k->nkept; j++) {
			if (state1[j] == F_ABSENT && k->state0[j] == F_WHOLE) {
				touch_folio(k, j);
				refault++;
			}
		}
		if (refault && kind_frames(k, k->pfn1, state1))
			ksft_exit_fail_msg("%s: cannot read frames\n", k->name);
	}
	if (page_flags(k->pfn1, k->nkept, flags1))
		ksft_exit_fail_msg("%s: cannot read /proc/kpageflags\n", k->name);
}

static void judge(struct kind *k, struct verdict *v)
{
	uint64_t *flags1 = calloc(k->nkept, sizeof(*flags1));
	unsigned char *state1 = calloc(k->nkept, 1);
	unsigned long j;

	memset(v, 0, sizeof(*v));
	if (!flags1 || !state1)
		ksft_exit_fail_msg("out of memory\n");
	after_frames(k, state1, flags1);
	v->bad = kind_bad_pages(k);
	for (j = 0; j < k->nkept; j++) {
		bool moved = k->pfn0[j] && k->pfn1[j] && k->pfn0[j] != k->pfn1[j];
		bool was_passed = passed(k->pfn0[j]);

		if (k->state0[j] != F_WHOLE)
			continue;	/* absent, or not a large folio to begin with */
		v->judged++;
		v->absent += state1[j] == F_ABSENT;
		/*
		 * Split: no longer contiguous, or contiguous where it was but
		 * no longer one folio (split in place); contiguous somewhere
		 * else but not one folio: moved into a target that was not
		 * prepared as a large folio.
		 */
		v->split += state1[j] == F_SPLIT || (state1[j] == F_NOT_ONE && !moved);
		v->not_one += state1[j] == F_NOT_ONE && moved;
		if (k->pinned[j] || !k->moves) {
			v->stayers++;
			v->stayers_passed += was_passed;
			v->stayers_moved += moved;
			if (!(flags1[j] >> KPF_LRU & 1))
				v->off_lru++;
		} else {
			v->movable++;
			v->passed += was_passed;
			v->moved += moved && was_passed;
		}
		v->dirty0 += k->flags0[j] >> KPF_DIRTY & 1;
		v->dirty1 += flags1[j] >> KPF_DIRTY & 1;
		if (k->ksm && j % 2 == 0 && j + 1 < k->nkept)
			v->ksm_pairs += (flags1[j] >> KPF_KSM & 1) &&
					k->pfn1[j] == k->pfn1[j + 1];
	}
	k->nsplit = v->split;
	free(flags1);
	free(state1);
}

static void report_kind(struct kind *k)
{
	struct verdict v;
	char extra[320] = "";
	size_t len = 0;
	bool ok;

	if (k->skip) {
		/* named, so that harness/expected-skips can name it */
		ksft_test_result_code(KSFT_SKIP, k->id, "%s: %s", k->name, k->skip);
		return;
	}
	judge(k, &v);
	ok = !v.bad && !v.absent && v.judged * 2 >= k->nkept &&
	     v.stayers_moved == 0 && v.off_lru == 0 &&
	     v.passed - v.moved <= stranded_max(k);
	if (k->moves)		/* else nothing that should move was judged */
		ok = ok && (v.passed > 0 || cut_short);
	if (k->folio_pages > 1) {
		/*
		 * Migration splits a folio it finds no target for and moves
		 * its pages (upstream too): rare, and counted (line 11).
		 * Folios of pageblock order are never taken, never split.
		 */
		ok = ok && !v.not_one && v.split * 4 <= v.judged && (k->moves || !v.split);
		len += snprintf(extra + len, sizeof(extra) - len,
				"; %lu of %lu %luK folios split, %lu moved but not one folio",
				v.split, v.judged, k->folio_pages * 4, v.not_one);
	}
	if (k->backing == B_FILES) {
		ok = ok && v.dirty0 > 0 && v.dirty1 == v.dirty0;
		len += snprintf(extra + len, sizeof(extra) - len,
				"; %s, dirty before %lu, after %lu", k->fsname, v.dirty0, v.dirty1);
	}
	if (k->ksm) {
		ok = ok && v.ksm_pairs >= k->ksm_merged;
		len += snprintf(extra + len, sizeof(extra) - len,
				"; %lu pairs still one KSM page, %lu were", v.ksm_pairs,
				k->ksm_merged);
	}
	ksft_test_result(ok,
			 "%s: %lu kept (%lu whole before), %lu bad pages, %lu unmapped; of those that should move %lu of %lu passed moved (all but %lu wanted); of those that must not, %lu of %lu moved (%lu passed), %lu off the LRU%s\n",
			 k->name, k->nkept, v.judged, v.bad, v.absent, v.moved, v.passed,
			 stranded_max(k),
			 v.stayers_moved, v.stayers, v.stayers_passed, v.off_lru, extra);
}

/* Splits of 64K folios the kernel counted during the compaction; -1: unknown. */
static long split_64k = -1;

static unsigned long vmstat(const char *name)
{
	unsigned long v;

	if (vmstat_get(name, &v))
		ksft_exit_fail_msg("/proc/vmstat has no %s\n", name);
	return v;
}

/* hugepages-64kB/stats/@name, a count of 64K folio events; -1 if not there. */
static long mthp_stat(const char *name)
{
	char path[128];
	long v;

	snprintf(path, sizeof(path),
		 "/sys/kernel/mm/transparent_hugepage/hugepages-64kB/stats/%s", name);
	if (knob_read_long(path, &v))
		return -1;
	return v;
}

/* 64K folios split so far; -1 if not counted. */
static long mthp_splits(void)
{
	return mthp_stat("split");
}

static void set_or_die(const char *path, const char *val)
{
	int ret = knob_set(path, val);

	if (ret)
		ksft_exit_fail_msg("cannot write %s to %s: %s\n", val, path, strerror(-ret));
}

/* Every per-size knob @fmt to "never", but 64K to @want64 (and 2M to @want2m). */
static bool set_sizes(const char *fmt, const char *want64, const char *want2m)
{
	static const unsigned long sizes[] = { 8, 16, 32, 64, 128, 256, 512, 1024, 2048 };
	char path[128];
	bool have64 = false;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		const char *want = sizes[i] == 64 ? want64 :
				   sizes[i] == 2048 ? want2m : "never";

		snprintf(path, sizeof(path), fmt, sizes[i]);
		if (access(path, F_OK))
			continue;
		have64 |= sizes[i] == 64;
		if (!knob_selected(path, want))
			set_or_die(path, want);
	}
	return have64;
}

static void thp_setup(void)
{
	char path[128];
	bool mthp, shmem64;

	if (access(THP_ENABLED, F_OK))
		ksft_exit_skip("no THP (%s): the large-folio kinds need it\n", THP_ENABLED);
	set_or_die(THP_ENABLED, "madvise");
	if (!access(THP_SHMEM_ENABLED, F_OK))
		set_or_die(THP_SHMEM_ENABLED, "never");
	mthp = set_sizes(THP_SIZE_ENABLED_FMT, "always", "inherit");
	snprintf(path, sizeof(path), THP_SIZE_SHMEM_FMT, 64UL);
	shmem64 = !access(path, F_OK) && set_sizes(THP_SIZE_SHMEM_FMT, "always", "never");
	/*
	 * khugepaged must not collapse our folios: 6.12's
	 * __thp_vma_allowable_orders() returns shmem's allowed orders without
	 * keeping to the order asked for, so with 64K shmem enabled khugepaged
	 * takes an anonymous shared mapping for PMD-collapsible and replaces
	 * our 64K folios with 2 MiB ones while we lay them out.  One page a
	 * scan, and scans years apart (writing the interval wakes it once).
	 */
	if (!access(KHUGEPAGED_DIR "pages_to_scan", F_OK)) {
		set_or_die(KHUGEPAGED_DIR "pages_to_scan", "1");
		set_or_die(KHUGEPAGED_DIR "scan_sleep_millisecs", "4294967295");
	}
	if (!mthp)
		kinds[K_MTHP].skip = "no hugepages-64kB/enabled: this kernel has no anonymous mTHP";
	if (!shmem64)
		kinds[K_SHMEM64].skip =
			"no hugepages-64kB/shmem_enabled: this kernel has no shmem mTHP";
}

/* Start ksmd on our pairs and wait until they are merged. */
static void ksm_start(struct kind *k)
{
	double t0 = now_s();
	unsigned long merged = 0, j;
	uint64_t *flags;

	if (k->skip)
		return;
	set_or_die(KSM_DIR "sleep_millisecs", "0");
	set_or_die(KSM_DIR "pages_to_scan", "10000");
	set_or_die(KSM_DIR "run", "1");
	if (madvise(k->mem, k->npages * PAGE_4K, MADV_MERGEABLE))
		ksft_exit_fail_msg("madvise(MADV_MERGEABLE): %s\n", strerror(errno));
	flags = calloc(k->nkept, sizeof(*flags));
	while (flags && now_s() - t0 < KSM_WAIT_S) {
		usleep(200000);
		if (kind_frames(k, k->pfn0, NULL) || page_flags(k->pfn0, k->nkept, flags))
			break;
		/* kept folios come in pairs j, j + 1 that must share a frame */
		for (merged = 0, j = 0; j + 1 < k->nkept; j += 2)
			merged += (flags[j] >> KPF_KSM & 1) && k->pfn0[j] == k->pfn0[j + 1];
		if (merged * 2 >= k->nkept)
			break;
	}
	free(flags);
	k->ksm_merged = merged;
	ksft_print_msg("KSM: %lu of %lu pairs merged in %.1f s\n", merged,
		       k->nkept / 2, now_s() - t0);
	if (merged * 4 < k->nkept)
		ksft_exit_fail_msg("ksmd merged too few pairs to judge\n");
}

/* === The run === */

static void build(unsigned long unit_pages)
{
	unsigned int r, i;
	int ret;

	for (i = 0; i < NR_KINDS; i++) {
		if (kinds[i].skip)
			continue;
		ret = kind_setup(&kinds[i], unit_pages, i);
		if (i == K_RAMFS && ret)
			kinds[i].skip = "cannot mount a ramfs on /tmp";
		else if (i == K_TMP && ret)
			kinds[i].skip = "no writable /tmp";
		else if (ret)
			ksft_exit_fail_msg("%s: setup: %s\n", kinds[i].name, strerror(-ret));
	}
	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < NR_KINDS; i++) {
			if (kinds[i].skip)
				continue;
			ret = kind_fill(&kinds[i], r);
			if (ret)
				ksft_exit_fail_msg("%s: fill: %s\n", kinds[i].name,
						   strerror(-ret));
		}
	}
	for (i = 0; i < NR_KINDS; i++) {
		struct kind *k = &kinds[i];

		if (k->skip)
			continue;
		ret = kind_punch(k);
		if (!ret && k->pin)
			ret = kind_pin(k);
		if (ret)
			ksft_exit_fail_msg("%s: punch/pin: %s\n", k->name, strerror(-ret));
		if (k->ksm)
			ksm_start(k);
	}
}

/*
 * The layout, from memory compact_memory has just put in order, and with
 * THP defrag=never: a THP fault of the layout takes a free 2 MiB block or
 * falls back, it never compacts.  A compaction in the middle of the layout
 * would move (or, short of targets, split and unmap) the large folios the
 * test is about to judge, and whether one happens would depend on what the
 * tests before left.
 */
static void build_quietly(unsigned long unit_pages)
{
	static const char *const names[] = {
		"compact_stall", "compact_daemon_migrate_scanned", "pgmigrate_success",
		"thp_collapse_alloc",
	};
	unsigned long before[4], after[4];
	long fallback0 = mthp_stat("shmem_fallback"), fallback1;
	int ret = knob_write(VM_COMPACT_MEMORY, "1");

	if (ret)
		ksft_exit_fail_msg("compact_memory before the layout: %s\n", strerror(-ret));
	set_or_die(THP_DEFRAG, "never");
	if (vmstat_read(names, before, 4))
		ksft_exit_fail_msg("/proc/vmstat lacks a compaction or THP counter\n");
	build(unit_pages);
	vmstat_read(names, after, 4);
	fallback1 = mthp_stat("shmem_fallback");
	ksft_print_msg("layout: %lu direct compactions, kcompactd scanned %lu pfns, %lu pages migrated, %lu khugepaged collapses (none of the four wanted); %ld 64K shmem allocations fell back; %ld free 2 MiB blocks left\n",
		       after[0] - before[0], after[1] - before[1], after[2] - before[2],
		       after[3] - before[3], fallback0 < 0 ? -1 : fallback1 - fallback0,
		       free_2m_blocks(false));
}

/* Why kept large folios are not whole: their states, and a look at one. */
static void show_not_whole(const struct kind *k)
{
	unsigned long st[4] = { 0 }, j, p, fp = k->folio_pages, present = 0;
	uint64_t pfn[512], flags[512];
	bool shown = false;

	for (j = 0; j < k->nkept; j++)
		st[k->state0[j]]++;
	ksft_print_msg("%s: %lu absent, %lu not contiguous, %lu contiguous but not one folio\n",
		       k->name, st[F_ABSENT], st[F_SPLIT], st[F_NOT_ONE]);
	for (j = 0; j < k->nkept && !shown && fp <= 512; j++) {
		if (k->state0[j] == F_WHOLE)
			continue;
		shown = true;
		if (page_frames(k->mem + kept_page_index(k, j, 0) * PAGE_4K, fp, pfn) ||
		    page_flags(pfn, fp, flags))
			return;
		for (p = 0; p < fp; p++)
			present += pfn[p] != 0;
		ksft_print_msg("%s: kept folio %lu: %lu of %lu pages mapped; first 0x%lx flags 0x%llx, second 0x%lx flags 0x%llx, last 0x%lx flags 0x%llx\n",
			       k->name, j, present, fp, (unsigned long)pfn[0],
			       (unsigned long long)flags[0], (unsigned long)pfn[1],
			       (unsigned long long)flags[1], (unsigned long)pfn[fp - 1],
			       (unsigned long long)flags[fp - 1]);
	}
}

/* Frames, whole folios and flags of every kind before compaction. */
static void snapshot_before(void)
{
	unsigned int i;

	for (i = 0; i < NR_KINDS; i++) {
		struct kind *k = &kinds[i];
		unsigned long j, whole = 0;

		if (k->skip)
			continue;
		if (kind_frames(k, k->pfn0, k->state0) ||
		    page_flags(k->pfn0, k->nkept, k->flags0))
			ksft_exit_fail_msg("%s: cannot read frames\n", k->name);
		for (j = 0; j < k->nkept; j++)
			whole += k->state0[j] == F_WHOLE;
		ksft_print_msg("%-30s %6lu MiB, %5lu kept folios (%lu present%s), %lu pinned\n",
			       k->name, k->npages * PAGE_4K >> 20, k->nkept, whole,
			       k->folio_pages > 1 ? " as whole folios" : "",
			       k->npinned);
		if (k->folio_pages > 1 && whole < k->nkept)
			show_not_whole(k);
	}
}

/*
 * For a run that ended before its scanners met: our kept folios nearest
 * below where it stopped, the last batch's (the folio migration could not
 * place is likely among them).  Frames: before the first compaction, or
 * before the second (@after_release).
 */
static void show_cut_short(bool after_release)
{
	struct { uint64_t pfn; const struct kind *k; unsigned long j; } near[6];
	unsigned long j, n;
	unsigned int i, m;
	int sp;

	for (sp = 0; sp < nr_spans; sp++) {
		if (spans[sp].complete)
			continue;
		n = 0;
		for (i = 0; i < NR_KINDS; i++) {
			const struct kind *k = &kinds[i];
			const uint64_t *pfn = after_release ? k->pfn1 : k->pfn0;

			for (j = 0; !k->skip && j < k->nkept; j++) {
				if (!pfn[j] || pfn[j] >= spans[sp].end)
					continue;
				/* keep the highest ones, in descending order */
				for (m = n < ARRAY_SIZE(near) ? n++ : n; m > 0 &&
				     near[m - 1].pfn < pfn[j]; m--)
					if (m < ARRAY_SIZE(near))
						near[m] = near[m - 1];
				if (m < ARRAY_SIZE(near))
					near[m] = (typeof(near[0])){ pfn[j], k, j };
			}
		}
		for (m = 0; m < n; m++)
			ksft_print_msg("run cut short at 0x%lx: %s folio at 0x%lx%s\n",
				       spans[sp].end, near[m].k->name,
				       (unsigned long)near[m].pfn,
				       !near[m].k->pinned[near[m].j] ? "" :
				       after_release ? ", was pinned" : ", pinned");
	}
}

/* compact_memory from this CPU, then drain its LRU batches; read the spans. */
static int compact(bool released)
{
	char buf[512];
	int cpu = stay_on_this_cpu(), ret;

	if (cpu < 0)
		return cpu;
	trace_clear();
#ifdef BREAK_NO_COMPACT
	ret = 0;
#else
	ret = knob_write(VM_COMPACT_MEMORY, "1");
#endif
	/* what compaction put back sits in this CPU's LRU batches */
	if (!ret)
		ret = lru_drain_this_cpu();
	read_spans(buf, sizeof(buf));
	ksft_print_msg("the migrate scanner went over %s\n", nr_spans ? buf : "nothing");
	if (cut_short)
		show_cut_short(released);
	return ret;
}

/* Free memory in kB: MemFree and the pages on the per-CPU lists. */
static long free_kb(void)
{
	long kb = meminfo_kb("MemFree"), count;
	char line[256];
	FILE *f = fopen("/proc/zoneinfo", "r");

	while (kb > 0 && f && fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %ld", &count) == 1)
			kb += count * (PAGE_4K / 1024);
	if (f)
		fclose(f);
	return kb;
}

/*
 * nr_isolated_anon + nr_isolated_file once they are 0, or after
 * ISOLATED_WAIT_S: the per-CPU parts of the counters reach /proc/vmstat
 * within a second (vmstat's interval), so a passing look may come late.
 */
static unsigned long isolated_settled(double *waited)
{
	double t0 = now_s();
	unsigned long n;

	for (;;) {
		n = vmstat("nr_isolated_anon") + vmstat("nr_isolated_file");
		*waited = now_s() - t0;
		if (!n || *waited >= ISOLATED_WAIT_S)
			return n;
		usleep(100000);
	}
}

/* Rewrite the pinned pages through their mappings; the pipe must see it. */
static unsigned long pipe_incoherent(struct kind *k)
{
	static char buf[PAGE_4K];
	unsigned long j, bad = 0;

	for (j = 0; j < k->nkept; j++) {
		if (!k->pinned[j])
			continue;
		k->rewritten[j] = true;
		fill_page(k->mem + kept_page_index(k, j, 0) * PAGE_4K,
			  page_seed(k, j, 0), pattern_index(k, kept_page_index(k, j, 0)));
	}
	for (j = 0; j < k->nkept; j++) {
		if (!k->pinned[j])
			continue;
		if (read(k->pipe[0], buf, PAGE_4K) != PAGE_4K ||
		    check_page(buf, page_seed(k, j, 0),
			       pattern_index(k, kept_page_index(k, j, 0))) >= 0)
			bad++;
	}
	close(k->pipe[0]);
	close(k->pipe[1]);
	return bad;
}

static void release_case(void)
{
	unsigned long incoherent = 0, pinned = 0, was_passed = 0, moved = 0, bad = 0, j;
	unsigned int i;
	int ret;

	for (i = 0; i < NR_KINDS; i++)
		if (!kinds[i].skip && kinds[i].pin)
			incoherent += pipe_incoherent(&kinds[i]);
	ret = compact(true);
	for (i = 0; i < NR_KINDS; i++) {
		struct kind *k = &kinds[i];

		if (k->skip)
			continue;
		bad += kind_bad_pages(k);
		if (!k->pin)
			continue;
		if (kind_frames(k, k->pfn2, NULL))
			ksft_exit_fail_msg("%s: cannot read frames\n", k->name);
		for (j = 0; j < k->nkept; j++) {
			if (!k->pinned[j] || !passed(k->pfn1[j]))
				continue;
			was_passed++;
			moved += k->pfn2[j] && k->pfn1[j] != k->pfn2[j];
		}
		for (j = 0; j < k->nkept; j++)
			pinned += k->pinned[j];
	}
	ksft_test_result(!ret && !incoherent && (was_passed > 0 || cut_short) &&
			 was_passed - moved <= (unsigned long)nr_spans * BATCH_PAGES && !bad,
			 "pins released: %lu of %lu pipe pages did not show the page's new contents; second compact_memory %s, of the folios that were pinned it passed %lu and moved %lu (all but %d wanted); %lu bad pages\n",
			 incoherent, pinned, ret ? strerror(-ret) : "ok", was_passed, moved,
			 nr_spans * BATCH_PAGES, bad);
}

static void teardown(void)
{
	unsigned long f;
	unsigned int i;
	char path[128];

	for (i = 0; i < NR_KINDS; i++) {
		struct kind *k = &kinds[i];

		if (k->mem)
			munmap(k->mem, k->npages * PAGE_4K);
		if (k->fd >= 0)
			close(k->fd);
		if (k->backing == B_FILES && k->dir[0]) {
			for (f = 0; f < k->nfolios; f += 8)
				unlink(file_path(k, f / 8, path));
			if (i == K_RAMFS && ramfs_dir[0])
				umount2(ramfs_dir, MNT_DETACH);
			rmdir(k->dir);
			k->dir[0] = '\0';
		}
		k->mem = NULL;
		k->fd = -1;
	}
	ramfs_dir[0] = '\0';
}

/* Also on a failure's exit: files left in /tmp would hold memory. */
static void teardown_at_exit(void)
{
	teardown();
}

int main(void)
{
	unsigned long fail0, fail1, isolated, unit_pages, split;
	double waited;
	long split0;
	long memfree, memfree_end, unevictable_was, unevictable_now;
	double t0 = now_s(), t;
	unsigned int i;
	int ret;

	ksft_print_header();
	if (geteuid())
		ksft_exit_skip("needs root\n");
	if (access(VM_COMPACT_MEMORY, F_OK))
		ksft_exit_fail_msg("%s is absent: our engine provides it\n", VM_COMPACT_MEMORY);
	if (access("/proc/kpageflags", R_OK) || access("/proc/self/pagemap", R_OK))
		ksft_exit_skip("no /proc/kpageflags or pagemap (CONFIG_PROC_PAGE_MONITOR)\n");
	memfree = free_kb();
	if (memfree <= 0)
		ksft_exit_skip("no MemFree in /proc/meminfo\n");
	if (access(TRACEFS "/instances", F_OK))
		ksft_exit_skip("no tracefs at %s (CONFIG_TRACING, or not mounted)\n", TRACEFS);
	ksft_set_plan(NR_KINDS + 5);
	atexit(teardown_at_exit);

	for (i = 0; i < NR_KINDS; i++)
		kinds[i].fd = -1;
	if (access(KSM_DIR "run", F_OK))
		kinds[K_KSM].skip = "CONFIG_KSM is off (no /sys/kernel/mm/ksm), as in our configs";
	thp_setup();
	if (knob_read_long(VM_UNEVICTABLE_ALLOWED, &unevictable_was))
		ksft_exit_fail_msg("%s is absent: our engine provides it\n",
				   VM_UNEVICTABLE_ALLOWED);
	set_or_die(VM_UNEVICTABLE_ALLOWED, "1");
	ret = trace_start("compaction_kinds", 4096);
	if (ret || trace_enable("compaction/mm_compaction_end") ||
	    trace_enable("compaction/mm_compaction_isolate_migratepages"))
		ksft_exit_fail_msg("cannot trace mm_compaction_end and isolate_migratepages: %s\n",
				   strerror(-ret));
	set_or_die(VM_PROACTIVENESS, "0");
	if (!access(VM_PCP_HIGH_FRACTION, F_OK))
		set_or_die(VM_PCP_HIGH_FRACTION, PCP_HIGH_FRACTION);

	waited = kcompactd_wait_idle(KCOMPACTD_IDLE_S);
	if (waited < 0)
		ksft_exit_fail_msg("kcompactd still busy %.0f s after proactiveness 0\n",
				   KCOMPACTD_IDLE_S);
	ksft_print_msg("kcompactd idle after %.1f s\n", waited);
	unit_pages = (unsigned long)memfree * 1024 / 100 * UNIT_PERCENT / PAGE_4K;
	ksft_print_msg("MemFree %ld MiB; unit %lu MiB\n", memfree >> 10,
		       unit_pages * PAGE_4K >> 20);
	build_quietly(unit_pages);
	snapshot_before();
	ksft_print_msg("layout built in %.1f s\n", now_s() - t0);

	/* 1 */
	fail0 = vmstat("pgmigrate_fail");
	split0 = mthp_splits();
	t = now_s();
	ret = compact(false);
	if (split0 >= 0 && mthp_splits() >= 0)
		split_64k = mthp_splits() - split0;
	ksft_test_result(!ret, "compact_memory: %s in %.1f s\n",
			 ret ? strerror(-ret) : "ok", now_s() - t);
#ifdef BREAK_FLIP_BYTE
	{
		struct kind *k = &kinds[K_MTHP];

		if (!k->skip)
			k->mem[kept_page_index(k, k->nkept / 2, 5) * PAGE_4K + 777] ^= 0x20;
	}
#endif

	/* 2 - 10 */
	for (i = 0; i < NR_KINDS; i++)
		report_kind(&kinds[i]);

	/* 11 */
	fail1 = vmstat("pgmigrate_fail");
	isolated = isolated_settled(&waited);
	for (i = 0, split = 0; i < NR_KINDS; i++)
		if (kinds[i].folio_pages == 16)
			split += kinds[i].nsplit;
	ksft_test_result(fail1 > fail0 && isolated == 0 &&
			 (split_64k < 0 || (long)split <= split_64k),
			 "failed migrations: pgmigrate_fail +%lu (some wanted: pinned shmem and ramfs), nr_isolated_anon + nr_isolated_file = %lu after %.1f s (0 wanted); 64K folios split: %lu seen, %ld counted by the kernel (hugepages-64kB/stats/split)\n",
			 fail1 - fail0, isolated, waited, split, split_64k);

	/* 12 */
	release_case();

	/* 13 */
	teardown();
	usleep(500000);
	memfree_end = free_kb();
	ksft_test_result(memfree_end >= memfree - (LEAK_MB << 10),
			 "after teardown free memory is %ld MiB, was %ld MiB (at most %d MiB less wanted)\n",
			 memfree_end >> 10, memfree >> 10, LEAK_MB);

	/* 14 */
	ret = knobs_restore();
	ksft_test_result(!ret && !knob_read_long(VM_UNEVICTABLE_ALLOWED, &unevictable_now) &&
			 unevictable_now == unevictable_was,
			 "knobs restored (%d failed)\n", ret);
	ksft_print_msg("total %.1f s\n", now_s() - t0);
	ksft_finished();
}
