// SPDX-License-Identifier: GPL-2.0
/*
 * compaction_thp - when free memory is all holes, a THP fault gets its huge
 * page from direct compaction.
 *
 * Scenario: with THP enabled=always and defrag=always (a huge-page fault
 * may stall to compact), first fragment memory as compaction_fragment
 * does, but over 80% of MemFree: map it with MADV_NOHUGEPAGE, write every
 * page, free 7 of every 8.  What is left free is a few whole 2 MiB blocks
 * (B0, counted in /proc/buddyinfo) and many holes:
 *
 *   fragmented, 80% of MemFree:   #.......#.......#....... ... (64 of 512 kept)
 *   still free as whole blocks:   B0 blocks, ~the other 20% less the kernel's
 *
 * Then map a new region 2 MiB-aligned with MADV_HUGEPAGE, of B0 + H/2
 * extents of 2 MiB, where H is the number of blocks the holes make up, and
 * write one byte per extent.  The first ~B0 faults can take whole free
 * blocks; the rest can get a huge page only if compaction makes one:
 *
 *   THP region:  [ B0 extents: free blocks ][ H/2 extents: compaction's ]
 *
 * Cases, one TAP line each:
 *   1. THP could be set to enabled=always, defrag=always;
 *   2. the layout fragments (punching formed at most a quarter of H's
 *      blocks by itself);
 *   3. huge pages (AnonHugePages in /proc/self/smaps_rollup) >= B0 + H/4:
 *      at least half of the extents the free blocks could not serve got a
 *      huge page, which only compaction could make.  Upstream 6.12 backs
 *      ~95% of such faults in 'make bench' (thp) and all of them here (1 or
 *      2 GiB, 1 or 2 nodes); half leaves room for the watermarks and for
 *      faults that fall back while compaction is deferred, and still fails
 *      a compactor that direct compaction cannot get a block out of;
 *   4. compact_stall in /proc/vmstat moved: faults did compact directly;
 *   5. thp_fault_alloc moved by at least as much as case 3 wants;
 *   6. the kept pages of the fragmented region still hold their pattern;
 *   7. THP enabled and defrag are back to what they were.
 *
 * Run it before tests that write compact_memory on an idle system.  On
 * upstream 6.12 such a write leaves, as far as the code and the scanners'
 * counters tell, most pageblocks marked "skip" (a free block has
 * nothing to migrate and no free page small enough to take), and direct
 * compaction for a THP honours those hints: costly orders never reach the
 * priority that ignores them, and only kswapd going to sleep after a
 * direct compaction completed, or a compaction restarting at the deferral
 * maximum, clears them.  Run after compaction_knobs, upstream got 105 to
 * 175 huge pages of ~265 (compaction made 10 to 74 of them instead of
 * ~170, its free scanner looked at a fifth as many pages), so 'make check'
 * runs this test right after compaction_test.  The "direct compaction"
 * line in the output shows the scanners' work for that reason.
 *
 * For the test, compaction_proactiveness is 0 (kcompactd must not make the
 * blocks before the faults ask) and percpu_pagelist_high_fraction is
 * 1000000 (see compaction_util.h); both, and THP's settings, are restored
 * at exit and on SIGTERM/SIGINT.  Skips (exit 4) without THP, when not root
 * or when a file it needs is absent.  Takes 5 to 11 s in a 1 GiB QEMU/TCG
 * guest.
 *
 * To see it fail: build with -DBREAK_NOHUGEPAGE, which maps the THP region
 * MADV_NOHUGEPAGE: cases 3 to 5 fail.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../kselftest.h"
#include "compaction_util.h"

#define SHARE_PERCENT	80	/* of MemFree, for the fragmented region */
#define KEEP_EVERY	8
#define SEED		0x7a9b5eedULL

static bool kept(unsigned long i, void *arg)
{
	(void)arg;
	return i % KEEP_EVERY == 0;
}

static long anon_huge_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps_rollup", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static void need_counter(const char *name, unsigned long *val)
{
	if (vmstat_get(name, val))
		ksft_exit_skip("/proc/vmstat has no %s\n", name);
}

/* Set @path to @val for the test (restored at exit); 0 or -errno. */
static int set_for_test(const char *path, const char *val)
{
	int ret = knob_save(path);

	return ret ? ret : knob_write(path, val);
}

/* The bracketed word of a THP selector file ("always [madvise] never"). */
static int selected_word(const char *path, char *word, size_t size)
{
	char buf[128], *open, *close;
	int ret = knob_read(path, buf, sizeof(buf));

	if (ret)
		return ret;
	open = strchr(buf, '[');
	close = open ? strchr(open, ']') : NULL;
	if (!close || (size_t)(close - open) > size)
		return -EINVAL;
	*close = '\0';
	snprintf(word, size, "%s", open + 1);
	return 0;
}

/* Is @word the selected one of a THP selector file? */
static bool selected(const char *path, const char *word)
{
	char buf[128], want[64];

	snprintf(want, sizeof(want), "[%s]", word);
	return !knob_read(path, buf, sizeof(buf)) && strstr(buf, want);
}

struct fragmented {
	char *mem;
	unsigned long blocks, npages;
	long formed, free_blocks;	/* by punching alone; whole free blocks after */
};

static void fragment(struct fragmented *f, long memfree_kb)
{
	unsigned long i;
	long filled;

	f->blocks = (unsigned long)memfree_kb * 1024 / 100 * SHARE_PERCENT / BLOCK_2M;
	f->npages = f->blocks * PAGES_PER_BLOCK;
	f->mem = map_2m(f->blocks * BLOCK_2M, MADV_NOHUGEPAGE);
	if (!f->mem)
		ksft_exit_fail_msg("mmap of %lu MiB: %s\n", f->blocks * 2, strerror(errno));
	for (i = 0; i < f->npages; i++) {
		if (kept(i, NULL))
			fill_page(f->mem + i * PAGE_4K, SEED, i);
		else
			f->mem[i * PAGE_4K] = 1;
	}
	filled = free_2m_blocks(true);
	if (punch(f->mem, f->npages, kept, NULL) < 0)
		ksft_exit_fail_msg("madvise(MADV_DONTNEED): %s\n", strerror(errno));
	f->free_blocks = free_2m_blocks(true);
	if (filled < 0 || f->free_blocks < 0)
		ksft_exit_fail_msg("/proc/buddyinfo unreadable\n");
	f->formed = f->free_blocks - filled;
}

static unsigned long bad_kept_pages(const struct fragmented *f)
{
	unsigned long i, bad = 0;
	long off;

	for (i = 0; i < f->npages; i += KEEP_EVERY) {
		off = check_page(f->mem + i * PAGE_4K, SEED, i);
		if (off < 0)
			continue;
		if (!bad)
			ksft_print_msg("kept page %lu differs at byte %ld\n", i, off);
		bad++;
	}
	return bad;
}

/* Fault @extents 2 MiB extents one byte each; the slowest fault in *@max_ms. */
static char *thp_faults(unsigned long extents, double *max_ms, double *total_s)
{
	int advice = MADV_HUGEPAGE;
	unsigned long e;
	char *mem;
	double t, t0 = now_s();

#ifdef BREAK_NOHUGEPAGE
	advice = MADV_NOHUGEPAGE;
#endif
	mem = map_2m(extents * BLOCK_2M, advice);
	if (!mem)
		ksft_exit_fail_msg("mmap of %lu MiB: %s\n", extents * 2, strerror(errno));
	*max_ms = 0;
	for (e = 0; e < extents; e++) {
		t = now_s();
		mem[e * BLOCK_2M] = 1;
		t = (now_s() - t) * 1000;
		if (t > *max_ms)
			*max_ms = t;
	}
	*total_s = now_s() - t0;
	return mem;
}

int main(void)
{
	unsigned long stall0, stall1, alloc0, alloc1, success0, success1, extents, bad;
	unsigned long mscan0 = 0, mscan1 = 0, fscan0 = 0, fscan1 = 0;
	char enabled_was[64], defrag_was[64];
	struct fragmented f;
	long memfree, potential, left, want, huge_kb, huge;
	double max_ms, fault_s, t0 = now_s();
	bool ok;
	int ret;

	ksft_print_header();
	if (geteuid())
		ksft_exit_skip("needs root\n");
	if (access(THP_ENABLED, F_OK) || access(THP_DEFRAG, F_OK))
		ksft_exit_skip("no THP (%s)\n", THP_ENABLED);
	if (access("/proc/self/smaps_rollup", R_OK) || access("/proc/buddyinfo", R_OK))
		ksft_exit_skip("no /proc/self/smaps_rollup or /proc/buddyinfo\n");
	need_counter("compact_stall", &stall0);
	need_counter("thp_fault_alloc", &alloc0);
	need_counter("compact_success", &success0);
	memfree = meminfo_kb("MemFree");
	if (memfree <= 0)
		ksft_exit_skip("no MemFree in /proc/meminfo\n");
	if (selected_word(THP_ENABLED, enabled_was, sizeof(enabled_was)) ||
	    selected_word(THP_DEFRAG, defrag_was, sizeof(defrag_was)))
		ksft_exit_skip("cannot read THP settings\n");
	ksft_set_plan(7);

	/* 1 */
	ret = set_for_test(THP_ENABLED, "always");
	if (!ret)
		ret = set_for_test(THP_DEFRAG, "always");
	ok = !ret && selected(THP_ENABLED, "always") && selected(THP_DEFRAG, "always");
	ksft_test_result(ok, "THP enabled=always defrag=always (were %s, %s: %s)\n",
			 enabled_was, defrag_was, ret ? strerror(-ret) : "ok");
	if (!ok)
		ksft_exit_fail_msg("cannot set up THP\n");
	if (!access(VM_PROACTIVENESS, F_OK) && set_for_test(VM_PROACTIVENESS, "0"))
		ksft_exit_fail_msg("cannot set %s\n", VM_PROACTIVENESS);
	if (!access(VM_PCP_HIGH_FRACTION, F_OK) &&
	    set_for_test(VM_PCP_HIGH_FRACTION, PCP_HIGH_FRACTION))
		ksft_exit_fail_msg("cannot set %s\n", VM_PCP_HIGH_FRACTION);

	/* 2 */
	fragment(&f, memfree);
	potential = f.blocks * (KEEP_EVERY - 1) / KEEP_EVERY;
	ksft_print_msg("MemFree %ld MiB; fragmented %lu MiB in %.1f s; %ld free 2 MiB blocks\n",
		       memfree / 1024, f.blocks * 2, now_s() - t0, f.free_blocks);
	ksft_test_result(f.formed <= potential / 4,
			 "layout fragments: punching freed %ld blocks' worth, formed %ld free 2 MiB blocks\n",
			 potential, f.formed);

	/* 3-5: B0 + H/2 extents; at least B0 + H/4 huge */
	left = potential - (f.formed > 0 ? f.formed : 0);
	extents = f.free_blocks + left / 2;
	want = f.free_blocks + left / 4;
	need_counter("compact_stall", &stall0);
	need_counter("thp_fault_alloc", &alloc0);
	need_counter("compact_success", &success0);
	vmstat_get("compact_migrate_scanned", &mscan0);
	vmstat_get("compact_free_scanned", &fscan0);
	thp_faults(extents, &max_ms, &fault_s);
	need_counter("compact_stall", &stall1);
	need_counter("thp_fault_alloc", &alloc1);
	need_counter("compact_success", &success1);
	vmstat_get("compact_migrate_scanned", &mscan1);
	vmstat_get("compact_free_scanned", &fscan1);
	huge_kb = anon_huge_kb();
	huge = huge_kb < 0 ? -1 : huge_kb / 2048;
	ksft_print_msg("%lu faults in %.1f s, slowest %.1f ms\n", extents, fault_s, max_ms);
	ksft_print_msg("direct compaction: %lu stalls, %lu succeeded; %lu pages scanned to migrate, %lu for free pages\n",
		       stall1 - stall0, success1 - success0, mscan1 - mscan0, fscan1 - fscan0);
	ksft_test_result(huge >= want,
			 "%ld of %lu extents got a huge page, at least %ld wanted (%ld free blocks + %ld / 2)\n",
			 huge, extents, want, f.free_blocks, left / 2);
	ksft_test_result(stall1 > stall0, "compact_stall moved by %lu\n", stall1 - stall0);
	ksft_test_result((long)(alloc1 - alloc0) >= want,
			 "thp_fault_alloc moved by %lu, at least %ld wanted\n",
			 alloc1 - alloc0, want);

	/* 6 */
	bad = bad_kept_pages(&f);
	ksft_test_result(!bad, "kept pages of the fragmented region intact: %lu of %lu bad\n",
			 bad, f.npages / KEEP_EVERY);

	/* 7 */
	ret = knobs_restore();
	ok = !ret && selected(THP_ENABLED, enabled_was) && selected(THP_DEFRAG, defrag_was);
	ksft_test_result(ok, "THP settings restored to enabled=%s defrag=%s\n",
			 enabled_was, defrag_was);
	ksft_print_msg("total %.1f s\n", now_s() - t0);
	ksft_finished();
}
