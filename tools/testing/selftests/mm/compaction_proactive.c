// SPDX-License-Identifier: GPL-2.0
/*
 * compaction_proactive - does kcompactd compact a fragmented node on its
 * own when vm.compaction_proactiveness asks it to, stay idle when it is 0,
 * and back off instead of spinning when it cannot lower the score?
 *
 * The engine's rule (mm/compaction.c, mm/compaction-policy.c): a node's
 * score is the size-weighted sum over its zones of extfrag_for_order(zone,
 * HPAGE_PMD_ORDER), the share of free memory that is not in free blocks of
 * order >= 9.  Proactiveness p gives the band low = max(100 - p, 5),
 * high = min(low + 10, 100).  kcompactd looks at the score every 500 ms (or
 * at once when the knob is written non-zero); above the high mark it
 * compacts each zone of the node until the zone's own score is at or below
 * the low mark or the scanners meet.  A round that did not lower the score
 * makes it sleep 64 periods (32 s).  With p = 0 it sleeps until kswapd
 * asks for an order.  We compute the same scores here from /proc/buddyinfo
 * and /proc/zoneinfo and print them.
 *
 * Scenario A (compacts): proactiveness 0; map 45% of MemFree as private
 * anonymous 4 KiB pages (MADV_NOHUGEPAGE), write every page, free 7 of
 * every 8 (page i stays when i % 8 == 0), as compaction_fragment does:
 *
 *   one 2 MiB block, 512 pages (# used, . free):
 *   written:    ################################################ ...
 *   punched:    #.......#.......#.......#.......#.......#....... ...  64 kept
 *
 *   the node holding the region (1 GiB guest, 2 nodes: node 0, score 91):
 *   punched:          [#.......#.......#.......  region  #.......][rest]
 *   after kcompactd:  [## kept pages ##][ free 2 MiB blocks ............]
 *   (one node of 1 GiB: the free rest is larger, the score ~40)
 *
 * Scenario B (cannot compact): the same layout once more, the kept pages
 * locked with mlock2(MLOCK_ONFAULT) (the holes stay holes) and
 * compact_unevictable_allowed = 0, so nothing in the region may move and
 * the score stays above the high mark whatever kcompactd does.
 *
 * Each case below is one TAP line:
 *   1. layout A fragments: punching formed at most a quarter of the 2 MiB
 *      blocks the freed pages make up, and some node scores above the high
 *      mark of proactiveness 100 (15), so kcompactd has work;
 *   2. with proactiveness 0, compact_daemon_migrate_scanned (/proc/vmstat)
 *      does not move in 3 s: no proactive work when it is off (nothing
 *      else wakes kcompactd here: no memory pressure, so no kswapd);
 *   3. compaction_proactiveness takes "100" (low mark 5, high 15): this
 *      pokes kcompactd at once;
 *   4. within 30 s (the guest runs under QEMU/TCG) the counter moves:
 *      kcompactd scanned (it is added when a zone's run ends, so free
 *      blocks may show up first);
 *   5. within the same 30 s, free order >= 9 memory (in 2 MiB blocks)
 *      grows by at least min(half of the blocks punching left to form,
 *      what reaching the low mark needs).  Half is compaction_fragment's
 *      bound (manual compaction forms 185 of ~190 there); the second term
 *      is what the design promises at most: a zone stops at the low mark,
 *      and the unfragmented rest of the node counts in its score, so on a
 *      node with much free memory elsewhere the low mark can come before
 *      half of the region is compacted (with p = 100 and this layout the
 *      low mark needs nearly all of it, 183 of 191 blocks, and half is
 *      the bound; both are printed);
 *   6. once kcompactd settled (counter still for 2 s, at most 15 s more),
 *      every node's score is at or below the high mark: a node above it
 *      would mean kcompactd gave up on memory it could compact;
 *   7. never spins, settled: over 5 s, each kcompactd's CPU time
 *      (/proc/PID/stat utime + stime) grows by less than 10% of the wall
 *      time, and the counter by at most one pass over every zone (sum of
 *      spanned pages).  A settled kcompactd only computes the score every
 *      500 ms (microseconds: 0.00 s measured); a backed-off one does at
 *      most one round per 32 s, so at most one pass in the window.  The
 *      two bounds catch different failures: a kcompactd that loops without
 *      sleeping burns CPU (a round over a node it cannot change costs
 *      ~6 ms under TCG, so back-to-back rounds take 25% or more), while one
 *      that retries every 500 ms period uses only ~1% CPU but scans ten
 *      passes in 5 s.  10% leaves room for a backed-off round and for the
 *      tick-based accounting (10 ms steps); the productive rounds of case
 *      5 cost ~0.5 s of CPU (printed as "rounds cost");
 *   8. every kept page of A still holds its pattern;
 *   9. layout B: some node scores above the high mark with the kept pages
 *      locked, and unevictable pages may not move;
 *  10. never spins, stuck: poked with 100, kcompactd scans (the counter
 *      moves: it did try), then over 5 s after it went quiet (as in 6)
 *      the bounds of case 7 hold: it backed off;
 *  11. every locked page of B still holds its pattern.
 *
 * Saved and restored at exit and on SIGTERM/SIGINT/SIGHUP:
 * compaction_proactiveness, percpu_pagelist_high_fraction (1000000 while
 * we run, as in compaction_fragment: freed pages must not hide on per-CPU
 * lists, see compaction_util.h) and compact_unevictable_allowed.  Skips
 * (exit 4) without root or when a file it needs is absent.  Takes about
 * 20-30 s in a 1 GiB QEMU/TCG guest.
 *
 * To see it fail: -DBREAK_NO_POKE writes "0" instead of "100" in case 3
 * (cases 4 to 6 fail); -DBREAK_SPIN pokes kcompactd every 20 ms during
 * case 10's window, which is what a kcompactd that never backs off looks
 * like (case 10 fails).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../kselftest.h"
#include "compaction_util.h"

#define SHARE_PERCENT	45	/* of MemFree, for each region */
#define KEEP_EVERY	8	/* keep page i when i % KEEP_EVERY == 0 */
#define SEED_A		0x9a0ac71eULL
#define SEED_B		0x57c4ULL
#define PROACTIVE	"100"
#define LOW_MARK	5	/* cpol_score_marks(100) */
#define HIGH_MARK	15
#define QUIET_S		3.0	/* proactiveness 0: the counter must stay */
#define POLL_S		30.0	/* for kcompactd to start and form blocks */
#define SETTLE_S	2.0	/* the counter still this long: settled */
#define SETTLE_MAX_S	15.0
#define WINDOW_S	5.0	/* never-spin sampling */
#define MAX_CPU_SHARE	0.10
#define STEP_US		250000

#define MAX_ZONES	64
#define MAX_NODES	64
#define MAX_KCOMPACTD	64

/* === Scores, as the engine computes them === */

struct zone_frag {
	int node;
	char name[32];
	unsigned long present, spanned;
	unsigned long free;	/* free pages */
	unsigned long suitable;	/* free pages in blocks of order >= 9 */
};

/* /proc/zoneinfo for sizes, /proc/buddyinfo for free pages: the count. */
static int read_zones(struct zone_frag *z, int max)
{
	char line[512], name[32];
	int n = 0, node, off, i;
	unsigned long v;
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Node %d, zone %31s", &node, name) == 2) {
			if (n == max)
				break;
			memset(&z[n], 0, sizeof(z[n]));
			z[n].node = node;
			snprintf(z[n].name, sizeof(z[n].name), "%s", name);
			n++;
		} else if (n && sscanf(line, " present %lu", &v) == 1) {
			z[n - 1].present = v;
		} else if (n && sscanf(line, " spanned %lu", &v) == 1) {
			z[n - 1].spanned = v;
		}
	}
	fclose(f);

	f = fopen("/proc/buddyinfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p, *end;
		int order;

		if (sscanf(line, "Node %d, zone %31s%n", &node, name, &off) != 2)
			continue;
		for (i = 0; i < n; i++)
			if (z[i].node == node && !strcmp(z[i].name, name))
				break;
		if (i == n)
			continue;
		for (p = line + off, order = 0; ; order++, p = end) {
			v = strtoul(p, &end, 10);
			if (end == p)
				break;
			z[i].free += v << order;
			if (order >= 9)
				z[i].suitable += v << order;
		}
	}
	fclose(f);
	return n;
}

/* extfrag_for_order(zone, 9) */
static unsigned int zone_extfrag(const struct zone_frag *z)
{
	return z->free ? (z->free - z->suitable) * 100 / z->free : 0;
}

/* node_score(): score[nid] for every node, -1 where a node has no memory. */
static int node_scores(const struct zone_frag *z, int nz, int *score)
{
	unsigned long node_pages[MAX_NODES] = { 0 };
	int i, nodes = 0;

	for (i = 0; i < MAX_NODES; i++)
		score[i] = -1;
	for (i = 0; i < nz; i++)
		if (z[i].node >= 0 && z[i].node < MAX_NODES)
			node_pages[z[i].node] += z[i].present;
	for (i = 0; i < nz; i++) {
		int nid = z[i].node;

		if (nid < 0 || nid >= MAX_NODES || !z[i].present)
			continue;
		if (score[nid] < 0)
			score[nid] = 0;
		score[nid] += (unsigned long)zone_extfrag(&z[i]) * z[i].present /
			      node_pages[nid];
		if (nid + 1 > nodes)
			nodes = nid + 1;
	}
	return nodes;
}

/* "node 0: 41, node 1: 3" into @buf; the highest score. */
static int show_scores(char *buf, size_t size)
{
	struct zone_frag z[MAX_ZONES];
	int score[MAX_NODES], nz, nodes, nid, max = -1;
	size_t len = 0;

	buf[0] = '\0';
	nz = read_zones(z, MAX_ZONES);
	if (nz < 0)
		return -1;
	nodes = node_scores(z, nz, score);
	for (nid = 0; nid < nodes; nid++) {
		if (score[nid] < 0)
			continue;
		len += snprintf(buf + len, len < size ? size - len : 0, "%snode %d: %d",
				len ? ", " : "", nid, score[nid]);
		if (score[nid] > max)
			max = score[nid];
	}
	return max;
}

/*
 * The 2 MiB blocks proactive compaction at most has to form: for every zone
 * of a node above the high mark, what takes the zone to the low mark.
 */
static long blocks_to_low_mark(void)
{
	struct zone_frag z[MAX_ZONES];
	int score[MAX_NODES], nz, i;
	long blocks = 0;

	nz = read_zones(z, MAX_ZONES);
	if (nz < 0)
		return -1;
	node_scores(z, nz, score);
	for (i = 0; i < nz; i++) {
		unsigned long target = z[i].free * (100 - LOW_MARK) / 100;

		if (z[i].node < 0 || z[i].node >= MAX_NODES ||
		    score[z[i].node] <= HIGH_MARK || z[i].suitable >= target)
			continue;
		blocks += (target - z[i].suitable + PAGES_PER_BLOCK - 1) /
			  PAGES_PER_BLOCK;
	}
	return blocks;
}

/* Pages in every zone: one pass of the migration scanner over all memory. */
static unsigned long all_spanned(void)
{
	struct zone_frag z[MAX_ZONES];
	unsigned long sum = 0;
	int nz, i;

	nz = read_zones(z, MAX_ZONES);
	for (i = 0; i < nz; i++)
		sum += z[i].spanned;
	return sum;
}

/* === kcompactd threads === */

struct kcd {
	int pid;
	char comm[32];
};

static struct kcd kcd[MAX_KCOMPACTD];
static int nr_kcd;

/* Every kernel thread named kcompactdN, from /proc/PID/comm. */
static void find_kcompactd(void)
{
	char path[300], comm[32];	/* d_name is up to 255 bytes */
	struct dirent *d;
	DIR *dir = opendir("/proc");

	if (!dir)
		return;
	while ((d = readdir(dir)) && nr_kcd < MAX_KCOMPACTD) {
		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", d->d_name);
		if (knob_read(path, comm, sizeof(comm)))
			continue;
		if (strncmp(comm, "kcompactd", 9) || !isdigit((unsigned char)comm[9]))
			continue;
		kcd[nr_kcd].pid = atoi(d->d_name);
		snprintf(kcd[nr_kcd].comm, sizeof(kcd[0].comm), "%s", comm);
		nr_kcd++;
	}
	closedir(dir);
}

/* utime + stime of @pid in seconds; -1 if unreadable. */
static double cpu_s(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (knob_read(path, buf, sizeof(buf)))
		return -1;
	p = strrchr(buf, ')');	/* comm may hold spaces */
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			 &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / sysconf(_SC_CLK_TCK);
}

static void cpu_all(double *t)
{
	int i;

	for (i = 0; i < nr_kcd; i++)
		t[i] = cpu_s(kcd[i].pid);
}

/* kcompactd's CPU time between two samples, summed over the threads. */
static double cpu_sum(const double *t0, const double *t1)
{
	double sum = 0;
	int i;

	for (i = 0; i < nr_kcd; i++)
		sum += t1[i] - t0[i];
	return sum;
}

/* === Counters and layouts === */

static unsigned long scanned(void)
{
	unsigned long v = 0;

	if (vmstat_get("compact_daemon_migrate_scanned", &v))
		ksft_exit_fail_msg("compact_daemon_migrate_scanned vanished\n");
	return v;
}

static long blocks_now(void)
{
	long b = free_2m_blocks(false);

	if (b < 0)
		ksft_exit_fail_msg("/proc/buddyinfo unreadable\n");
	return b;
}

static void set_knob(const char *path, const char *val)
{
	int ret = knob_write(path, val);

	if (ret)
		ksft_exit_fail_msg("writing %s to %s: %s\n", val, path, strerror(-ret));
}

static bool kept(unsigned long i, void *arg)
{
	(void)arg;
	return i % KEEP_EVERY == 0;
}

struct region {
	char *mem;
	unsigned long blocks, npages;
	uint64_t seed;
	long filled, punched;	/* free 2 MiB blocks after writing, after punching */
};

/* Map, write (kept pages get their pattern), punch the rest. */
static void build(struct region *r, long memfree_kb, uint64_t seed)
{
	unsigned long i;
	double t = now_s();

	r->seed = seed;
	r->blocks = (unsigned long)memfree_kb * 1024 / 100 * SHARE_PERCENT / BLOCK_2M;
	r->npages = r->blocks * PAGES_PER_BLOCK;
	r->mem = map_2m(r->blocks * BLOCK_2M, MADV_NOHUGEPAGE);
	if (!r->mem)
		ksft_exit_fail_msg("mmap of %lu MiB: %s\n", r->blocks * 2, strerror(errno));
	for (i = 0; i < r->npages; i++) {
		if (kept(i, NULL))
			fill_page(r->mem + i * PAGE_4K, seed, i);
		else
			r->mem[i * PAGE_4K] = 1;
	}
	r->filled = blocks_now();
	if (punch(r->mem, r->npages, kept, NULL) < 0)
		ksft_exit_fail_msg("madvise(MADV_DONTNEED): %s\n", strerror(errno));
	r->punched = blocks_now();
	ksft_print_msg("region of %lu MiB (%lu blocks of 2 MiB) built in %.1f s; free 2 MiB blocks %ld written, %ld punched\n",
		       r->blocks * 2, r->blocks, now_s() - t, r->filled, r->punched);
}

/* The number of kept pages that lost their pattern; names the first. */
static unsigned long verify(struct region *r, unsigned long *nkept)
{
	unsigned long i, bad = 0;
	long off;

	*nkept = 0;
	for (i = 0; i < r->npages; i += KEEP_EVERY) {
		(*nkept)++;
		off = check_page(r->mem + i * PAGE_4K, r->seed, i);
		if (off < 0)
			continue;
		if (!bad)
			ksft_print_msg("page %lu of the region differs at byte %ld\n", i, off);
		bad++;
	}
	return bad;
}

/*
 * Wait until the counter has not moved for SETTLE_S, at most SETTLE_MAX_S.
 * The seconds waited, negative if it never settled.
 */
static double settle(void)
{
	double t0 = now_s(), still = t0;
	unsigned long s = scanned(), s1;

	while (now_s() - still < SETTLE_S) {
		if (now_s() - t0 > SETTLE_MAX_S)
			return -(now_s() - t0);
		usleep(STEP_US);
		s1 = scanned();
		if (s1 != s) {
			s = s1;
			still = now_s();
		}
	}
	return now_s() - t0;
}

/*
 * Sample kcompactd over WINDOW_S: true if every thread used less than
 * MAX_CPU_SHARE of the wall time and the counter grew by at most one pass
 * over all zones.  @spin pokes kcompactd all along (BREAK_SPIN).
 */
static bool quiet_window(const char *what, bool spin)
{
	double c0[MAX_KCOMPACTD], c1[MAX_KCOMPACTD], t0, wall, worst = 0;
	unsigned long s0, s1, pass = all_spanned();
	char buf[256];
	size_t len = 0;
	int i;

	cpu_all(c0);
	s0 = scanned();
	t0 = now_s();
	while (now_s() - t0 < WINDOW_S) {
		if (spin) {
			knob_write(VM_PROACTIVENESS, PROACTIVE);
			usleep(20000);
		} else {
			usleep(STEP_US);
		}
	}
	cpu_all(c1);
	s1 = scanned();
	wall = now_s() - t0;
	buf[0] = '\0';
	for (i = 0; i < nr_kcd; i++) {
		double d = c1[i] - c0[i];

		if (c0[i] < 0 || c1[i] < 0)
			d = wall;	/* the thread went away: count it as failing */
		len += snprintf(buf + len, len < sizeof(buf) ? sizeof(buf) - len : 0,
				"%s%s %.2f s", i ? ", " : "", kcd[i].comm, d);
		if (d > worst)
			worst = d;
	}
	ksft_print_msg("%s: over %.1f s kcompactd used %s of CPU (%.0f%% at most, limit %.0f%%); scanned %lu (one pass: %lu)\n",
		       what, wall, buf, 100 * worst / wall, 100 * MAX_CPU_SHARE,
		       s1 - s0, pass);
	return worst < MAX_CPU_SHARE * wall && s1 - s0 <= pass;
}

static void need_file(const char *path)
{
	if (access(path, F_OK))
		ksft_exit_skip("%s is absent\n", path);
}

int main(void)
{
	double t0 = now_s(), t, t_poke, t_moved = -1, t_formed = -1, settled;
	double c0[MAX_KCOMPACTD], c1[MAX_KCOMPACTD];
	unsigned long s0, s1, nkept, bad, spanned;
	long memfree, potential, formed_by_punch, left, to_low, need, grown = 0;
	struct region a, b;
	const char *poke = PROACTIVE;
	char sc[256];
	int top, ret;

	ksft_print_header();
	if (geteuid())
		ksft_exit_skip("needs root\n");
	need_file(VM_PROACTIVENESS);
	need_file(VM_UNEVICTABLE_ALLOWED);
	need_file("/proc/buddyinfo");
	need_file("/proc/zoneinfo");
	if (vmstat_get("compact_daemon_migrate_scanned", &s0))
		ksft_exit_skip("/proc/vmstat has no compact_daemon_migrate_scanned\n");
	find_kcompactd();
	if (!nr_kcd || cpu_s(kcd[0].pid) < 0)
		ksft_exit_skip("no kcompactd thread found in /proc\n");
	memfree = meminfo_kb("MemFree");
	if (memfree <= 0)
		ksft_exit_skip("no MemFree in /proc/meminfo\n");
	spanned = all_spanned();
	ksft_set_plan(11);
	ksft_print_msg("%d kcompactd thread(s), first %s (pid %d); %lu pages in all zones\n",
		       nr_kcd, kcd[0].comm, kcd[0].pid, spanned);

	if (knob_save(VM_PROACTIVENESS) || knob_save(VM_UNEVICTABLE_ALLOWED))
		ksft_exit_fail_msg("cannot save the knobs\n");
	if (!access(VM_PCP_HIGH_FRACTION, F_OK) &&
	    (knob_save(VM_PCP_HIGH_FRACTION) ||
	     knob_write(VM_PCP_HIGH_FRACTION, PCP_HIGH_FRACTION)))
		ksft_exit_fail_msg("cannot set %s\n", VM_PCP_HIGH_FRACTION);
	set_knob(VM_PROACTIVENESS, "0");

	/* === Scenario A === */
	build(&a, memfree, SEED_A);

	/* 1: few free blocks, work for kcompactd */
	potential = a.blocks * (KEEP_EVERY - 1) / KEEP_EVERY;
	formed_by_punch = a.punched - a.filled;
	top = show_scores(sc, sizeof(sc));
	ksft_test_result(formed_by_punch <= potential / 4 && top > HIGH_MARK,
			 "layout fragments: punching freed %ld blocks' worth, formed %ld; scores %s (high mark %d)\n",
			 potential, formed_by_punch, sc, HIGH_MARK);

	/* 2: proactiveness 0: kcompactd does nothing */
	s0 = scanned();
	cpu_all(c0);
	sleep(QUIET_S);
	s1 = scanned();
	cpu_all(c1);
	ksft_test_result(s1 == s0,
			 "proactiveness 0: compact_daemon_migrate_scanned moved by %lu in %.0f s (kcompactd CPU %.2f s)\n",
			 s1 - s0, QUIET_S, cpu_sum(c0, c1));

	/* 3: poke */
	left = potential - (formed_by_punch > 0 ? formed_by_punch : 0);
	to_low = blocks_to_low_mark();
	need = left / 2 < to_low ? left / 2 : to_low;
	if (need < 1)
		need = 1;
#ifdef BREAK_NO_POKE
	poke = "0";
#endif
	s0 = scanned();
	cpu_all(c0);
	t_poke = now_s();
	ret = knob_write(VM_PROACTIVENESS, poke);
	ksft_test_result(!ret, "compaction_proactiveness takes \"%s\" (%s)\n", poke,
			 ret ? strerror(-ret) : "ok");

	/* 4, 5: kcompactd starts and forms blocks */
	while ((t = now_s() - t_poke) < POLL_S) {
		s1 = scanned();
		grown = blocks_now() - a.punched;
		if (t_moved < 0 && s1 != s0)
			t_moved = t;
		if (t_formed < 0 && grown >= need)
			t_formed = t;
		if (t_moved >= 0 && t_formed >= 0)
			break;
		usleep(STEP_US);
	}
	s1 = scanned();
	ksft_test_result(t_moved >= 0,
			 "kcompactd scanned: compact_daemon_migrate_scanned moved by %lu, %s after %.1f s\n",
			 s1 - s0, t_moved >= 0 ? "first" : "not even",
			 t_moved >= 0 ? t_moved : now_s() - t_poke);
	ksft_test_result(t_formed >= 0,
			 "free 2 MiB blocks grew by %ld in %.1f s, at least %ld wanted (half of %ld: %ld; to the low mark: %ld)\n",
			 grown, t_formed >= 0 ? t_formed : now_s() - t_poke, need,
			 left, left / 2, to_low);

	/* 6: settled at or below the high mark */
	settled = settle();
	cpu_all(c1);
	grown = blocks_now() - a.punched;
	top = show_scores(sc, sizeof(sc));
	ksft_print_msg("%s %.1f s after the poke: free 2 MiB blocks grew by %ld of %ld; scanned %lu; rounds cost %.2f s of kcompactd CPU\n",
		       settled >= 0 ? "settled" : "still scanning",
		       now_s() - t_poke, grown, left, scanned() - s0, cpu_sum(c0, c1));
	ksft_test_result(settled >= 0 && top >= 0 && top <= HIGH_MARK,
			 "settled with every node's score at or below %d: %s\n",
			 HIGH_MARK, sc);

	/* 7: settled, kcompactd idles */
	ksft_test_result(quiet_window("settled", false),
			 "never spins, settled: kcompactd's CPU and scans stay small over %.0f s\n",
			 WINDOW_S);

	/* 8: contents */
	bad = verify(&a, &nkept);
	ksft_test_result(!bad, "kept pages intact: %lu of %lu bad\n", bad, nkept);
	munmap(a.mem, a.blocks * BLOCK_2M);

	/* === Scenario B === */
	set_knob(VM_PROACTIVENESS, "0");
	memfree = meminfo_kb("MemFree");
	build(&b, memfree, SEED_B);
	if (mlock2(b.mem, b.blocks * BLOCK_2M, MLOCK_ONFAULT))
		ksft_exit_fail_msg("mlock2(MLOCK_ONFAULT): %s\n", strerror(errno));
	set_knob(VM_UNEVICTABLE_ALLOWED, "0");

	/* 9: stuck layout */
	top = show_scores(sc, sizeof(sc));
	ksft_test_result(top > HIGH_MARK,
			 "locked layout: scores %s, some above %d, unevictable pages may not move\n",
			 sc, HIGH_MARK);

	/* 10: kcompactd tries, then backs off */
	s0 = scanned();
	cpu_all(c0);
	t_poke = now_s();
	set_knob(VM_PROACTIVENESS, PROACTIVE);
	t_moved = -1;
	while ((t = now_s() - t_poke) < POLL_S) {
		if (scanned() != s0) {
			t_moved = t;
			break;
		}
		usleep(STEP_US);
	}
	settled = t_moved >= 0 ? settle() : -1;
	cpu_all(c1);
	grown = blocks_now() - b.punched;
	top = show_scores(sc, sizeof(sc));
	ksft_print_msg("locked layout: %s %.1f s after the poke, %s %.1f s after it; scanned %lu, CPU %.2f s, free 2 MiB blocks grew by %ld; scores %s\n",
		       t_moved >= 0 ? "first scan" : "no scan", t_moved >= 0 ? t_moved : t,
		       settled >= 0 ? "settled" : "still scanning",
		       now_s() - t_poke, scanned() - s0, cpu_sum(c0, c1), grown, sc);
#ifdef BREAK_SPIN
	ret = quiet_window("locked", true);
#else
	ret = quiet_window("locked", false);
#endif
	ksft_test_result(t_moved >= 0 && ret,
			 "never spins, stuck: kcompactd tried (%s) and backed off\n",
			 t_moved >= 0 ? "scanned" : "never scanned");

	/* 11: contents */
	bad = verify(&b, &nkept);
	ksft_test_result(!bad, "locked pages intact: %lu of %lu bad\n", bad, nkept);
	munmap(b.mem, b.blocks * BLOCK_2M);

	ksft_print_msg("total %.1f s\n", now_s() - t0);
	ksft_finished();
}
