// SPDX-License-Identifier: GPL-2.0
/*
 * compaction_events - do the compaction counters of /proc/vmstat and the
 * compaction trace events report what the engine does: moving when it
 * compacts, of the right kind, and still when it does not?
 *
 * The formats of the events are checked on the host (harness/trace_abi.py);
 * this test checks the events and counters at run time, on one layout
 * taken through five phases, each with the counters read before and after
 * and a trace of its own.  The trace is a private tracefs instance
 * (/sys/kernel/tracing/instances/compaction_events.PID, every event of
 * events/compaction/ on, a 4 MiB buffer per CPU), so the global tracing
 * state is never touched; the instance is removed at exit and on
 * SIGTERM/SIGINT/SIGHUP.  A phase whose buffer lost events fails
 * (entries-in-buffer against entries-written in the trace's header).
 *
 * The layout (1 GiB guest, 2 nodes): 80% of MemFree as 4 KiB anonymous
 * pages (MADV_NOHUGEPAGE), written, 7 of every 8 freed (region R, as in
 * compaction_fragment); then, with THP defrag=never, huge pages faulted
 * into a region bound to each node in turn (mbind(MPOL_BIND): a huge page
 * fault that need not compact does not try other nodes, and a node may
 * have no CPU) until a fault gets none (filler F).  No free 2 MiB block is
 * left, so a huge page can only come from compaction:
 *
 *   R:  #.......#.......#....... ... (64 of 512 pages kept per block)
 *   F:  [THP][THP][THP] ...          (every free 2 MiB block there was)
 *
 * Phases and cases (one TAP line each):
 *   1. setup: the trace instance exists and every event of our engine is in
 *      its events/compaction/.  mm_compaction_fast_isolate_freepages is
 *      our free scanner's search of the buddy free lists, which every
 *      refill of targets tries first: direct and manual compaction must
 *      fire it (the free scanner's pageblock walk, isolate_freepages,
 *      comes only when the search falls short, so it is not required);
 *   2. the layout leaves at most 2 free 2 MiB blocks (a second filler pass
 *      takes any freed meanwhile; what is left is what a THP may not take,
 *      such as the high-order atomic reserve);
 *   Quiet: proactiveness 0, 1 s to settle, then 3 s of nothing:
 *   3. no compaction counter moves (compact_stall, _success, _fail,
 *      _migrate_scanned, _free_scanned, _isolated, compact_daemon_*): with
 *      proactiveness 0, no allocation and no memory pressure nothing may
 *      compact, however fragmented memory is;
 *   4. the trace holds no event at all;
 *   Direct: THP defrag=always, faults in a MADV_HUGEPAGE region bound to
 *   each node in turn, 4 a node (8 in all) and on until one compacted with
 *   success on that node (at most 64 more: an earlier test may have left
 *   the zone backed off, and a window is at most 64 requests; the success
 *   ends the backoff, which the kcompactd phase needs, as kcompactd skips a
 *   zone that is backed off):
 *   5. a success on every node; compact_stall moves; compact_success +
 *      compact_fail move by as much as compact_stall (the allocator counts
 *      each stall's outcome once), and the scanned, isolated and
 *      pgmigrate_success counters move;
 *   6. our task's trace: try_to_compact_pages and suitable for order 9;
 *      begin/end pairs (each begin followed by the end of the same zone,
 *      zone bounds as in /proc/zoneinfo, scanner positions inside them, end
 *      status one of success, partial_skipped, complete, contended, at
 *      least one success); isolate_migratepages, isolate_freepages,
 *      migratepages, finished (its status one a run reports at a step:
 *      the end statuses, continue, no_suitable_page; suitable's one of
 *      continue, skipped, not_suitable_zone) and defer_reset (a success
 *      resets the zone's backoff); the pfns our task's events scanned
 *      equal the scanned counters' moves less kcompactd's
 *      (compact_daemon_*_scanned), unless a task other than ours and
 *      kcompactd is in the trace (a fault's first try prices blocks by
 *      a sample: traced too); isolated and migrated pages as case 14,
 *      unless another task is in the trace;
 *   kcompactd: THP defrag=defer; steps of 16 MiB of pipe buffers
 *   (unmovable, 192 MiB at most) and one huge page fault each, a second
 *   apart, until compact_daemon_wake and compact_daemon_migrate_scanned
 *   moved (at most 15 s; a kcompactd woken for a zone still backed off by
 *   an earlier test counts the request and sleeps again).  Two upstream
 *   paths wake kcompactd for order 9 here, both in mm/vmscan.c: an
 *   unmovable allocation that falls back into a movable pageblock boosts
 *   the zone's watermark, and kswapd, woken for the boost, wakes kcompactd
 *   when it is done (balance_pgdat()); and once kswapd has given up on a
 *   node (16 runs without reclaiming a page: nothing here is reclaimable
 *   without swap; node_unreclaimable in /proc/zoneinfo), a fault that may
 *   not stall (defrag=defer) wakes kcompactd directly (wakeup_kswapd()).
 *   Either leaves kswapd's failure count higher, which later tests do not
 *   mind;
 *   7. compact_daemon_wake, compact_daemon_migrate_scanned and
 *      compact_daemon_free_scanned move, compact_stall does not;
 *   8. the trace: wakeup_kcompactd (any task), kcompactd_wake for order 9,
 *      and kcompactd's own begin/end pairs, isolate_migratepages and
 *      isolate_freepages;
 *   9. kcompactd's run ended in success, having migrated at most 8 blocks'
 *      worth of pages (pgmigrate_success): a run for one order-9 page stops
 *      once the zone has one, as direct compaction does; here a block is
 *      64 moves away.  A run that goes on until its scanners meet moves the
 *      whole zone's kept pages (~11,000) and ends partial_skipped.  And
 *      having read (compact_daemon_migrate_scanned, per run) at most a
 *      quarter of MemTotal's pages, half a node here: a run for one page
 *      reads the zone a window at a time from where direct compaction left
 *      it (ours: 10,752 pfns); a census of the whole zone first reads
 *      every movable block of the node (the kcd-whole-zone mutant);
 *   Deferral: the filler again for the blocks made since, then every page
 *   of ours locked (mlock2(MLOCK_ONFAULT), compact_unevictable_allowed=0),
 *   so that compaction may move only other tasks' pages (the initramfs's
 *   tmpfs files, a few blocks' worth): THP faults (defrag=always) one by
 *   one until one gets no huge page although compaction ran in its window
 *   (a fault held back by a backoff scans nothing; at most 96), then one
 *   more:
 *  10. such a fault came;
 *  11. the trace: defer_compaction for order 9 (the failed sync-light run
 *      backs the zone off), then deferred for order 9 (the next request is
 *      held back), every status sane;
 *   Manual: everything unlocked, compact_memory written:
 *  12. the scanned, isolated and pgmigrate_success counters move;
 *      compact_stall, _success, _fail and compact_daemon_* do not;
 *  13. our task's trace: exactly one begin/end pair per populated zone of
 *      /proc/zoneinfo, mode sync, status complete (a manual run goes
 *      through each zone), isolate_migratepages, fast_isolate_freepages,
 *      migratepages and finished (order -1), and no try_to_compact_pages
 *      or suitable (those are for allocations);
 *  14. the trace and the counters agree exactly: the sums of nr_scanned of
 *      isolate_migratepages (a planned run's census is one of them, over
 *      the zone) and of isolate_freepages and fast_isolate_freepages are
 *      the moves of
 *      compact_migrate_scanned and compact_free_scanned, the sum of their
 *      nr_taken that of compact_isolated, the sum of nr_migrated that of
 *      pgmigrate_success, and no other task compacted meanwhile;
 *  15. once kcompactd is still: no page is left isolated
 *      (nr_isolated_anon + nr_isolated_file in /proc/vmstat is 0), every
 *      knob reads as before and the trace instance is gone.
 *
 * Knobs saved, set and restored at exit (and on SIGTERM/SIGINT/SIGHUP):
 * THP enabled and defrag, compaction_proactiveness (0),
 * compact_unevictable_allowed, percpu_pagelist_high_fraction (1000000, see
 * compaction_util.h), watermark_boost_factor (15000, upstream's default:
 * the kcompactd phase needs boosts) and khugepaged's defrag (0: khugepaged
 * collapsing what a phase left in 4 KiB pages would compact in the
 * windows of later phases; each region is also made MADV_NOHUGEPAGE once
 * its phase is over).  Skips (exit 4) when not
 * root, without THP or without tracefs; a missing counter, event or
 * engine knob is a failure.  Takes 11 to 13 s in a 1 GiB QEMU/TCG guest.
 *
 * To see it fail (each hook breaks the phase named; later cases may follow):
 *   -DBREAK_QUIET_NOISE    proactiveness 100 for 1 s in the quiet window
 *                          (cases 3 and 4 fail);
 *   -DBREAK_DEFRAG_NEVER   the direct phase faults with defrag=never
 *                          (cases 5 and 6 fail);
 *   -DBREAK_NO_WAKE        no pipes and no faults in the kcompactd phase
 *                          (cases 7 to 9 fail);
 *   -DBREAK_KCD_WHOLE_ZONE compact_memory in the kcompactd window, as a
 *                          whole-zone run would move (case 9; 7 and 8 too,
 *                          as no fault or pipe then needs kcompactd);
 *   -DBREAK_NO_MLOCK       the deferral phase locks nothing (10, 11 fail);
 *   -DBREAK_ONE_NODE       the manual phase compacts node 0 only, through
 *                          its compact file (case 13 fails);
 *   -DBREAK_EXTRA_MIGRATE  the kept pages moved to another node and back
 *                          with move_pages(2) in the manual window, as
 *                          migrations no compaction event reports (14);
 *   -DBREAK_DROP_END       mm_compaction_end left off in the instance
 *                          (cases 6, 8, 9, 11 and 13 fail);
 *   -DBREAK_LEAK_KNOB      proactiveness left at 1 (case 15 fails).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../kselftest.h"
#include "compaction_util.h"

#define SHARE_PERCENT	80	/* of MemFree, for region R */
#define KEEP_EVERY	8
#define SEED		0xe7e27ULL
#define DIRECT_FAULTS	8
#define DEFER_WINDOW	64	/* the longest backoff, in requests */
#define DEFER_FAULTS	96	/* at most, until one falls back after compacting */
#define PIPE_BYTES	(1 << 20)
#define PIPE_STEP	16	/* pipes between looks at the counter */
#define MAX_PIPES	192
#define KCD_FAULTS	64	/* defrag=defer faults, at most */
#define MAX_KCD_MIGRATED	(8 * PAGES_PER_BLOCK)	/* one order-9 page, 8 times over */
#define QUIET_S		3.0
#define WAKE_WAIT_S	15.0
#define BUF_KB		"4096"
#define TRACEFS		"/sys/kernel/tracing"
#define VM_BOOST	"/proc/sys/vm/watermark_boost_factor"
#define KHUGEPAGED_DEFRAG "/sys/kernel/mm/transparent_hugepage/khugepaged/defrag"
#define MAX_ZONES	16
#define MAX_REGIONS	16
#define MAX_NODES	64
#define MAX_LEFT	2	/* free blocks a THP may not take (highatomic reserve) */
#define NODE_FLOOR_KB	(64 << 10)	/* the filler leaves a node this much */

/* The hooks that switch a step off, as constants the compiler sees through. */
#ifdef BREAK_NO_WAKE
#define BREAK_WAKE	true
#else
#define BREAK_WAKE	false
#endif
#ifdef BREAK_NO_MLOCK
#define BREAK_MLOCK	true
#else
#define BREAK_MLOCK	false
#endif

/* === Counters === */

enum {
	V_STALL, V_SUCCESS, V_FAIL, V_MSCAN, V_FSCAN, V_ISOLATED,
	V_DWAKE, V_DMSCAN, V_DFSCAN, V_MIGRATED, NR_V
};

static const char *const vnames[NR_V] = {
	"compact_stall", "compact_success", "compact_fail",
	"compact_migrate_scanned", "compact_free_scanned", "compact_isolated",
	"compact_daemon_wake", "compact_daemon_migrate_scanned",
	"compact_daemon_free_scanned", "pgmigrate_success",
};

struct snap {
	unsigned long v[NR_V];
};

static void snap(struct snap *s)
{
	if (vmstat_read(vnames, s->v, NR_V))
		ksft_exit_fail_msg("/proc/vmstat lacks a compaction counter\n");
}

static unsigned long moved(const struct snap *a, const struct snap *b, int i)
{
	return b->v[i] - a->v[i];
}

/* "compact_stall +3 compact_fail +1" for every counter in @mask that moved. */
static void moved_list(const struct snap *a, const struct snap *b,
		       unsigned int mask, char *buf, size_t size)
{
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < NR_V; i++)
		if ((mask & (1U << i)) && moved(a, b, i))
			len += snprintf(buf + len, len < size ? size - len : 0,
					" %s +%lu", vnames[i], moved(a, b, i));
	if (!len)
		snprintf(buf, size, " none");
}

/* === Zones, from /proc/zoneinfo === */

struct zone_span {
	int node;
	char name[16];
	unsigned long start, end;	/* [start_pfn, start_pfn + spanned) */
};

static struct zone_span zones[MAX_ZONES];
static int nr_zones;

static void read_zones(void)
{
	char line[256], name[16];
	unsigned long present = 0, spanned = 0, start;
	int node;
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		ksft_exit_fail_msg("/proc/zoneinfo: %s\n", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Node %d, zone %15s", &node, name) == 2) {
			present = 0;
			spanned = 0;
		} else if (sscanf(line, " present %lu", &present) == 1) {
			continue;
		} else if (sscanf(line, " spanned %lu", &spanned) == 1) {
			continue;
		} else if (sscanf(line, " start_pfn: %lu", &start) == 1 &&
			   present && nr_zones < MAX_ZONES) {
			zones[nr_zones].node = node;
			snprintf(zones[nr_zones].name, sizeof(zones[0].name), "%s", name);
			zones[nr_zones].start = start;
			zones[nr_zones].end = start + spanned;
			nr_zones++;
		}
	}
	fclose(f);
	if (!nr_zones)
		ksft_exit_fail_msg("no populated zone in /proc/zoneinfo\n");
}

static int zone_of(unsigned long start, unsigned long end)
{
	int i;

	for (i = 0; i < nr_zones; i++)
		if (zones[i].start == start && zones[i].end == end)
			return i;
	return -1;
}

/* === The trace instance === */

static char inst[128];	/* its directory, "" once removed */

static void inst_path(char *buf, size_t size, const char *rel)
{
	snprintf(buf, size, "%s/%s", inst, rel);
}

static int inst_write(const char *rel, const char *val)
{
	char path[256];

	inst_path(path, sizeof(path), rel);
	return knob_write(path, val);
}

/* Only write/rmdir: this also runs in a signal handler. */
static void inst_remove(void)
{
	char path[256];
	ssize_t n;

	if (!inst[0])
		return;
	inst_path(path, sizeof(path), "tracing_on");
	n = knob_write_raw(path, "0", 1);
	inst_path(path, sizeof(path), "events/compaction/enable");
	n = knob_write_raw(path, "0", 1);
	(void)n;
	if (!rmdir(inst))
		inst[0] = '\0';
}

static void cleanup_on_signal(int sig)
{
	inst_remove();
	knobs_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void cleanup_at_exit(void)
{
	inst_remove();
}

/* The events of our engine: all must exist. */
enum ev {
	E_ISO_MIGRATE, E_ISO_FREE, E_FAST_ISO_FREE, E_MIGRATEPAGES, E_BEGIN,
	E_END, E_TRY, E_FINISHED, E_SUITABLE, E_DEFERRED, E_DEFER_COMPACTION,
	E_DEFER_RESET, E_KCD_SLEEP, E_WAKEUP_KCD, E_KCD_WAKE, NR_EV
};

static const char *const evnames[NR_EV] = {
	"mm_compaction_isolate_migratepages", "mm_compaction_isolate_freepages",
	"mm_compaction_fast_isolate_freepages", "mm_compaction_migratepages",
	"mm_compaction_begin", "mm_compaction_end",
	"mm_compaction_try_to_compact_pages", "mm_compaction_finished",
	"mm_compaction_suitable", "mm_compaction_deferred",
	"mm_compaction_defer_compaction", "mm_compaction_defer_reset",
	"mm_compaction_kcompactd_sleep", "mm_compaction_wakeup_kcompactd",
	"mm_compaction_kcompactd_wake",
};

/* Make the instance, every compaction event on; the missing ones in @missing. */
static int inst_make(char *missing, size_t size)
{
	char path[256];
	size_t len = 0;
	int i, ret;

	snprintf(inst, sizeof(inst), TRACEFS "/instances/compaction_events.%d", getpid());
	if (mkdir(inst, 0700)) {
		ret = -errno;
		inst[0] = '\0';
		return ret;
	}
	missing[0] = '\0';
	for (i = 0; i < NR_EV; i++) {
		snprintf(path, sizeof(path), "%s/events/compaction/%s", inst, evnames[i]);
		if (access(path, F_OK))
			len += snprintf(missing + len, len < size ? size - len : 0,
					" %s", evnames[i]);
	}
	ret = inst_write("tracing_on", "0");
	if (!ret)
		ret = inst_write("buffer_size_kb", BUF_KB);
	if (!ret)
		ret = inst_write("events/compaction/enable", "1");
#ifdef BREAK_DROP_END
	if (!ret)
		ret = inst_write("events/compaction/mm_compaction_end/enable", "0");
#endif
	return ret;
}

/* Empty the buffer and start recording. */
static void ev_trace_start(void)
{
	char path[256];
	int fd;

	inst_path(path, sizeof(path), "trace");
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		ksft_exit_fail_msg("%s: %s\n", path, strerror(errno));
	close(fd);
	if (inst_write("tracing_on", "1"))
		ksft_exit_fail_msg("cannot start the trace\n");
}

static void ev_trace_stop(void)
{
	if (inst_write("tracing_on", "0"))
		ksft_exit_fail_msg("cannot stop the trace\n");
}

/* === Reading a trace === */

/* enum compact_result as include/trace/events/mmflags.h names it */
enum status {
	S_SKIPPED, S_DEFERRED, S_CONTINUE, S_SUCCESS, S_PARTIAL_SKIPPED,
	S_COMPLETE, S_NO_SUITABLE_PAGE, S_NOT_SUITABLE_ZONE, S_CONTENDED,
	NR_STATUS
};

static const char *const snames[NR_STATUS] = {
	"skipped", "deferred", "continue", "success", "partial_skipped",
	"complete", "no_suitable_page", "not_suitable_zone", "contended",
};

#define BIT(s)		(1U << (s))
/* What a run over a zone can end with (after its begin). */
#define END_SANE	(BIT(S_SUCCESS) | BIT(S_PARTIAL_SKIPPED) | \
			 BIT(S_COMPLETE) | BIT(S_CONTENDED))
/* What a run reports at each step. */
#define FINISHED_SANE	(END_SANE | BIT(S_CONTINUE) | BIT(S_NO_SUITABLE_PAGE))
/* What a suitability verdict can be. */
#define SUITABLE_SANE	(BIT(S_CONTINUE) | BIT(S_SKIPPED) | BIT(S_NOT_SUITABLE_ZONE))

/* Whose events a phase looks at: our task, or the kcompactd threads. */
enum whose { MINE, KCOMPACTD };

#define MAX_TASKS 8
#define MAX_RUNS_SHOWN 4

struct trace_sum {
	unsigned long n[NR_EV];		/* every task */
	unsigned long sel[NR_EV];	/* the selected tasks */
	unsigned long others;		/* events of tasks not selected */
	unsigned long strangers;	/* ... of tasks not selected, not kcompactd */
	/* sums over every task */
	unsigned long m_scanned, m_taken, f_scanned, f_taken, migrated;
	/* selected tasks */
	unsigned long sel_m_scanned, sel_f_scanned;
	unsigned long pairs, zone_pairs[MAX_ZONES], ends[NR_STATUS];
	unsigned long sync_pairs;
	unsigned int order9;		/* BIT(ev) of events seen for order 9 */
	unsigned int order_m1;		/* ... for order -1 */
	long lines, first[NR_EV], last[NR_EV];	/* line numbers, selected tasks */
	int errors;
	char error[256];		/* the first */
	long in_buffer, written;	/* from the trace's header */
	/* open runs: task pid -> zone index, -1 if none, and where it began */
	int task[MAX_TASKS], open_zone[MAX_TASKS], nr_tasks;
	unsigned long open_mp[MAX_TASKS], open_fp[MAX_TASKS];
	char runs[MAX_RUNS_SHOWN][128];	/* the first runs of the selected tasks */
	int nr_runs;
};

static __printf(2, 3) void trace_error(struct trace_sum *t, const char *fmt, ...)
{
	va_list ap;

	if (!t->errors++) {
		va_start(ap, fmt);
		vsnprintf(t->error, sizeof(t->error), fmt, ap);
		va_end(ap);
	}
}

static int status_of(const char *s)
{
	int i;
	size_t n = strcspn(s, "\n ");

	for (i = 0; i < NR_STATUS; i++)
		if (strlen(snames[i]) == n && !strncmp(s, snames[i], n))
			return i;
	return -1;
}

/* The number after @key in @f (base 0: "0x" is hex); false if absent. */
static bool field_long(const char *f, const char *key, long *v)
{
	const char *p = strstr(f, key);
	char *end;

	if (!p)
		return false;
	p += strlen(key);
	*v = strtol(p, &end, 0);
	return end != p;
}

static bool field_ul(const char *f, const char *key, unsigned long *v)
{
	long l;

	if (!field_long(f, key, &l))
		return false;
	*v = (unsigned long)l;
	return true;
}

static bool field_int(const char *f, const char *key, int *v)
{
	long l;

	if (!field_long(f, key, &l))
		return false;
	*v = (int)l;
	return true;
}

/* The status word after @key, checked against @sane. */
static void check_status(struct trace_sum *t, const char *f, const char *key,
			 unsigned int sane, const char *ev, int *st)
{
	const char *p = strstr(f, key);

	*st = p ? status_of(p + strlen(key)) : -1;
	if (*st < 0 || !(sane & BIT(*st)))
		trace_error(t, "%s with %s%.20s", ev, key, p ? p + strlen(key) : "(none)");
}

static int *open_run(struct trace_sum *t, int pid)
{
	int i;

	for (i = 0; i < t->nr_tasks; i++)
		if (t->task[i] == pid)
			return &t->open_zone[i];
	if (t->nr_tasks == MAX_TASKS)
		return NULL;
	t->task[t->nr_tasks] = pid;
	t->open_zone[t->nr_tasks] = -1;
	return &t->open_zone[t->nr_tasks++];
}

/* mm_compaction_begin / _end of a selected task. */
static void pair_event(struct trace_sum *t, int pid, bool begin, const char *f)
{
	unsigned long zs, ze, mp, fp;
	int z, st, *open = open_run(t, pid);

	if (!open) {
		trace_error(t, "more than %d tasks compacting", MAX_TASKS);
		return;
	}
	if (!field_ul(f, "zone_start=", &zs) || !field_ul(f, "zone_end=", &ze) ||
	    !field_ul(f, "migrate_pfn=", &mp) || !field_ul(f, "free_pfn=", &fp)) {
		trace_error(t, "unreadable %s: %.60s", begin ? "begin" : "end", f);
		return;
	}
	z = zone_of(zs, ze);
	if (z < 0) {
		trace_error(t, "%s for no zone: 0x%lx-0x%lx", begin ? "begin" : "end", zs, ze);
		return;
	}
	if (mp < zs || mp > ze || fp < zs || fp > ze)
		trace_error(t, "%s: scanner outside the zone: migrate 0x%lx free 0x%lx",
			    begin ? "begin" : "end", mp, fp);
	if (begin) {
		if (*open >= 0)
			trace_error(t, "task %d: begin in zone %d while zone %d is open",
				    pid, z, *open);
		*open = z;
		t->open_mp[open - t->open_zone] = mp;
		t->open_fp[open - t->open_zone] = fp;
		return;
	}
	if (*open != z) {
		trace_error(t, "task %d: end in zone %d, open: %d", pid, z, *open);
		*open = -1;
		return;
	}
	*open = -1;
	check_status(t, f, "status=", END_SANE, "end", &st);
	if (st >= 0)
		t->ends[st]++;
	if (t->nr_runs < MAX_RUNS_SHOWN)
		snprintf(t->runs[t->nr_runs++], sizeof(t->runs[0]),
			 "task %d zone %d: migrate 0x%lx -> 0x%lx, free 0x%lx -> 0x%lx, %s",
			 pid, z, t->open_mp[open - t->open_zone], mp,
			 t->open_fp[open - t->open_zone], fp,
			 st >= 0 ? snames[st] : "?");
	t->pairs++;
	t->zone_pairs[z]++;
	if (strstr(f, "mode=sync"))
		t->sync_pairs++;
}

/* Sums and per-kind checks of one event line (@ev, fields @f). */
static void one_event(struct trace_sum *t, int ev, int pid, bool selected,
		      bool kcd, const char *f)
{
	unsigned long scanned, taken, v;
	int order, st;

	t->n[ev]++;
	switch (ev) {
	case E_ISO_MIGRATE:
	case E_ISO_FREE:
	case E_FAST_ISO_FREE:
		if (!field_ul(f, "nr_scanned=", &scanned) || !field_ul(f, "nr_taken=", &taken)) {
			trace_error(t, "unreadable %s: %.60s", evnames[ev], f);
			break;
		}
		if (ev == E_ISO_MIGRATE) {
			t->m_scanned += scanned;
			t->m_taken += taken;
			if (selected)
				t->sel_m_scanned += scanned;
		} else {
			t->f_scanned += scanned;
			t->f_taken += taken;
			if (selected)
				t->sel_f_scanned += scanned;
		}
		break;
	case E_MIGRATEPAGES:
		if (field_ul(f, "nr_migrated=", &v))
			t->migrated += v;
		break;
	default:
		break;
	}
	if (!selected) {
		t->others++;
		t->strangers += !kcd;
		return;
	}
	if (!t->sel[ev]++)
		t->first[ev] = t->lines;
	t->last[ev] = t->lines;
	if (field_int(f, "order=", &order)) {
		if (order == 9)
			t->order9 |= BIT(ev);
		if (order == -1)
			t->order_m1 |= BIT(ev);
	}
	switch (ev) {
	case E_BEGIN:
	case E_END:
		pair_event(t, pid, ev == E_BEGIN, f);
		break;
	case E_FINISHED:
		check_status(t, f, "ret=", FINISHED_SANE, "finished", &st);
		break;
	case E_SUITABLE:
		check_status(t, f, "ret=", SUITABLE_SANE, "suitable", &st);
		break;
	default:
		break;
	}
}

/* "  task-123  [001] ....  1.5: mm_compaction_x: fields" -> pid, comm, event. */
static void one_line(struct trace_sum *t, const char *line, enum whose whose)
{
	char comm[32];
	const char *ev, *f, *bracket, *dash, *p;
	size_t n;
	int i, pid;
	bool selected, kcd;

	t->lines++;
	if (line[0] == '#') {
		if (sscanf(line, "# entries-in-buffer/entries-written: %ld/%ld",
			   &t->in_buffer, &t->written) != 2 &&
		    strstr(line, "entries-in-buffer"))
			trace_error(t, "unreadable header: %.60s", line);
		return;
	}
	ev = strstr(line, ": mm_compaction_");
	bracket = strstr(line, " [");
	if (!ev || !bracket || bracket > ev)
		return;
	ev += 2;
	f = strchr(ev, ':');
	if (!f)
		return;
	for (i = 0; i < NR_EV; i++)
		if (strlen(evnames[i]) == (size_t)(f - ev) &&
		    !strncmp(ev, evnames[i], f - ev))
			break;
	if (i == NR_EV) {
		trace_error(t, "unknown event %.*s", (int)(f - ev), ev);
		return;
	}
	/* the task: "comm-pid" before the CPU field; comm may hold '-' */
	for (dash = bracket; dash > line && *dash != '-'; dash--)
		;
	pid = atoi(dash + 1);
	for (p = line; p < dash && isspace((unsigned char)*p); p++)
		;
	n = dash - p < (long)sizeof(comm) - 1 ? (size_t)(dash - p) : sizeof(comm) - 1;
	memcpy(comm, p, n);
	comm[n] = '\0';
	kcd = !strncmp(comm, "kcompactd", 9);
	selected = whose == MINE ? pid == getpid() : kcd;
	one_event(t, i, pid, selected, kcd, f + 1);
}

/* Stop recording and read the whole trace. */
static void ev_trace_read(struct trace_sum *t, enum whose whose)
{
	char path[256], line[1024];
	FILE *f;
	int i;

	ev_trace_stop();
	memset(t, 0, sizeof(*t));
	t->in_buffer = -1;
	t->written = -1;
	inst_path(path, sizeof(path), "trace");
	f = fopen(path, "r");
	if (!f)
		ksft_exit_fail_msg("%s: %s\n", path, strerror(errno));
	while (fgets(line, sizeof(line), f))
		one_line(t, line, whose);
	fclose(f);
	if (t->in_buffer != t->written)
		trace_error(t, "the trace lost events: %ld of %ld in the buffer",
			    t->in_buffer, t->written);
	for (i = 0; i < t->nr_tasks; i++)
		if (t->open_zone[i] >= 0)
			trace_error(t, "task %d: begin without end in zone %d",
				    t->task[i], t->open_zone[i]);
}

static void trace_show(const char *phase, const struct trace_sum *t)
{
	char buf[1024];
	size_t len = 0;
	int i;

	for (i = 0; i < NR_EV; i++)
		if (t->n[i])
			len += snprintf(buf + len, len < sizeof(buf) ? sizeof(buf) - len : 0,
					" %s %lu/%lu", evnames[i] + strlen("mm_compaction_"),
					t->sel[i], t->n[i]);
	ksft_print_msg("%s trace (selected/all):%s\n", phase, len ? buf : " empty");
	len = 0;
	for (i = 0; i < NR_STATUS; i++)
		if (t->ends[i])
			len += snprintf(buf + len, len < sizeof(buf) ? sizeof(buf) - len : 0,
					" %s %lu", snames[i], t->ends[i]);
	if (t->pairs)
		ksft_print_msg("%s: %lu begin/end pairs, ends:%s\n", phase, t->pairs, buf);
	for (i = 0; i < t->nr_runs; i++)
		ksft_print_msg("%s: run %s\n", phase, t->runs[i]);
	if (t->errors)
		ksft_print_msg("%s: %d trace errors, first: %s\n", phase, t->errors, t->error);
}

/* Every event in @need seen from the selected tasks: 0, else names one missing. */
static const char *missing_event(const struct trace_sum *t, unsigned int need)
{
	int i;

	for (i = 0; i < NR_EV; i++)
		if ((need & BIT(i)) && !t->sel[i])
			return evnames[i];
	return NULL;
}

/* === Layout === */

struct region {
	char *mem;
	size_t len;
};

static struct region regions[MAX_REGIONS];
static int nr_regions;

static char *new_region(size_t len, int advice)
{
	char *mem = map_2m(len, advice);

	if (!mem)
		ksft_exit_fail_msg("mmap of %zu MiB: %s\n", len >> 20, strerror(errno));
	if (nr_regions == MAX_REGIONS)
		ksft_exit_fail_msg("too many regions\n");
	regions[nr_regions].mem = mem;
	regions[nr_regions].len = len;
	nr_regions++;
	return mem;
}

static bool kept(unsigned long i, void *arg)
{
	(void)arg;
	return i % KEEP_EVERY == 0;
}

static char *frag_mem;
static unsigned long frag_pages;

static void fragment(long memfree_kb)
{
	unsigned long blocks = (unsigned long)memfree_kb * 1024 / 100 * SHARE_PERCENT / BLOCK_2M;
	unsigned long i;

	frag_pages = blocks * PAGES_PER_BLOCK;
	frag_mem = new_region(blocks * BLOCK_2M, MADV_NOHUGEPAGE);
	for (i = 0; i < frag_pages; i++)
		frag_mem[i * PAGE_4K] = 1;
	if (punch(frag_mem, frag_pages, kept, NULL) < 0)
		ksft_exit_fail_msg("madvise(MADV_DONTNEED): %s\n", strerror(errno));
}

static void set_knob(const char *path, const char *val)
{
	int ret = knob_write(path, val);

	if (ret)
		ksft_exit_fail_msg("writing %s to %s: %s\n", val, path, strerror(-ret));
}

/* Fault one 2 MiB extent; true if a huge page backs it (thp_fault_alloc moved). */
static bool fault_huge(char *extent)
{
	unsigned long before, after;

	if (vmstat_get("thp_fault_alloc", &before))
		ksft_exit_fail_msg("/proc/vmstat has no thp_fault_alloc\n");
	extent[0] = 1;
	return !vmstat_get("thp_fault_alloc", &after) && after > before;
}

/* Memory of [@mem, @mem + @len) from node @nid only (none: -1). */
static void bind_node(char *mem, size_t len, int nid)
{
	int err;

	if (nid < 0)
		return;
	err = node_bind(mem, len, nid);
	if (err)
		ksft_exit_fail_msg("mbind to node %d: %s\n", nid, strerror(-err));
}

/* The nodes with memory (a compact file), or { -1 } without NUMA. */
static int mem_nodes(int *nodes)
{
	int nn = node_compact_files(nodes, MAX_NODES);

	if (nn <= 0) {
		nodes[0] = -1;
		nn = 1;
	}
	return nn;
}

/*
 * With defrag=never, fault huge pages bound to each node in turn
 * (mbind(MPOL_BIND)) until one is not huge (that extent is given back):
 * the free 2 MiB blocks are used up.  At most @max_blocks a node, and
 * never below NODE_FLOOR_KB of free memory on the node: a bound fault
 * that gets no huge page takes a 4 KiB page of that node, or the OOM
 * killer's help.  The number of huge pages taken.
 */
static long fill_free_blocks(size_t max_blocks)
{
	int nodes[MAX_NODES], nn = mem_nodes(nodes), i;
	long huge = 0;

	set_knob(THP_DEFRAG, "never");
	for (i = 0; i < nn; i++) {
		char *mem = new_region(max_blocks * BLOCK_2M, MADV_HUGEPAGE);
		size_t next = 0;
		long got = 0;

		bind_node(mem, max_blocks * BLOCK_2M, nodes[i]);
		while (next < max_blocks) {
			char *e = mem + next++ * BLOCK_2M;

			if (nodes[i] >= 0 && node_free_kb(nodes[i]) < NODE_FLOOR_KB) {
				ksft_print_msg("filler: node %d has little free memory left\n",
					       nodes[i]);
				break;
			}
			if (!fault_huge(e)) {
				ksft_print_msg("filler: node %d gave %ld huge pages, then a page of node %d\n",
					       nodes[i], got, page_node(e));
				madvise(e, BLOCK_2M, MADV_DONTNEED);
				break;
			}
			got++;
		}
		huge += got;
		madvise(mem, max_blocks * BLOCK_2M, MADV_NOHUGEPAGE);	/* for khugepaged */
	}
	return huge;
}

static void lock_all(bool lock)
{
	int i;

	for (i = 0; i < nr_regions; i++) {
		int ret = lock ? mlock2(regions[i].mem, regions[i].len, MLOCK_ONFAULT) :
				 munlock(regions[i].mem, regions[i].len);

		if (ret)
			ksft_exit_fail_msg("%s: %s\n", lock ? "mlock2" : "munlock",
					   strerror(errno));
	}
}

/* === Phases === */

#define ALL_V		((1U << NR_V) - 1)
#define DAEMON_V	((1U << V_DWAKE) | (1U << V_DMSCAN) | (1U << V_DFSCAN))
#define STALL_V		((1U << V_STALL) | (1U << V_SUCCESS) | (1U << V_FAIL))

static void phase_quiet(void)
{
	struct snap a, b;
	struct trace_sum t;
	char buf[512];

	sleep(1);		/* kcompactd sees proactiveness 0 and sleeps */
	ev_trace_start();
	snap(&a);
#ifdef BREAK_QUIET_NOISE
	set_knob(VM_PROACTIVENESS, "100");
	sleep(1);
	set_knob(VM_PROACTIVENESS, "0");
	usleep((QUIET_S - 1) * 1e6);
#else
	usleep(QUIET_S * 1e6);
#endif
	snap(&b);
	ev_trace_read(&t, MINE);
	moved_list(&a, &b, ALL_V & ~(1U << V_MIGRATED), buf, sizeof(buf));
	ksft_test_result(!strcmp(buf, " none"),
			 "quiet %.0f s, proactiveness 0: compaction counters moved:%s\n",
			 QUIET_S, buf);
	trace_show("quiet", &t);
	ksft_test_result(!t.n[E_BEGIN] && !t.others && !t.sel[E_FINISHED] && !t.errors &&
			 t.written == 0,
			 "quiet: %ld compaction events traced\n", t.written);
}

static void phase_direct(void)
{
	struct snap a, b, n0, c;
	struct trace_sum t;
	unsigned long stall, sf;
	const unsigned int need = BIT(E_TRY) | BIT(E_SUITABLE) | BIT(E_BEGIN) |
		BIT(E_END) | BIT(E_ISO_MIGRATE) | BIT(E_FAST_ISO_FREE) |
		BIT(E_MIGRATEPAGES) | BIT(E_FINISHED) | BIT(E_DEFER_RESET);
	int nodes[MAX_NODES], nn = mem_nodes(nodes), n, i, huge = 0, faults = 0;
	int per_node = DIRECT_FAULTS / nn > 2 ? DIRECT_FAULTS / nn : 2;
	const int max = per_node + DEFER_WINDOW;
	char done[256] = "";
	size_t len = 0;
	const char *miss;
	bool ok, agree, scan_agree, every_node = true;

	set_knob(THP_DEFRAG, "always");
#ifdef BREAK_DEFRAG_NEVER
	set_knob(THP_DEFRAG, "never");
#endif
	ev_trace_start();
	snap(&a);
	/*
	 * Faults bound to each node in turn, on until one compacted with
	 * success there: an earlier test may have left the zone backed off (a
	 * window at most), and the success ends the backoff of the zone, which
	 * the kcompactd phase needs.
	 */
	for (n = 0; n < nn; n++) {
		char *mem = new_region(max * BLOCK_2M, MADV_HUGEPAGE);

		bind_node(mem, max * BLOCK_2M, nodes[n]);
		snap(&n0);
		for (i = 0; i < max; i++) {
			huge += fault_huge(mem + i * BLOCK_2M);
			faults++;
			snap(&c);
			if (i + 1 >= per_node && moved(&n0, &c, V_SUCCESS))
				break;
		}
		if (i == max)
			every_node = false;
		len += snprintf(done + len, len < sizeof(done) ? sizeof(done) - len : 0,
				" node %d: %s after %d", nodes[n],
				i == max ? "no success" : "success", i < max ? i + 1 : max);
		madvise(mem, max * BLOCK_2M, MADV_NOHUGEPAGE);	/* for khugepaged */
	}
	snap(&b);
	ev_trace_read(&t, MINE);
	ksft_print_msg("direct:%s\n", done);
	stall = moved(&a, &b, V_STALL);
	sf = moved(&a, &b, V_SUCCESS) + moved(&a, &b, V_FAIL);
	ok = every_node && stall && sf == stall && moved(&a, &b, V_SUCCESS) &&
	     moved(&a, &b, V_MSCAN) && moved(&a, &b, V_FSCAN) &&
	     moved(&a, &b, V_ISOLATED) && moved(&a, &b, V_MIGRATED);
	ksft_test_result(ok, "direct: %d of %d faults huge, success on every node: %s; compact_stall +%lu, success +%lu, fail +%lu; migrate_scanned +%lu, free_scanned +%lu, isolated +%lu, pgmigrate_success +%lu\n",
			 huge, faults, every_node ? "yes" : "no", stall,
			 moved(&a, &b, V_SUCCESS), moved(&a, &b, V_FAIL),
			 moved(&a, &b, V_MSCAN), moved(&a, &b, V_FSCAN),
			 moved(&a, &b, V_ISOLATED), moved(&a, &b, V_MIGRATED));
	trace_show("direct", &t);
	miss = missing_event(&t, need);
	/*
	 * Our faults' scanned pfns in the trace are the counters' moves less
	 * kcompactd's (compact_daemon_*_scanned; kcompactd may be woken in
	 * this phase, and its run may straddle the window): what a fault's
	 * first try reads to price a block counts too.  Pages isolated and
	 * migrated have no kcompactd counter: those sums must agree when no
	 * other task is in the trace.
	 */
	scan_agree = t.sel_m_scanned == moved(&a, &b, V_MSCAN) - moved(&a, &b, V_DMSCAN) &&
		     t.sel_f_scanned == moved(&a, &b, V_FSCAN) - moved(&a, &b, V_DFSCAN);
	agree = t.m_taken + t.f_taken == moved(&a, &b, V_ISOLATED) &&
		t.migrated == moved(&a, &b, V_MIGRATED);
	ok = !miss && !t.errors && t.ends[S_SUCCESS] && (scan_agree || t.strangers) &&
	     (agree || t.others) &&
	     (t.order9 & BIT(E_TRY)) && (t.order9 & BIT(E_SUITABLE));
	ksft_test_result(ok, "direct trace: %s; %lu pairs, %lu ended in success; our scanned pfns in the trace and the counters less kcompactd's%s: migrate %lu and %lu, free %lu and %lu; isolated and migrated%s: %lu and %lu, %lu and %lu (%lu events of other tasks, %lu not kcompactd's); %d errors%s%s\n",
			 miss ? miss : "every event", t.pairs, t.ends[S_SUCCESS],
			 scan_agree ? " agree" :
			 (t.strangers ? " differ (not required)" : " DIFFER"),
			 t.sel_m_scanned, moved(&a, &b, V_MSCAN) - moved(&a, &b, V_DMSCAN),
			 t.sel_f_scanned, moved(&a, &b, V_FSCAN) - moved(&a, &b, V_DFSCAN),
			 agree ? " agree" : (t.others ? " differ (not required)" : " DIFFER"),
			 t.m_taken + t.f_taken, moved(&a, &b, V_ISOLATED), t.migrated,
			 moved(&a, &b, V_MIGRATED), t.others, t.strangers,
			 t.errors, t.errors ? ": " : "", t.error);
}

/* Wait until the kcompactd counters are still for a second, at most @max_s. */
static void kcompactd_settle(double max_s)
{
	struct snap a, b;
	double t0 = now_s(), still = t0;

	snap(&a);
	while (now_s() - still < 1.0 && now_s() - t0 < max_s) {
		usleep(200000);
		snap(&b);
		if (moved(&a, &b, V_DMSCAN) || moved(&a, &b, V_DFSCAN) ||
		    moved(&a, &b, V_DWAKE)) {
			a = b;
			still = now_s();
		}
	}
}

/* Does /proc/zoneinfo say kswapd gave up on some node (node_unreclaimable: 1)? */
static bool some_node_unreclaimable(void)
{
	char line[256];
	bool any = false;
	int v;
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " node_unreclaimable: %d", &v) == 1 && v)
			any = true;
	fclose(f);
	return any;
}

static void phase_kcompactd(void)
{
	static int fds[MAX_PIPES][2];
	const unsigned int need = BIT(E_BEGIN) | BIT(E_END) | BIT(E_ISO_MIGRATE) |
				  BIT(E_FAST_ISO_FREE) | BIT(E_KCD_WAKE);
	struct snap a, b;
	struct trace_sum t;
	char *buf = malloc(PIPE_BYTES), list[512];
	char *mem = new_region(KCD_FAULTS * BLOCK_2M, MADV_HUGEPAGE);
	int npipes = 0, faults = 0, i, max = MAX_PIPES;
	bool ok, unreclaimable = some_node_unreclaimable();
	unsigned long per_run;
	const char *miss;
	long read_max;
	double t0;

	if (!buf)
		ksft_exit_fail_msg("malloc\n");
	memset(buf, 0x5a, PIPE_BYTES);
	set_knob(THP_DEFRAG, "defer");
	ev_trace_start();
	snap(&a);
	t0 = now_s();
	if (BREAK_WAKE) {
		npipes = max;		/* as if every pipe were written */
		faults = KCD_FAULTS;
	}
#ifdef BREAK_KCD_WHOLE_ZONE
	set_knob(VM_COMPACT_MEMORY, "1");	/* what a whole-zone run would move */
#endif
	/*
	 * A step of unmovable allocations and a THP fault that may not stall,
	 * then up to a second for kcompactd to run; again until it scanned:
	 * a kcompactd woken for a zone that an earlier test left backed off
	 * only counts the request (mm_compaction_deferred), and runs once the
	 * window is through.
	 */
	while (now_s() - t0 < WAKE_WAIT_S) {
		double t1;

		for (i = 0; i < PIPE_STEP && npipes < max; i++, npipes++) {
			if (pipe2(fds[npipes], O_NONBLOCK))
				ksft_exit_fail_msg("pipe2: %s\n", strerror(errno));
			fcntl(fds[npipes][1], F_SETPIPE_SZ, PIPE_BYTES);
			if (write(fds[npipes][1], buf, PIPE_BYTES) <= 0)
				ksft_exit_fail_msg("write to a pipe: %s\n", strerror(errno));
		}
		if (faults < KCD_FAULTS)
			mem[faults++ * BLOCK_2M] = 1;
		else if (npipes == max)
			break;
		for (t1 = now_s(); now_s() - t1 < 1.0; usleep(100000)) {
			snap(&b);
			if (moved(&a, &b, V_DWAKE) && moved(&a, &b, V_DMSCAN))
				break;
		}
		if (moved(&a, &b, V_DWAKE) && moved(&a, &b, V_DMSCAN))
			break;
	}
	kcompactd_settle(WAKE_WAIT_S);
	snap(&b);
	ev_trace_read(&t, KCOMPACTD);
	madvise(mem, KCD_FAULTS * BLOCK_2M, MADV_NOHUGEPAGE);	/* for khugepaged */
	for (i = 0; i < npipes && !BREAK_WAKE; i++) {
		close(fds[i][0]);
		close(fds[i][1]);
	}
	free(buf);
	ksft_print_msg("kcompactd: %d MiB in pipes, %d defrag=defer faults, %.1f s; kswapd had given up on a node before: %s\n",
		       BREAK_WAKE ? 0 : npipes, BREAK_WAKE ? 0 : faults,
		       now_s() - t0, unreclaimable ? "yes" : "no");
	moved_list(&a, &b, ALL_V, list, sizeof(list));
	ok = moved(&a, &b, V_DWAKE) && moved(&a, &b, V_DMSCAN) &&
	     moved(&a, &b, V_DFSCAN) && !moved(&a, &b, V_STALL);
	ksft_test_result(ok, "kcompactd: counters moved:%s\n", list);
	trace_show("kcompactd", &t);
	miss = missing_event(&t, need);
	ok = !miss && !t.errors && t.n[E_WAKEUP_KCD] && (t.order9 & BIT(E_KCD_WAKE));
	ksft_test_result(ok, "kcompactd trace: %s; wakeup_kcompactd %lu, kcompactd_wake for order 9: %s; %lu pairs; %d errors%s%s\n",
			 miss ? miss : "every event", t.n[E_WAKEUP_KCD],
			 t.order9 & BIT(E_KCD_WAKE) ? "yes" : "no", t.pairs,
			 t.errors, t.errors ? ": " : "", t.error);
	/* a run for one order-9 page stops when it has one, and reads little */
	read_max = meminfo_kb("MemTotal") / 4 / (PAGE_4K / 1024);
	per_run = t.pairs ? moved(&a, &b, V_DMSCAN) / t.pairs : 0;
	ok = t.ends[S_SUCCESS] && moved(&a, &b, V_MIGRATED) <= MAX_KCD_MIGRATED &&
	     t.pairs && read_max > 0 && per_run <= (unsigned long)read_max;
	ksft_test_result(ok, "kcompactd for order 9: %lu of %lu runs ended in success, %lu pages migrated, at most %lu; %lu pfns read a run, at most %ld\n",
			 t.ends[S_SUCCESS], t.pairs, moved(&a, &b, V_MIGRATED),
			 MAX_KCD_MIGRATED, per_run, read_max);
}

static void phase_defer(void)
{
	const unsigned int need = BIT(E_TRY) | BIT(E_DEFER_COMPACTION) | BIT(E_DEFERRED);
	struct snap a, b, f0, f1;
	struct trace_sum t;
	char *mem;
	long refilled, left = free_2m_blocks(false);
	int i, fell = -1, held_back = 0;
	const char *miss;
	bool ok;

	/* the blocks made since the layout was built, and no more */
	refilled = fill_free_blocks(left > 0 ? left + 8 : 8);
	if (!BREAK_MLOCK) {
		set_knob(VM_UNEVICTABLE_ALLOWED, "0");
		lock_all(true);
	}
	mem = new_region((DEFER_FAULTS + 1) * BLOCK_2M, MADV_HUGEPAGE);
	set_knob(THP_DEFRAG, "always");
	ev_trace_start();
	snap(&a);
	/*
	 * Until a fault falls back although compaction ran in its window (a
	 * fault that falls back because an earlier test left the zones backed
	 * off scans nothing, and counts towards the window's end).
	 */
	for (i = 0; i < DEFER_FAULTS && fell < 0; i++) {
		snap(&f0);
		if (fault_huge(mem + i * BLOCK_2M))
			continue;
		snap(&f1);
		if (moved(&f0, &f1, V_MSCAN) + moved(&f0, &f1, V_FSCAN) &&
		    moved(&f0, &f1, V_FAIL))
			fell = i;
		else
			held_back++;
	}
	if (fell >= 0)		/* one more: held back */
		fault_huge(mem + i++ * BLOCK_2M);
	snap(&b);
	ev_trace_read(&t, MINE);
	madvise(mem, (DEFER_FAULTS + 1) * BLOCK_2M, MADV_NOHUGEPAGE);	/* for khugepaged */
	ksft_print_msg("deferral: %ld more filler huge pages; %d faults, %d fell back without compacting, fault %d after compacting\n",
		       refilled, i, held_back, fell);
	ksft_test_result(fell >= 0,
			 "deferral: a fault fell back after compacting with our pages locked; compact_fail +%lu, compact_success +%lu\n",
			 moved(&a, &b, V_FAIL), moved(&a, &b, V_SUCCESS));
	trace_show("deferral", &t);
	miss = missing_event(&t, need);
	ok = !miss && !t.errors && (t.order9 & BIT(E_DEFER_COMPACTION)) &&
	     (t.order9 & BIT(E_DEFERRED)) && t.last[E_DEFERRED] > t.first[E_DEFER_COMPACTION];
	ksft_test_result(ok, "deferral trace: %s; defer_compaction %lu, then deferred %lu (order 9: %s, %s); %d errors%s%s\n",
			 miss ? miss : "every event", t.sel[E_DEFER_COMPACTION],
			 t.sel[E_DEFERRED],
			 t.order9 & BIT(E_DEFER_COMPACTION) ? "yes" : "no",
			 t.order9 & BIT(E_DEFERRED) ? "yes" : "no",
			 t.errors, t.errors ? ": " : "", t.error);
	if (!BREAK_MLOCK)
		lock_all(false);
	set_knob(VM_UNEVICTABLE_ALLOWED, "1");
}


static void phase_manual(void)
{
	const unsigned int need = BIT(E_BEGIN) | BIT(E_END) | BIT(E_ISO_MIGRATE) |
				  BIT(E_FAST_ISO_FREE) | BIT(E_MIGRATEPAGES) | BIT(E_FINISHED);
	struct snap a, b;
	struct trace_sum t;
	char list[512], path[128];
	const char *miss;
	const char *target = VM_COMPACT_MEMORY;
	int i, ret, per_zone_ok = 1;
	double t0;
	bool ok;

#ifdef BREAK_ONE_NODE
	snprintf(path, sizeof(path), NODE_COMPACT_FMT, 0);
	target = path;
#else
	(void)path;
#endif
	kcompactd_settle(WAKE_WAIT_S);
	ev_trace_start();
	snap(&a);
#ifdef BREAK_EXTRA_MIGRATE
	/* every kept page of R to another node and back: moves no compaction made */
	ksft_print_msg("BREAK_EXTRA_MIGRATE: %ld pages moved away and back\n",
		       move_away_and_back(frag_mem, frag_pages / KEEP_EVERY,
					  KEEP_EVERY * PAGE_4K));
#endif
	t0 = now_s();
	ret = knob_write(target, "1");
	t0 = now_s() - t0;
	snap(&b);
	ev_trace_read(&t, MINE);
	if (ret)
		ksft_print_msg("writing 1 to %s: %s\n", target, strerror(-ret));

	/* 12 */
	moved_list(&a, &b, STALL_V | DAEMON_V, list, sizeof(list));
	ok = !ret && moved(&a, &b, V_MSCAN) && moved(&a, &b, V_FSCAN) &&
	     moved(&a, &b, V_ISOLATED) && moved(&a, &b, V_MIGRATED) &&
	     !strcmp(list, " none");
	ksft_test_result(ok, "manual (%.2f s): migrate_scanned +%lu, free_scanned +%lu, isolated +%lu, pgmigrate_success +%lu; stall and daemon counters moved:%s\n",
			 t0, moved(&a, &b, V_MSCAN), moved(&a, &b, V_FSCAN),
			 moved(&a, &b, V_ISOLATED), moved(&a, &b, V_MIGRATED), list);

	/* 13 */
	trace_show("manual", &t);
	for (i = 0; i < nr_zones; i++) {
		if (t.zone_pairs[i] == 1)
			continue;
		ksft_print_msg("zone %d %s: %lu begin/end pairs, one wanted\n",
			       zones[i].node, zones[i].name, t.zone_pairs[i]);
		per_zone_ok = 0;
	}
	miss = missing_event(&t, need);
	ok = !miss && !t.errors && per_zone_ok && t.pairs == (unsigned long)nr_zones &&
	     t.sync_pairs == t.pairs && t.ends[S_COMPLETE] == t.pairs &&
	     (t.order_m1 & BIT(E_FINISHED)) && !t.sel[E_TRY] && !t.sel[E_SUITABLE];
	ksft_test_result(ok, "manual trace: %s; %lu pairs for %d zones, %lu sync, %lu complete; %d errors%s%s\n",
			 miss ? miss : "every event", t.pairs, nr_zones, t.sync_pairs,
			 t.ends[S_COMPLETE], t.errors, t.errors ? ": " : "", t.error);

	/* 14 */
	ok = !t.others &&
	     t.m_scanned == moved(&a, &b, V_MSCAN) &&
	     t.f_scanned == moved(&a, &b, V_FSCAN) &&
	     t.m_taken + t.f_taken == moved(&a, &b, V_ISOLATED) &&
	     t.migrated == moved(&a, &b, V_MIGRATED);
	ksft_test_result(ok, "manual: trace = counters: migrate scanned %lu = %lu, free scanned %lu = %lu, isolated %lu = %lu, migrated %lu = %lu; %lu events of other tasks\n",
			 t.m_scanned, moved(&a, &b, V_MSCAN), t.f_scanned,
			 moved(&a, &b, V_FSCAN), t.m_taken + t.f_taken,
			 moved(&a, &b, V_ISOLATED), t.migrated,
			 moved(&a, &b, V_MIGRATED), t.others);
}

/* === Main === */

/* What the test changes; each must read as before at the end. */
static const char *const knobs[] = {
	VM_PROACTIVENESS, VM_UNEVICTABLE_ALLOWED, THP_ENABLED, THP_DEFRAG,
	VM_PCP_HIGH_FRACTION, VM_BOOST, KHUGEPAGED_DEFRAG,
};

#define NR_KNOBS	((int)ARRAY_SIZE(knobs))

static void need_file(const char *path, bool ours)
{
	if (access(path, F_OK)) {
		if (ours)
			ksft_exit_fail_msg("%s is absent\n", path);
		ksft_exit_skip("%s is absent\n", path);
	}
}

/* The phases of cases 3-14, in their order (see the top). */
static const struct {
	const char *name;
	void (*run)(void);
} phases[] = {
	{ "quiet", phase_quiet },
	{ "direct", phase_direct },
	{ "kcompactd", phase_kcompactd },
	{ "deferral", phase_defer },
	{ "manual", phase_manual },
};

int main(void)
{
	static const char *const isolated_names[] = { "nr_isolated_anon", "nr_isolated_file" };
	char missing[1024], was[NR_KNOBS][64], now[64];
	unsigned long isolated[2];
	struct snap s;
	long memfree, filled, left;
	double t, t0 = now_s();
	int i, ret;
	bool ok;

	ksft_print_header();
	if (geteuid())
		ksft_exit_skip("needs root\n");
	need_file(THP_ENABLED, false);
	need_file(THP_DEFRAG, false);
		need_file(TRACEFS "/instances", false);
	need_file(VM_COMPACT_MEMORY, true);
	need_file(VM_PROACTIVENESS, true);
	need_file(VM_UNEVICTABLE_ALLOWED, true);
	snap(&s);
	read_zones();
	for (i = 0; i < NR_KNOBS; i++)
		if (!access(knobs[i], F_OK) && knob_read(knobs[i], was[i], sizeof(was[i])))
			ksft_exit_fail_msg("cannot read %s\n", knobs[i]);
	ksft_set_plan(15);

	/* knobs (restored at exit), then our own cleanup for the instance */
	ret = knob_set(VM_PROACTIVENESS, "0");
	if (!ret)
		ret = knob_save(VM_UNEVICTABLE_ALLOWED);
	if (!ret)
		ret = knob_set(THP_ENABLED, "always");
	if (!ret)
		ret = knob_save(THP_DEFRAG);
	if (!ret && !access(VM_PCP_HIGH_FRACTION, F_OK))
		ret = knob_set(VM_PCP_HIGH_FRACTION, PCP_HIGH_FRACTION);
	if (!ret && !access(VM_BOOST, F_OK))
		ret = knob_set(VM_BOOST, "15000");
	if (!ret && !access(KHUGEPAGED_DEFRAG, F_OK))
		ret = knob_set(KHUGEPAGED_DEFRAG, "0");
	if (ret)
		ksft_exit_fail_msg("cannot set the knobs: %s\n", strerror(-ret));
	atexit(cleanup_at_exit);
	signal(SIGTERM, cleanup_on_signal);
	signal(SIGINT, cleanup_on_signal);
	signal(SIGHUP, cleanup_on_signal);

	/* 1 */
	ret = inst_make(missing, sizeof(missing));
	ksft_test_result(!ret && !missing[0], "trace instance %s: %s; events missing:%s\n",
			 inst, ret ? strerror(-ret) : "ok", missing[0] ? missing : " none");
	if (ret)
		ksft_exit_fail_msg("no trace instance\n");

	/* 2 */
	memfree = meminfo_kb("MemFree");
	if (memfree <= 0)
		ksft_exit_fail_msg("no MemFree in /proc/meminfo\n");
	t = now_s();
	fragment(memfree);
	filled = fill_free_blocks(memfree / 2048);
	left = free_2m_blocks(false);
	if (left > 0) {		/* freed meanwhile: one more pass */
		filled += fill_free_blocks(left + 8);
		left = free_2m_blocks(false);
	}
	ksft_print_msg("MemFree %ld MiB; %lu MiB fragmented, %ld huge pages of filler, in %.1f s\n",
		       memfree / 1024, frag_pages / 256, filled, now_s() - t);
	ksft_test_result(left >= 0 && left <= MAX_LEFT,
			 "layout: %ld free 2 MiB blocks left after the filler, at most %d\n",
			 left, MAX_LEFT);

	/* 3-14 */
	for (i = 0; i < (int)ARRAY_SIZE(phases); i++) {
		t = now_s();
		phases[i].run();
		ksft_print_msg("%s phase %.1f s\n", phases[i].name, now_s() - t);
	}

	/* 15 */
	for (i = 0; i < nr_regions; i++)
		munmap(regions[i].mem, regions[i].len);
	kcompactd_settle(WAKE_WAIT_S);
	if (vmstat_read(isolated_names, isolated, 2))
		ksft_exit_fail_msg("/proc/vmstat has no nr_isolated_anon/_file\n");
	ret = knobs_restore();
#ifdef BREAK_LEAK_KNOB
	knob_write(VM_PROACTIVENESS, "1");
#endif
	inst_remove();
	ok = !ret && !inst[0] && !isolated[0] && !isolated[1];
	for (i = 0; i < NR_KNOBS; i++) {
		if (access(knobs[i], F_OK))
			continue;
		if (knob_read(knobs[i], now, sizeof(now)) || strcmp(now, was[i])) {
			ksft_print_msg("%s: \"%s\" before, \"%s\" now\n", knobs[i], was[i], now);
			ok = false;
		}
	}
	ksft_test_result(ok, "pages left isolated: %lu anon, %lu file; knobs restored (%d writes failed); trace instance removed: %s\n",
			 isolated[0], isolated[1], ret, inst[0] ? "no" : "yes");
	ksft_print_msg("total %.1f s\n", now_s() - t0);
	ksft_finished();
}
