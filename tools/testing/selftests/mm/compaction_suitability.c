// SPDX-License-Identifier: GPL-2.0
/*
 * compaction_suitability - on the real allocation paths: is a direct
 * compaction skipped when vm.extfrag_threshold says a zone is not
 * fragmented, do repeated failures back off (direct compaction and
 * kcompactd), and does a success end the backoff?
 *
 * We watch the compaction trace events, in a tracefs instance of our own
 * (nothing else's tracing is disturbed), and the vmstat counters while our
 * THP faults go into the allocator's slow path: enabled=always,
 * defrag=always and MADV_HUGEPAGE, so a fault compacts directly (async,
 * then sync-light after reclaim).  Each trace line names its task: ours
 * for direct compaction, kcompactdN for kcompactd.
 *
 * The fragmentation index of a zone for order 9 (fragmentation_index()
 * times 1000, as /sys/kernel/debug/extfrag/extfrag_index shows it divided
 * by 1000; we compute it from /proc/buddyinfo): -1000 when a free page of
 * order >= 9 exists, else 1000 - (1000 + free * 1000 / 512) / free_blocks:
 * near 0 when free memory is a few large blocks (an allocation would fail
 * for lack of memory), near 1000 when it is many small ones (it fails for
 * fragmentation).  Compaction for a costly order (above 3) goes ahead only
 * when the index is above vm.extfrag_threshold.  Freeing 7 pages of every
 * 8 leaves free blocks of 1, 2 and 4 pages: index ~995, between the
 * default threshold (500) and the maximum (1000).
 *
 * Part A, the fragmentation index:
 *
 *   map 70% of MemFree (NOHUGEPAGE), write it, free 7 of every 8 pages:
 *   #.......#.......#.......#....... ...     index 990-996 in both zones
 *   then, with extfrag_threshold = 1000 so that compaction makes none,
 *   THP faults until 8 in a row get no huge page: the free 2 MiB blocks
 *   are used up, and only compaction can make a huge page now
 *
 *   1. the layout: some zone's order-9 index is in (500, 1000];
 *   2. extfrag_threshold = 500: faults (until 8 huge pages, at most 96)
 *      enter compaction proper: mm_compaction_suitable for order 9 says
 *      "continue", runs begin (mm_compaction_begin, our task), the
 *      migrate scanner scans (compact_migrate_scanned) and 8 huge pages
 *      come;
 *   3. extfrag_threshold = 1000: 24 faults reach try_to_compact_pages();
 *      mm_compaction_suitable says "not_suitable_zone" for order 9 and
 *      never "continue", no run begins, compact_migrate_scanned grows by
 *      less than a pageblock (compact_stall is printed: it may count).
 *      Line 2 runs first: its successes end any backoff earlier tests
 *      left, so that line 3 sees the judgement, not a deferral.
 *
 *   An engine that ignores the index (or the knob) begins runs in line 3;
 *   one that finds every fragmented zone unsuitable fails line 2.
 *
 * Part B, deferral:
 *
 *   map 60% of MemFree, write it, free 7 of every 8 pages, mlock the rest
 *   (MLOCK_ONFAULT: the holes stay holes), compact_unevictable_allowed = 0:
 *   #.......#.......#....... (# locked: nothing here may move)
 *   then THP faults one at a time: the free blocks go first, then (after a
 *   few huge pages compaction makes from what little else may move, such
 *   as rootfs pages) every compaction fails; 96 failed faults
 *
 *   4. direct compaction backs off: our task logs
 *      mm_compaction_defer_compaction for order 9, node by node with a
 *      window (limit=) that grows (2, 4 ... 64) and consider=0 each time,
 *      and mm_compaction_deferred for order 9, always with consider <
 *      limit; compact_fail grows; fewer sync runs begin than half the
 *      failed faults (our engine: 16 for 96).  An engine without deferral
 *      runs a sync compaction of each zone a failed fault tries (96 or
 *      more) and logs no deferral;
 *   5. kcompactd backs off too: with defrag=defer a fault wakes kswapd for
 *      order 9; kswapd can reclaim nothing, and after 16 fruitless runs
 *      wakeup_kswapd() hands the order to kcompactd instead.  Faulting
 *      every 50 ms (at most 10 s) until kcompactd logs a deferral: it was
 *      woken for order 9 (mm_compaction_kcompactd_wake), logged
 *      mm_compaction_deferred for order 9 (the zones are inside the
 *      windows line 4 opened), never outside a window, and began fewer
 *      runs than it was woken times zones.  Without deferral kcompactd
 *      would compact every zone on every wake and log no deferral;
 *   6. a success ends the backoff: compact_unevictable_allowed = 1, so the
 *      locked pages may move (freeing whole blocks instead would let the
 *      faults succeed without compaction, and nothing would report a
 *      reset), defrag=always; faults (at most 128: the longest window is
 *      64 requests) until our task logs mm_compaction_defer_reset for
 *      order 9 and then gets 4 huge pages; one of the resets must be the
 *      allocation's (limit=1, order_failed > 9); compact_success grows;
 *   7. every knob is back to what it was, the trace instance is gone.
 *
 * Knobs, saved and restored at exit and on SIGTERM/SIGINT/SIGHUP: THP
 * enabled and defrag, khugepaged's max_ptes_none (0: khugepaged must not
 * collapse our sparse extents, compacting as it does), extfrag_threshold,
 * compact_unevictable_allowed, compaction_proactiveness (0: kcompactd
 * runs only when woken), percpu_pagelist_high_fraction (see
 * compaction_util.h).  Skips (exit 4) without root, THP, tracefs or
 * /proc/kpageflags (outside our engine); a missing compaction event or
 * knob fails.  Takes about 11 s in a 1 GiB QEMU/TCG guest (test kernel).
 *
 * To see it fail: -DBREAK_THRESHOLD_500 leaves extfrag_threshold at 500
 * for line 3, as an engine that ignores it would (runs begin: line 3
 * fails); -DBREAK_NO_MLOCK leaves the kept pages of part B unlocked, so
 * compaction keeps succeeding and never backs off (line 4 fails).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/kernel-page-flags.h>

#include "../kselftest.h"
#include "compaction_util.h"

#define SHARE_A		70	/* % of MemFree fragmented in part A */
#define SHARE_B		60	/* ... and in part B */
#define KEEP_EVERY	8
#define SEED		0x5171ab1eULL
#define SOAK_RUN	8	/* faults in a row without a huge page: soaked */
#define SOAK_EXTRA	64	/* faults past the free blocks, at most */
#define WANT_HUGE	8	/* line 2 */
#define MAX_FAULTS_2	96
#define FAULTS_3	24
#define FAULTS_4	96
#define KCOMPACTD_WAIT_S 10.0	/* line 5: fault until kcompactd defers */
#define FAULT_GAP_US	50000
#define FAULTS_5	((unsigned long)(KCOMPACTD_WAIT_S * 1e6 / FAULT_GAP_US) + 1)
#define MAX_FAULTS_6	128
#define HUGE_AFTER_RESET 4

#define KHUGEPAGED_MAX_PTES_NONE \
	"/sys/kernel/mm/transparent_hugepage/khugepaged/max_ptes_none"
#define MAX_ZONES	16

static const char *const events[] = {
	"mm_compaction_try_to_compact_pages",
	"mm_compaction_suitable",
	"mm_compaction_begin",
	"mm_compaction_end",
	"mm_compaction_deferred",
	"mm_compaction_defer_compaction",
	"mm_compaction_defer_reset",
	"mm_compaction_wakeup_kcompactd",
	"mm_compaction_kcompactd_wake",
};

static const char *const vmscan_events[] = {
	"mm_vmscan_wakeup_kswapd",
	"mm_vmscan_kswapd_wake",
	"mm_vmscan_kswapd_sleep",
};

/* === Our trace === */

static void trace_setup(void)
{
	char event[96];
	unsigned int i;
	int ret = trace_start("compaction_suitability", 2048);

	if (ret)
		ksft_exit_fail_msg("cannot create a tracefs instance: %s\n", strerror(-ret));
	for (i = 0; i < ARRAY_SIZE(events); i++) {
		snprintf(event, sizeof(event), "compaction/%s", events[i]);
		if (trace_enable(event))
			ksft_exit_fail_msg("cannot enable %s: our engine provides it\n",
					   events[i]);
	}
	/* kswapd's, to show how kcompactd was reached (not required) */
	for (i = 0; i < ARRAY_SIZE(vmscan_events); i++) {
		snprintf(event, sizeof(event), "vmscan/%s", vmscan_events[i]);
		trace_enable(event);
	}
}

static void read_trace(struct trace_log *t)
{
	int ret = trace_read(t);

	if (ret)
		ksft_exit_fail_msg("cannot read our trace: %s\n", strerror(-ret));
}

enum who { ANYONE, OURS, KCOMPACTD };

static bool by(const struct trace_event *e, enum who who)
{
	if (who == OURS)
		return e->pid == getpid();
	if (who == KCOMPACTD)
		return !strncmp(e->comm, "kcompactd", 9);
	return true;
}

/* Events called @name by @who, of @order (or any: -100), with ret/status @ret (or any). */
static unsigned long count(const struct trace_log *t, const char *name, enum who who,
			   int order, const char *ret)
{
	unsigned long i, n = 0;

	for (i = 0; i < t->n; i++) {
		const struct trace_event *e = &t->ev[i];

		if (strcmp(e->name, name) || !by(e, who))
			continue;
		if (order != -100 && e->order != order)
			continue;
		if (ret && strcmp(e->ret, ret))
			continue;
		n++;
	}
	return n;
}

static unsigned long count_mode(const struct trace_log *t, const char *name,
				enum who who, const char *mode)
{
	unsigned long i, n = 0;

	for (i = 0; i < t->n; i++)
		n += !strcmp(t->ev[i].name, name) && by(&t->ev[i], who) &&
		     !strcmp(t->ev[i].mode, mode);
	return n;
}

/* "ours: suitable 12, begin 3, ... kcompactd: ..." for the log. */
static void trace_summary(const char *what, const struct trace_log *t)
{
	static const enum who whos[] = { OURS, KCOMPACTD };
	static const char *const names[] = { "ours", "kcompactd" };
	char buf[1024];
	size_t len = 0;
	unsigned int w, i;

	for (w = 0; w < 2; w++) {
		len += snprintf(buf + len, sizeof(buf) - len, "%s%s:", w ? "; " : "",
				names[w]);
		for (i = 0; i < ARRAY_SIZE(events); i++) {
			unsigned long n = count(t, events[i], whos[w], -100, NULL);

			if (n && len < sizeof(buf))
				len += snprintf(buf + len, sizeof(buf) - len, " %s %lu",
						events[i] + strlen("mm_compaction_"), n);
		}
	}
	for (i = 0; i < ARRAY_SIZE(vmscan_events); i++) {
		unsigned long n = count(t, vmscan_events[i], ANYONE, -100, NULL);

		if (n && len < sizeof(buf))
			len += snprintf(buf + len, sizeof(buf) - len, "; %s %lu",
					vmscan_events[i] + strlen("mm_vmscan_"), n);
	}
	ksft_print_msg("%s events: %s (%lu in all, %lu unparsed)\n", what, buf, t->n,
		       t->unparsed);
}

/* === Counters, knobs, fragmentation index === */

static unsigned long vmstat(const char *name)
{
	unsigned long v;

	if (vmstat_get(name, &v))
		ksft_exit_fail_msg("/proc/vmstat has no %s\n", name);
	return v;
}

static void set_or_die(const char *path, const char *val)
{
	int ret = knob_set(path, val);

	if (ret)
		ksft_exit_fail_msg("cannot write %s to %s: %s\n", val, path, strerror(-ret));
}

/*
 * Order-9 fragmentation index of every zone, from /proc/buddyinfo, as
 * fragmentation_index() computes it; "node 0 DMA32 995, ..." into @buf.
 * Returns how many zones are in (500, 1000].
 */
static int frag_indices(char *buf, size_t size)
{
	char line[512], zone[32];
	size_t len = 0;
	int node, off, between = 0;
	FILE *f = fopen("/proc/buddyinfo", "r");

	buf[0] = '\0';
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long free = 0, blocks = 0, suitable = 0, n;
		char *p, *end;
		int order, index;

		if (sscanf(line, "Node %d, zone %31s%n", &node, zone, &off) != 2)
			continue;
		for (p = line + off, order = 0; ; order++, p = end) {
			n = strtoul(p, &end, 10);
			if (end == p)
				break;
			free += n << order;
			blocks += n;
			if (order >= 9)
				suitable += n;
		}
		if (!blocks)
			index = 0;
		else if (suitable)
			index = -1000;
		else
			index = 1000 - (int)((1000 + free * 1000 / 512) / blocks);
		between += index > 500 && index <= 1000;
		len += snprintf(buf + len, len < size ? size - len : 0, "%snode %d %s %d",
				len ? ", " : "", node, zone, index);
	}
	fclose(f);
	return between;
}

/* The most populated zones any node has (/proc/buddyinfo lists those). */
static unsigned long zones_per_node(void)
{
	unsigned long per[MAX_ZONES] = { 0 }, max = 1;
	char line[512];
	int node;
	FILE *f = fopen("/proc/buddyinfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Node %d,", &node) == 1 && node >= 0 && node < MAX_ZONES &&
		    ++per[node] > max)
			max = per[node];
	if (f)
		fclose(f);
	return max;
}

/* === Layouts and faults === */

static bool kept(unsigned long i, void *arg)
{
	(void)arg;
	return i % KEEP_EVERY == 0;
}

struct region {
	char *mem;
	size_t len;
};

static void fragment(struct region *r, long memfree_kb, int share)
{
	unsigned long i, npages;

	r->len = (size_t)memfree_kb * 1024 / 100 * share / BLOCK_2M * BLOCK_2M;
	npages = r->len / PAGE_4K;
	r->mem = map_2m(r->len, MADV_NOHUGEPAGE);
	if (!r->mem)
		ksft_exit_fail_msg("mmap of %zu MiB: %s\n", r->len >> 20, strerror(errno));
	for (i = 0; i < npages; i++) {
		if (kept(i, NULL))
			fill_page(r->mem + i * PAGE_4K, SEED, i);
		else
			r->mem[i * PAGE_4K] = 1;
	}
	if (punch(r->mem, npages, kept, NULL) < 0)
		ksft_exit_fail_msg("madvise(MADV_DONTNEED): %s\n", strerror(errno));
}

/* The kept pages still hold their pattern? (A locked page must too.) */
static unsigned long bad_pages(const struct region *r)
{
	unsigned long i, bad = 0;

	for (i = 0; i < r->len / PAGE_4K; i += KEEP_EVERY)
		bad += check_page(r->mem + i * PAGE_4K, SEED, i) >= 0;
	return bad;
}

/* 2 MiB extents, faulted one at a time by fault_one(). */
struct faults {
	char *mem;
	unsigned long cap, used;
};

static void faults_map(struct faults *f, unsigned long extents)
{
	f->cap = extents;
	f->used = 0;
	f->mem = map_2m(extents * BLOCK_2M, MADV_HUGEPAGE);
	if (!f->mem)
		ksft_exit_fail_msg("mmap of %lu MiB: %s\n", extents * 2, strerror(errno));
}

/* Fault the next extent; true if a huge page backs it. */
static bool fault_one(struct faults *f)
{
	char *p;
	uint64_t pfn = 0, flags = 0;

	if (f->used == f->cap)
		ksft_exit_fail_msg("ran out of extents (%lu)\n", f->cap);
	p = f->mem + f->used++ * BLOCK_2M;
	*(volatile char *)p = 1;
	if (page_frames(p, 1, &pfn) || !pfn || page_flags(&pfn, 1, &flags))
		return false;
	return (flags >> KPF_THP & 1) && pfn % PAGES_PER_BLOCK == 0;
}

/* Fault until @run in a row got no huge page, at most @max: the huge ones. */
static unsigned long soak(struct faults *f, unsigned long max)
{
	unsigned long n, huge = 0, misses = 0;

	for (n = 0; n < max && misses < SOAK_RUN; n++) {
		if (fault_one(f)) {
			huge++;
			misses = 0;
		} else {
			misses++;
		}
	}
	return huge;
}

/* === Part A === */

static void part_a(long memfree)
{
	unsigned long scan0, scan1, stall0, stall1, huge, n, tries, no, yes, runs, blocks;
	struct region r;
	struct faults f;
	struct trace_log t;
	char idx[512];
	int between;

	set_or_die(VM_EXTFRAG_THRESHOLD, "1000");
	fragment(&r, memfree, SHARE_A);
	blocks = free_2m_blocks(false);
	faults_map(&f, blocks + SOAK_EXTRA + MAX_FAULTS_2 + FAULTS_3 + 16);
	huge = soak(&f, blocks + SOAK_EXTRA);
	between = frag_indices(idx, sizeof(idx));
	ksft_print_msg("part A: fragmented %zu MiB; %lu free 2 MiB blocks, %lu soaked up in %lu faults\n",
		       r.len >> 20, blocks, huge, f.used);
	/* 1 */
	ksft_test_result(between > 0,
			 "A: order-9 fragmentation index per zone: %s (some zone in (500, 1000] wanted)\n",
			 idx);

	/* 2 */
	set_or_die(VM_EXTFRAG_THRESHOLD, "500");
	trace_clear();
	scan0 = vmstat("compact_migrate_scanned");
	for (n = 0, huge = 0; n < MAX_FAULTS_2 && huge < WANT_HUGE; n++)
		huge += fault_one(&f);
	scan1 = vmstat("compact_migrate_scanned");
	read_trace(&t);
	trace_summary("line 2", &t);
	yes = count(&t, "mm_compaction_suitable", OURS, 9, "continue");
	runs = count(&t, "mm_compaction_begin", OURS, -100, NULL);
	ksft_test_result(yes > 0 && runs > 0 && scan1 > scan0 && huge >= WANT_HUGE,
			 "A: extfrag_threshold=500: %lu faults, %lu huge (%d wanted); suitable said continue %lu times, %lu runs began, compact_migrate_scanned +%lu\n",
			 n, huge, WANT_HUGE, yes, runs, scan1 - scan0);
	trace_log_free(&t);

	/* 3 */
#ifndef BREAK_THRESHOLD_500
	set_or_die(VM_EXTFRAG_THRESHOLD, "1000");
#endif
	trace_clear();
	scan0 = vmstat("compact_migrate_scanned");
	stall0 = vmstat("compact_stall");
	for (n = 0, huge = 0; n < FAULTS_3; n++)
		huge += fault_one(&f);
	scan1 = vmstat("compact_migrate_scanned");
	stall1 = vmstat("compact_stall");
	read_trace(&t);
	trace_summary("line 3", &t);
	tries = count(&t, "mm_compaction_try_to_compact_pages", OURS, 9, NULL);
	no = count(&t, "mm_compaction_suitable", OURS, 9, "not_suitable_zone");
	yes = count(&t, "mm_compaction_suitable", OURS, 9, "continue");
	runs = count(&t, "mm_compaction_begin", OURS, -100, NULL);
	ksft_test_result(tries > 0 && no > 0 && yes == 0 && runs == 0 &&
			 scan1 - scan0 < PAGES_PER_BLOCK,
			 "A: extfrag_threshold=1000: %d faults (%lu huge), %lu reached try_to_compact_pages; suitable said not_suitable_zone %lu times, continue %lu (0 wanted); %lu runs began (0 wanted); compact_migrate_scanned +%lu (< 512 wanted), compact_stall +%lu\n",
			 FAULTS_3, huge, tries, no, yes, runs, scan1 - scan0, stall1 - stall0);
	trace_log_free(&t);
	if (bad_pages(&r))
		ksft_exit_fail_msg("part A: kept pages corrupted\n");
	munmap(f.mem, f.cap * BLOCK_2M);
	munmap(r.mem, r.len);
}

/* === Part B === */

/*
 * Do the windows of our task's defer_compaction events for order 9 grow,
 * node by node (each node has one zone here), and does each failure
 * restart the count?  A reset by a successful allocation (limit=1) starts
 * the windows over.  "node:limit ..." into @buf.
 */
static bool windows_grow(const struct trace_log *t, char *buf, size_t size)
{
	unsigned long last[MAX_ZONES] = { 0 }, i;
	int grew = 0, shrank = 0;
	size_t len = 0;

	buf[0] = '\0';
	for (i = 0; i < t->n; i++) {
		const struct trace_event *e = &t->ev[i];
		int z = e->node;

		if (e->order != 9 || z < 0 || z >= MAX_ZONES)
			continue;
		if (!strcmp(e->name, "mm_compaction_defer_reset") && e->limit == 1)
			last[z] = 0;
		if (strcmp(e->name, "mm_compaction_defer_compaction") || !by(e, OURS))
			continue;
		if (len < size)
			len += snprintf(buf + len, size - len, "%s%d:%lu",
					len ? " " : "", z, e->limit);
		if (e->consider != 0)
			shrank++;	/* a failure must restart the count */
		if (last[z] && e->limit > last[z])
			grew++;
		else if (last[z] && e->limit < last[z])
			shrank++;
		last[z] = e->limit;
	}
	return grew > 0 && !shrank;
}

/* Deferred events (ours or kcompactd's, order 9) all inside their window? */
static unsigned long deferred_outside(const struct trace_log *t)
{
	unsigned long i, n = 0;

	for (i = 0; i < t->n; i++)
		n += !strcmp(t->ev[i].name, "mm_compaction_deferred") &&
		     t->ev[i].consider >= t->ev[i].limit;
	return n;
}

static void part_b(long memfree)
{
	unsigned long fail0, fail1, succ0, succ1, huge, misses = 0, n, blocks;
	unsigned long defers, deferred, sync_runs, wakes, kdeferred, kdefers, kruns;
	unsigned long resets, alloc_resets = 0, i, runs0;
	double t5;
	struct region r;
	struct faults f;
	struct trace_log t;
	char limits[512];
	bool grew;

	set_or_die(VM_UNEVICTABLE_ALLOWED, "0");
	set_or_die(VM_EXTFRAG_THRESHOLD, "500");
	fragment(&r, memfree, SHARE_B);
#ifndef BREAK_NO_MLOCK
	if (mlock2(r.mem, r.len, MLOCK_ONFAULT))
		ksft_exit_fail_msg("mlock2(MLOCK_ONFAULT): %s\n", strerror(errno));
#endif
	blocks = free_2m_blocks(false);
	faults_map(&f, blocks + FAULTS_4 + FAULTS_5 + MAX_FAULTS_6 + 16);

	/* 4: use up the free blocks, then fail FAULTS_4 times */
	trace_clear();
	fail0 = vmstat("compact_fail");
	for (huge = 0; f.used < blocks + FAULTS_4 && misses < FAULTS_4; ) {
		if (fault_one(&f))
			huge++;
		else
			misses++;
	}
	fail1 = vmstat("compact_fail");
	read_trace(&t);
	trace_summary("line 4", &t);
	defers = count(&t, "mm_compaction_defer_compaction", OURS, 9, NULL);
	deferred = count(&t, "mm_compaction_deferred", OURS, 9, NULL);
	sync_runs = count_mode(&t, "mm_compaction_begin", OURS, "sync");
	grew = windows_grow(&t, limits, sizeof(limits));
	ksft_print_msg("part B: locked %zu MiB of holes; %lu free 2 MiB blocks; %lu faults, %lu huge\n",
		       r.len >> 20, blocks, f.used, huge);
	ksft_test_result(defers >= 2 && grew && deferred > 0 && !deferred_outside(&t) &&
			 fail1 > fail0 && sync_runs * 2 < misses,
			 "B: failures back off: %lu defer_compaction (windows node:limit %s), %lu deferred, %lu outside their window; compact_fail +%lu; %lu sync runs for %lu failed faults (fewer than half wanted)\n",
			 defers, limits, deferred, deferred_outside(&t), fail1 - fail0,
			 sync_runs, misses);
	trace_log_free(&t);

	/* 5: kcompactd, woken through kswapd */
	set_or_die(THP_DEFRAG, "defer");
	trace_clear();
	runs0 = vmstat("pageoutrun");
	t5 = now_s();
	for (n = 0; now_s() - t5 < KCOMPACTD_WAIT_S; n++) {
		fault_one(&f);
		usleep(FAULT_GAP_US);
		if (n % 8 != 7)
			continue;
		read_trace(&t);
		kdeferred = count(&t, "mm_compaction_deferred", KCOMPACTD, 9, NULL);
		trace_log_free(&t);
		if (kdeferred)
			break;
	}
	usleep(200000);
	ksft_print_msg("kcompactd: %lu faults with defrag=defer in %.1f s; kswapd ran %lu times (pageoutrun)\n",
		       n, now_s() - t5, vmstat("pageoutrun") - runs0);
	read_trace(&t);
	trace_summary("line 5", &t);
	wakes = count(&t, "mm_compaction_kcompactd_wake", KCOMPACTD, 9, NULL);
	kdeferred = count(&t, "mm_compaction_deferred", KCOMPACTD, 9, NULL);
	kdefers = count(&t, "mm_compaction_defer_compaction", KCOMPACTD, 9, NULL);
	kruns = count(&t, "mm_compaction_begin", KCOMPACTD, -100, NULL);
	ksft_print_msg("kcompactd: %lu wakeup_kcompactd for order 9 by anyone\n",
		       count(&t, "mm_compaction_wakeup_kcompactd", ANYONE, 9, NULL));
	ksft_test_result(wakes > 0 && kdeferred > 0 && !deferred_outside(&t) &&
			 kruns < wakes * zones_per_node(),
			 "B: kcompactd woken %lu times for order 9: %lu deferred, %lu failed runs that widened a window, %lu runs began\n",
			 wakes, kdeferred, kdefers, kruns);
	trace_log_free(&t);

	/* 6: compaction can succeed again */
	set_or_die(THP_DEFRAG, "always");
	set_or_die(VM_UNEVICTABLE_ALLOWED, "1");
	trace_clear();
	succ0 = vmstat("compact_success");
	for (n = 0, huge = 0, resets = 0; n < MAX_FAULTS_6 && huge < HUGE_AFTER_RESET; n++) {
		bool got = fault_one(&f);

		if (!resets) {
			read_trace(&t);
			resets = count(&t, "mm_compaction_defer_reset", OURS, 9, NULL);
			trace_log_free(&t);
		}
		huge += got && resets;
	}
	succ1 = vmstat("compact_success");
	read_trace(&t);
	trace_summary("line 6", &t);
	resets = count(&t, "mm_compaction_defer_reset", OURS, 9, NULL);
	for (i = 0; i < t.n; i++)
		alloc_resets += !strcmp(t.ev[i].name, "mm_compaction_defer_reset") &&
				by(&t.ev[i], OURS) && t.ev[i].order == 9 &&
				t.ev[i].limit == 1 && t.ev[i].order_failed > 9;
	ksft_test_result(alloc_resets > 0 && succ1 > succ0 && huge >= HUGE_AFTER_RESET,
			 "B: success resets: %lu faults, %lu defer_reset for order 9, %lu of them the allocation's (limit=1, order_failed > 9); compact_success +%lu; %lu huge after the reset (%d wanted)\n",
			 n, resets, alloc_resets, succ1 - succ0, huge, HUGE_AFTER_RESET);
	trace_log_free(&t);
	if (bad_pages(&r))
		ksft_exit_fail_msg("part B: kept pages corrupted\n");
	munlock(r.mem, r.len);
	munmap(f.mem, f.cap * BLOCK_2M);
	munmap(r.mem, r.len);
}

int main(void)
{
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	long memfree, threshold, threshold_now;
	double t0 = now_s();
	int ret;

	ksft_print_header();
	if (geteuid())
		ksft_exit_skip("needs root\n");
	if (access(THP_ENABLED, F_OK) || access(THP_DEFRAG, F_OK))
		ksft_exit_skip("no THP (%s)\n", THP_ENABLED);
	if (access(TRACEFS "/instances", F_OK))
		ksft_exit_skip("no tracefs at %s (CONFIG_TRACING, or not mounted)\n", TRACEFS);
	if (access(TRACEFS "/events/compaction", F_OK))
		ksft_exit_fail_msg("no compaction trace events: our engine provides them\n");
	if (access("/proc/kpageflags", R_OK))
		ksft_exit_skip("no /proc/kpageflags (CONFIG_PROC_PAGE_MONITOR)\n");
	if (knob_read_long(VM_EXTFRAG_THRESHOLD, &threshold) ||
	    access(VM_UNEVICTABLE_ALLOWED, F_OK) || access(VM_PROACTIVENESS, F_OK))
		ksft_exit_fail_msg("a compaction knob is absent: our engine provides them\n");
	memfree = meminfo_kb("MemFree");
	if (memfree <= 0)
		ksft_exit_skip("no MemFree in /proc/meminfo\n");
	ksft_set_plan(7);

	setrlimit(RLIMIT_MEMLOCK, &unlimited);
	set_or_die(THP_ENABLED, "always");
	set_or_die(THP_DEFRAG, "always");
	set_or_die(VM_PROACTIVENESS, "0");
	/* khugepaged would collapse our sparse THP extents, compacting for it */
	if (!access(KHUGEPAGED_MAX_PTES_NONE, F_OK))
		set_or_die(KHUGEPAGED_MAX_PTES_NONE, "0");
	if (knob_save(VM_EXTFRAG_THRESHOLD) || knob_save(VM_UNEVICTABLE_ALLOWED))
		ksft_exit_fail_msg("cannot save the knobs\n");
	if (!access(VM_PCP_HIGH_FRACTION, F_OK))
		set_or_die(VM_PCP_HIGH_FRACTION, PCP_HIGH_FRACTION);
	trace_setup();
	/* a proactive round the test before started must not run under ours */
	if (kcompactd_wait_idle(30.0) < 0)
		ksft_exit_fail_msg("kcompactd still busy 30 s after proactiveness 0\n");
	memfree = meminfo_kb("MemFree");
	ksft_print_msg("MemFree %ld MiB\n", memfree >> 10);

	part_a(memfree);
	ksft_print_msg("part A done at %.1f s\n", now_s() - t0);
	memfree = meminfo_kb("MemFree");
	part_b(memfree);

	/* 7 */
	trace_stop();
	ret = knobs_restore();
	ksft_test_result(!ret && !knob_read_long(VM_EXTFRAG_THRESHOLD, &threshold_now) &&
			 threshold_now == threshold && trace_gone(),
			 "knobs restored (extfrag_threshold %ld), trace instance removed\n",
			 threshold_now);
	ksft_print_msg("total %.1f s\n", now_s() - t0);
	ksft_finished();
}
