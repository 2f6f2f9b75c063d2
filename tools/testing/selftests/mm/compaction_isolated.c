// SPDX-License-Identifier: GPL-2.0
/*
 * compaction_isolated - two migrations, each holding pages isolated on the
 * node where the other one allocates, both finish.
 *
 * migrate_pages(2) takes every page of the range it moves off the LRU
 * before it allocates the first target.  A transparent huge page's target
 * is a huge page on the destination node, and when that node has no free
 * 2 MiB block the allocation compacts it directly.  A compactor holds back
 * while too many pages of its node are isolated (more than 1/16 of the
 * node's LRU, for a run that may enter the filesystem) until they go back.
 * Two migrations in opposite directions each put the other's node over
 * that line: a compactor that waited for as long as it takes would have
 * each of them wait for pages the other holds, for ever (only a fatal
 * signal ends it).  Ours gives up after a few throttles; that huge page's
 * target is then not there, and migration splits it and moves its 4 KiB
 * pages instead.
 *
 * The scene (2 nodes with memory; the 1 GiB check guest has ~500 MiB in
 * each):
 *   - task A maps REGION_MIB of huge pages on node 0, task B as much on
 *     node 1, each page written with its own pattern;
 *   - we fill both nodes with 4 KiB pages down to NODE_FLOOR_KB free, give
 *     back every other one and take every free 2 MiB block left as a huge
 *     page: much free memory, no free 2 MiB block, and a LRU small enough
 *     that the pages one migration holds isolated are too many;
 *   - A and B call migrate_pages(2) at once, A from node 0 to node 1, B
 *     from node 1 to node 0.
 * Both must return within DEADLINE_S (then both are killed, which ends any
 * compactor's wait), with their pages on the other node and intact.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest.h"
#include "compaction_util.h"

#define MAX_NODES	64
#define REGION_MIB	64
#define REGION_PAGES	((size_t)REGION_MIB << 20 >> 12)
/*
 * The filler's 4 KiB pages leave each node this much free memory, above
 * the min watermark (22 MiB a node in the check guest, with THP on); its
 * huge pages, taken once every other 4 KiB page is back, never go below
 * it either
 */
#define NODE_FLOOR_KB	(48 << 10)
#define FILL_MIB	1024
/* both migrations are done well within this under KASAN and TCG */
#define DEADLINE_S	60
#define SEED		0x150a7ed
#define NOBODY		65534

/* What a migrating task reports to us. */
struct report {
	long huge;		/* huge pages of its region before moving */
	long not_moved;		/* migrate_pages(2)'s result, -errno */
	double seconds;		/* migrate_pages(2)'s time */
	long on_dest;		/* pages on the destination node after it */
	long bad;		/* pages whose pattern changed */
};

struct mover {
	pid_t pid;
	int from, to;
	int go;			/* we write a byte here: start */
	int out;		/* it writes its reports here */
	struct report r;
};

/* Huge pages backing [@mem, @mem + @len), from /proc/self/smaps. */
static long huge_pages_of(char *mem, size_t len)
{
	unsigned long start, end;
	char line[256];
	long kb = -1;
	int in = 0;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx", &start, &end) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = start <= (unsigned long)mem &&
			     (unsigned long)mem + len <= end;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb < 0 ? -1 : kb / 2048;
}

/* Pages of @n from @mem on node @nid (move_pages(2) without moving). */
static long pages_on(char *mem, size_t n, int nid)
{
	void **addr = calloc(n, sizeof(*addr));
	int *status = calloc(n, sizeof(*status));
	long on = -1;
	size_t i;

	if (addr && status) {
		for (i = 0; i < n; i++)
			addr[i] = mem + i * PAGE_4K;
		if (!syscall(SYS_move_pages, 0, n, addr, NULL, status, 0))
			for (on = 0, i = 0; i < n; i++)
				on += status[i] == nid;
	}
	free(addr);
	free(status);
	return on;
}

/* The migrating task: never returns. */
static void mover_run(struct mover *m, int go, int out)
{
	unsigned long from = 1UL << m->from, to = 1UL << m->to;
	struct report r = { .not_moved = -EINVAL };
	char *mem = map_2m(REGION_PAGES * PAGE_4K, MADV_HUGEPAGE);
	double t0;
	size_t i;
	char c;

	if (!mem || node_bind(mem, REGION_PAGES * PAGE_4K, m->from))
		_exit(2);
	for (i = 0; i < REGION_PAGES; i++)
		fill_page(mem + i * PAGE_4K, SEED + m->from, i);
	r.huge = huge_pages_of(mem, REGION_PAGES * PAGE_4K);
	if (write(out, &r, sizeof(r)) != sizeof(r))
		_exit(2);
	/*
	 * Without privileges migrate_pages(2) moves only the pages we alone
	 * map (MPOL_MF_MOVE): as root it also moves those shared with our
	 * parent since fork() (MPOL_MF_MOVE_ALL), its stack among them, and
	 * on a kernel where the migrations deadlock the parent would wait on
	 * them too (seen), unable to report or to kill us.
	 */
	if (setresgid(NOBODY, NOBODY, NOBODY) || setresuid(NOBODY, NOBODY, NOBODY))
		_exit(2);
	if (read(go, &c, 1) != 1)
		_exit(2);
	t0 = now_s();
	r.not_moved = syscall(SYS_migrate_pages, 0, 64UL, &from, &to);
	if (r.not_moved < 0)
		r.not_moved = -errno;
	r.seconds = now_s() - t0;
	r.on_dest = pages_on(mem, REGION_PAGES, m->to);
	for (i = 0, r.bad = 0; i < REGION_PAGES; i++)
		r.bad += check_page(mem + i * PAGE_4K, SEED + m->from, i) >= 0;
	if (write(out, &r, sizeof(r)) != sizeof(r))
		_exit(2);
	_exit(0);
}

static int mover_start(struct mover *m)
{
	int go[2], out[2];

	if (pipe(go) || pipe(out))
		return -errno;
	m->pid = fork();
	if (m->pid < 0)
		return -errno;
	if (!m->pid) {
		close(go[1]);
		close(out[0]);
		mover_run(m, go[0], out[1]);
	}
	close(go[0]);
	close(out[1]);
	m->go = go[1];
	m->out = out[0];
	return 0;
}

/*
 * Read a report of @m within @timeout_ms: 0; -1 if none came; -2 if the
 * task ended without one.
 */
static int mover_report(struct mover *m, int timeout_ms)
{
	struct pollfd p = { .fd = m->out, .events = POLLIN };

	if (poll(&p, 1, timeout_ms) != 1)
		return -1;
	return read(m->out, &m->r, sizeof(m->r)) == sizeof(m->r) ? 0 : -2;
}

static bool keep_odd(unsigned long i, void *arg)
{
	return i & 1;
}

/*
 * Take node @nid's free 2 MiB blocks as huge pages (defrag=never: no
 * compaction), until a fault is not huge or the node is down to
 * NODE_FLOOR_KB.  The huge pages taken, or -1.
 */
static long take_free_blocks(int nid)
{
	size_t len = (size_t)FILL_MIB << 20, i;
	char *mem = map_2m(len, MADV_HUGEPAGE);
	unsigned long before, after;
	long got = 0;

	if (!mem || node_bind(mem, len, nid))
		return -1;
	for (i = 0; i < len / BLOCK_2M; i++) {
		if (node_free_kb(nid) < NODE_FLOOR_KB ||
		    vmstat_get("thp_fault_alloc", &before))
			break;
		mem[i * BLOCK_2M] = 1;
		if (vmstat_get("thp_fault_alloc", &after) || after == before) {
			madvise(mem + i * BLOCK_2M, BLOCK_2M, MADV_DONTNEED);
			break;
		}
		got++;
	}
	madvise(mem, len, MADV_NOHUGEPAGE);	/* for khugepaged */
	return got;
}

/*
 * Fill node @nid with 4 KiB pages down to NODE_FLOOR_KB free, give back
 * every other one, then take the free 2 MiB blocks left.  The pages
 * filled (4 KiB), or -1.
 */
static long fill_and_punch(int nid, long *huge)
{
	size_t len = (size_t)FILL_MIB << 20, i, n = 0;
	char *mem = map_2m(len, MADV_NOHUGEPAGE);

	if (!mem || node_bind(mem, len, nid))
		return -1;
	for (i = 0; i < len / PAGE_4K; i++, n++) {
		if (i % 256 == 0 && node_free_kb(nid) < NODE_FLOOR_KB)
			break;
		mem[i * PAGE_4K] = 1;
	}
	if (punch(mem, n, keep_odd, NULL) < 0)
		return -1;
	*huge = take_free_blocks(nid);
	return *huge < 0 ? -1 : (long)n;
}

int main(void)
{
	struct mover m[2] = { { .from = 0, .to = 1 }, { .from = 1, .to = 0 } };
	int nodes[MAX_NODES], nn, i, done = 0, ended = 0;
	unsigned long iso[2] = { 0 }, split0 = 0, split1 = 0, peak = 0;
	const char *const names[] = { "nr_isolated_anon", "thp_migration_split" };
	long filled, huge;
	double t0;

	ksft_print_header();
	if (geteuid())
		ksft_exit_skip("needs root\n");
	nn = node_compact_files(nodes, MAX_NODES);
	if (nn < 2 || nodes[0] != 0 || nodes[1] != 1)
		ksft_exit_skip("needs nodes 0 and 1 with memory (%d nodes)\n", nn);
	if (knob_set(THP_ENABLED, "madvise") || knob_set(VM_PROACTIVENESS, "0"))
		ksft_exit_fail_msg("cannot set the THP and proactiveness knobs\n");
	ksft_set_plan(4);

	for (i = 0; i < 2; i++)
		if (mover_start(&m[i]) || mover_report(&m[i], 60000) ||
		    m[i].r.huge < 0)
			ksft_exit_fail_msg("task %d did not map its region\n", i);
	ksft_print_msg("regions: %ld and %ld huge pages of %zu on nodes 0 and 1\n",
		       m[0].r.huge, m[1].r.huge, REGION_PAGES / PAGES_PER_BLOCK);
	if (knob_set(THP_DEFRAG, "never"))
		ksft_exit_fail_msg("cannot set %s\n", THP_DEFRAG);
	for (i = 0; i < 2; i++) {
		filled = fill_and_punch(i, &huge);
		if (filled < 0)
			ksft_exit_fail_msg("cannot fill node %d\n", i);
		ksft_print_msg("node %d: %ld pages filled, %ld huge pages taken, every other 4 KiB page given back; %ld kB free, %ld free 2 MiB blocks\n",
			       i, filled, huge, node_free_kb(i), node_free_2m_blocks(i, false));
	}
	ksft_test_result(m[0].r.huge >= (long)(REGION_PAGES / PAGES_PER_BLOCK / 2) &&
			 m[1].r.huge >= (long)(REGION_PAGES / PAGES_PER_BLOCK / 2),
			 "the scene: at least half of each region in huge pages (%ld, %ld)\n",
			 m[0].r.huge, m[1].r.huge);

	vmstat_read(names + 1, &split0, 1);
	for (i = 0; i < 2; i++)
		if (write(m[i].go, "g", 1) != 1)
			ksft_exit_fail_msg("cannot start task %d\n", i);
	t0 = now_s();
	while (ended < 2 && now_s() - t0 < DEADLINE_S) {
		for (i = 0; i < 2; i++) {
			int ret = m[i].pid > 0 ? mover_report(&m[i], 100) : -1;

			if (ret == -1)
				continue;
			waitpid(m[i].pid, NULL, 0);
			m[i].pid = 0;
			done += !ret;
			ended++;
		}
		if (!vmstat_read(names, iso, 1) && iso[0] > peak)
			peak = iso[0];
	}
	vmstat_read(names + 1, &split1, 1);
	for (i = 0; i < 2; i++)
		if (m[i].pid > 0) {
			kill(m[i].pid, SIGKILL);
			waitpid(m[i].pid, NULL, 0);
		}
	ksft_test_result(done == 2,
			 "both migrations returned within %d s: %.1f s and %.1f s (%d done; isolated pages peaked at %lu; %lu huge pages split to move)\n",
			 DEADLINE_S, m[0].r.seconds, m[1].r.seconds, done, peak,
			 split1 - split0);
	ksft_test_result(done == 2 && !m[0].r.not_moved && !m[1].r.not_moved &&
			 m[0].r.on_dest == (long)REGION_PAGES &&
			 m[1].r.on_dest == (long)REGION_PAGES,
			 "every page moved: %ld and %ld not moved, %ld and %ld of %zu on the other node\n",
			 m[0].r.not_moved, m[1].r.not_moved, m[0].r.on_dest,
			 m[1].r.on_dest, REGION_PAGES);
	ksft_test_result(done == 2 && !m[0].r.bad && !m[1].r.bad,
			 "contents intact: %ld and %ld pages changed\n",
			 m[0].r.bad, m[1].r.bad);
	knobs_restore();
	ksft_finished();
}
