/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the compaction selftests share: the knobs (read, write, save and
 * restore), the counters (/proc/vmstat, /proc/buddyinfo, /proc/meminfo) and
 * the memory layouts (2 MiB-aligned mappings, per-page patterns, punching
 * holes, where a page sits in physical memory).
 *
 * The helpers report errors by return value and never end the program:
 * kselftest.h keeps its pass/fail counters in static variables, one copy per
 * object file, so only the test program itself may report results.
 */
#ifndef COMPACTION_UTIL_H
#define COMPACTION_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PAGE_4K		4096UL
#define BLOCK_2M	(2UL << 20)
#define PAGES_PER_BLOCK	(BLOCK_2M / PAGE_4K)	/* 512: one order-9 block */

#define VM_COMPACT_MEMORY	"/proc/sys/vm/compact_memory"
#define VM_PROACTIVENESS	"/proc/sys/vm/compaction_proactiveness"
#define VM_EXTFRAG_THRESHOLD	"/proc/sys/vm/extfrag_threshold"
#define VM_UNEVICTABLE_ALLOWED	"/proc/sys/vm/compact_unevictable_allowed"
#define VM_PCP_HIGH_FRACTION	"/proc/sys/vm/percpu_pagelist_high_fraction"
#define NODE_COMPACT_FMT	"/sys/devices/system/node/node%d/compact"
#define THP_ENABLED		"/sys/kernel/mm/transparent_hugepage/enabled"
#define THP_DEFRAG		"/sys/kernel/mm/transparent_hugepage/defrag"
#define THP_SHMEM_ENABLED	"/sys/kernel/mm/transparent_hugepage/shmem_enabled"
/* Per-size (mTHP) knobs: printf with the size in kB, e.g. 64 or 2048. */
#define THP_SIZE_ENABLED_FMT	"/sys/kernel/mm/transparent_hugepage/hugepages-%lukB/enabled"
#define THP_SIZE_SHMEM_FMT	"/sys/kernel/mm/transparent_hugepage/hugepages-%lukB/shmem_enabled"

/*
 * Free pages parked on the per-CPU lists are not in the buddy allocator, so
 * a 2 MiB block with one of them cannot merge.  By default a CPU's list
 * may grow to the zone's low watermark shared among the node's CPUs (~7000
 * pages, 27 MiB, in the 1 GiB guest with 2 nodes) and shrinks back by an
 * eighth a second, so right after compaction dozens of evacuated blocks can
 * still miss a page (upstream: 58 to 124 of 190 blocks formed, against 185
 * with small lists).  The tests that count free blocks set the fraction this
 * high, as 'make bench' does: a list then stays at 4 * batch pages.
 */
#define PCP_HIGH_FRACTION	"1000000"

/* === Knobs === */

/* One open(2), one write(2) of @len bytes, close; write(2)'s result, errno kept. */
ssize_t knob_write_raw(const char *path, const void *buf, size_t len);
/* Write the whole string: 0, or -errno (-EIO for a short write). */
int knob_write(const char *path, const char *val);
/* Read the value, trailing newline dropped: 0 or -errno. */
int knob_read(const char *path, char *buf, size_t size);
/* Read a number: 0 or -errno (-EINVAL if the file holds no number). */
int knob_read_long(const char *path, long *val);
/*
 * Remember @path's current value; knobs_restore() (run at exit and on
 * SIGTERM, SIGINT and SIGHUP) writes it back.  For a THP selector such as
 * "always [madvise] never" the bracketed word is what is saved.  0 or -errno.
 */
int knob_save(const char *path);
/* Write every saved value back; the number that could not be restored. */
int knobs_restore(void);
/* knob_save(@path), then knob_write(@path, @val): 0 or -errno. */
int knob_set(const char *path, const char *val);
/* Is @word the selected one of a selector file ("always [madvise] never")? */
bool knob_selected(const char *path, const char *word);

/* === Counters === */

/* A /proc/meminfo field in kB, or -1 if it is not there. */
long meminfo_kb(const char *field);
/* A /proc/vmstat counter: 0, or -1 if it is not there. */
int vmstat_get(const char *name, unsigned long *val);
/*
 * @n /proc/vmstat counters in one pass: @val[i] for @names[i].  The number
 * of names not found (their values are left as they were), or -1.
 */
int vmstat_read(const char *const *names, unsigned long *val, int n);
/*
 * Free memory in whole 2 MiB blocks: sum over zones of n(order) * 2^(order-9)
 * for every order >= 9 in /proc/buddyinfo; zones named DMA are left out when
 * @skip_dma (user pages never come from there).  -1 if unreadable.
 */
long free_2m_blocks(bool skip_dma);
/* The same for node @nid's zones only (-1: every node's). */
long node_free_2m_blocks(int nid, bool skip_dma);
/* The fake or real NUMA nodes that have a compact file: their count. */
int node_compact_files(int *nodes, int max);
/* MemFree of node @nid in kB (its meminfo), or -1. */
long node_free_kb(int nid);
/* Memory of [@mem, @mem + @len) from node @nid only (mbind(MPOL_BIND)): 0 or -errno. */
int node_bind(void *mem, size_t len, int nid);
/* The node of the page at @addr (move_pages(2) without moving), or -1. */
int page_node(void *addr);
/* Monotonic time in seconds. */
double now_s(void);

/* === Memory layouts === */

/* @len bytes of private anonymous memory, 2 MiB-aligned; madvise(@advice) if >= 0. */
char *map_2m(size_t len, int advice);
/* Write page @idx's pattern (derived from @seed and @idx) into all of @page. */
void fill_page(void *page, uint64_t seed, unsigned long idx);
/* -1 if @page holds page @idx's pattern, else the byte offset of the first difference. */
long check_page(const void *page, uint64_t seed, unsigned long idx);
/* A 64-bit checksum (FNV-1a over the words) of one page. */
uint64_t page_csum(const void *page);
/*
 * MADV_DONTNEED every page i of @mem (@npages pages) for which keep(i, arg) is
 * false, one call per run of such pages.  The number of pages freed, or -1.
 */
long punch(char *mem, unsigned long npages,
	   bool (*keep)(unsigned long i, void *arg), void *arg);
/*
 * Physical frame of each of @npages pages from @addr, from /proc/self/pagemap;
 * 0 for a page not present.  0, or -errno.  Needs CAP_SYS_ADMIN to see frames
 * (without it the kernel reports 0 for all).
 */
int page_frames(const void *addr, unsigned long npages, uint64_t *pfn);
/*
 * /proc/kpageflags of each of @n frames (KPF_* bits of
 * <linux/kernel-page-flags.h>, bits 32 and up being the kernel's own, e.g.
 * 33 for mlocked); 0 for a frame of 0.  0, or -errno.  Needs root.
 */
int page_flags(const uint64_t *pfn, unsigned long n, uint64_t *flags);
/*
 * Does [@pfn, @pfn + @npages) hold one whole compound folio of @npages
 * pages (head at @pfn, aligned to @npages, tails after it, and the frame
 * after it no tail of the same folio)?  @npages a power of two > 1.
 * 1 if so, 0 if not, -errno if /proc/kpageflags cannot be read.
 */
int is_whole_folio(uint64_t pfn, unsigned long npages);
/*
 * Move this CPU's per-CPU LRU batches onto the LRU lists (madvise(MADV_COLD)
 * on a page of our own drains them): a folio compaction put back sits in
 * such a batch, without PG_lru, until then.  0, or -errno.
 */
int lru_drain_this_cpu(void);
/*
 * Wait until every kcompactd thread sleeps (state S or I in /proc/PID/stat)
 * at three looks in a row, 100 ms apart, for at most @max_s seconds.  A
 * proactive round started before a test set compaction_proactiveness to 0
 * (writing it non-zero wakes kcompactd at once, as the test before does
 * when it restores the knob) runs on and moves pages under the test.
 * Returns the seconds waited, or -1 if some kcompactd was still busy.
 */
double kcompactd_wait_idle(double max_s);
/*
 * Move @n pages, @stride bytes apart from @mem, to another NUMA node and
 * back with move_pages(2): migrations no compaction asked for (the tests'
 * BREAK_ builds use it to fake an engine that moves pages twice).  The
 * pages moved, or -1 (fewer than 2 nodes, no memory, move_pages failed).
 */
long move_away_and_back(char *mem, unsigned long n, unsigned long stride);
/* Run on one CPU, the one we are on now; its number, or -errno. */
int stay_on_this_cpu(void);
/* A fixed pseudo-random 64-bit mix of @x (splitmix64's finaliser). */
uint64_t mix64(uint64_t x);

/* === Trace events: a tracefs instance of our own === */

#define TRACEFS		"/sys/kernel/tracing"

/* One line of the trace, parsed; absent fields are -100 or empty or 0. */
struct trace_event {
	char name[48];		/* "mm_compaction_begin", ... */
	char comm[24];		/* the task that logged it ... */
	int pid;		/* ... and its pid */
	int order, node, order_failed;
	char zone[16];
	char ret[24];		/* ret= or status= */
	char mode[8];		/* mode=sync|async */
	unsigned long consider, limit;
	unsigned long zone_start, migrate_pfn, free_pfn, zone_end;
	/* isolate_migratepages, isolate_freepages */
	unsigned long range_start, range_end, nr_scanned, nr_taken;
};

struct trace_log {
	struct trace_event *ev;
	unsigned long n;
	unsigned long unparsed;	/* lines that were not an event */
};

/*
 * Create TRACEFS/instances/@name.PID (its own ring buffer, @kb per CPU);
 * it is removed at exit and on SIGTERM/SIGINT/SIGHUP.  0 or -errno.
 */
int trace_start(const char *name, int kb);
/* Enable "system/event" in our instance: 0 or -errno. */
int trace_enable(const char *event);
/* Empty our instance's buffer. */
void trace_clear(void);
/* Everything in our instance's buffer into @log (free with trace_log_free()). */
int trace_read(struct trace_log *log);
void trace_log_free(struct trace_log *log);
/* Disable everything and remove our instance; its path is kept for trace_gone(). */
void trace_stop(void);
/* Is the instance gone (after trace_stop())? */
bool trace_gone(void);
/* Parse one line of a trace file; @e->name is empty if it is no event. */
void trace_parse_line(const char *line, struct trace_event *e);

#endif /* COMPACTION_UTIL_H */
