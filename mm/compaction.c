// SPDX-License-Identifier: GPL-2.0
/*
 * Memory compaction: move movable pages out of the way so that free pages
 * merge into large ones.
 */

/**
 * DOC: Overview
 *
 * A compaction run works on one zone with two scanners.  The migrate
 * scanner walks up from the zone's start, a pageblock at a time, and
 * isolates pages that can move.  The free scanner walks down from the
 * zone's end and isolates free pages for them to move into.  Each batch of
 * isolated pages goes to migrate_pages(), which asks us for a target page
 * (compaction_target()) and gives back the ones it did not use.  The run
 * ends when the scanners meet, or earlier when what it was asked for is
 * there: a free page of the order an allocation needs (possibly caught on
 * the way by the allocator's capture hook), or a fragmentation score low
 * enough for proactive compaction.
 *
 * Decisions live in mm/compaction-policy.c as pure functions: deferral
 * after failures, suitability, which blocks to empty and which to fill,
 * isolation throttling, the proactive score band.  This file holds the
 * mechanics: reading the zone, taking locks, isolating pages, counting.
 *
 * Callers: the allocator's slow path (try_to_compact_pages()), kcompactd
 * (one per node, woken by kswapd or by its own timer for proactive work),
 * /proc/sys/vm/compact_memory and /sys/devices/system/node/nodeN/compact,
 * and alloc_contig_range(), which uses only the scanners.
 *
 * Documentation/mm/compaction.rst describes the design and interfaces.
 */
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/cpuset.h>
#include <linux/freezer.h>
#include <linux/hugetlb.h>
#include <linux/kthread.h>
#include <linux/migrate.h>
#include <linux/mm_inline.h>
#include <linux/node.h>
#include <linux/page-isolation.h>
#include <linux/psi.h>
#include <linux/swap.h>
#include <linux/sysctl.h>
#include <linux/vmstat.h>

#include "internal.h"
#include "compaction-policy.h"

#define CREATE_TRACE_POINTS
#include <trace/events/compaction.h>

/* compact_isolated counts alloc_contig_range()'s pages too, if it exists. */
static inline void count_compact_isolated(unsigned long nr)
{
#ifdef CONFIG_COMPACTION
	count_vm_events(COMPACTISOLATED, nr);
#endif
}

/* Pages isolated for migration in one batch. */
#define COMPACT_BATCH		COMPACT_CLUSTER_MAX

/* The scanners look for a reason to stop every this many pfns. */
#define COMPACT_CHECK_EVERY	SWAP_CLUSTER_MAX

/*
 * Throttles a synchronous run waits, with too many pages of the node
 * isolated, before it gives up (each lasts until pages go back or HZ/50).
 */
#define COMPACT_ISOLATION_WAITS	5

#if defined CONFIG_COMPACTION || defined CONFIG_CMA

/* ===================================================================== */
/* Small helpers on a run                                                */
/* ===================================================================== */

static bool run_is_async(const struct compact_control *cc)
{
	return cc->req.mode == MIGRATE_ASYNC;
}

/*
 * May the run block on a folio (its lock, writeback, a dirty folio's
 * filesystem)?  Only a fully synchronous run: manual compaction and the
 * last direct priority.  Sync-light runs (kcompactd, proactive, the middle
 * direct priority) may wait in migrate_pages() for a folio they isolated,
 * but isolate only what moves without blocking, as async runs do: a folio
 * under writeback or a dirty one whose mapping cannot migrate it itself
 * is bound to fail and would only be put back at the head of its LRU.
 */
static bool run_may_block(const struct compact_control *cc)
{
	return cc->req.mode == MIGRATE_SYNC;
}

static bool run_is_contig(const struct compact_control *cc)
{
	return cc->req.reason == COMPACT_REASON_CONTIG;
}

/*
 * Is the part of @pfn's pageblock that lies in @zone all valid memory of
 * @zone?  A zone need not start or end on a pageblock boundary.
 */
static bool block_in_zone(struct zone *zone, unsigned long pfn)
{
	unsigned long start = max(pageblock_start_pfn(pfn), zone->zone_start_pfn);
	unsigned long end = min(pageblock_end_pfn(pfn), zone_end_pfn(zone));

	return pageblock_pfn_to_page(start, end, zone);
}

/*
 * The scanners step over pageblocks they may not use (the wrong kind, a
 * skip hint, a hole) without looking at a page; they look for a reason to
 * stop every this many such blocks, so that a sweep over a large zone
 * still reschedules and notices a fatal signal.
 */
#define COMPACT_SWEEP_CHECK_EVERY	32

#ifdef CONFIG_SPARSEMEM
/*
 * The first pfn in [@pfn, @limit) whose memory section is online, or
 * @limit: a scanner crosses an offline section (hot-removed memory) in one
 * step instead of a pageblock at a time.
 */
static unsigned long online_pfn_up(unsigned long pfn, unsigned long limit)
{
	unsigned long nr = pfn_to_section_nr(pfn);

	if (online_section_nr(nr))
		return pfn;
	while (++nr <= __highest_present_section_nr &&
	       section_nr_to_pfn(nr) < limit)
		if (online_section_nr(nr))
			return section_nr_to_pfn(nr);
	return limit;
}

/* The same downwards: one past the last online pfn below @pfn, or @limit. */
static unsigned long online_pfn_down(unsigned long pfn, unsigned long limit)
{
	unsigned long nr;

	if (pfn <= limit)
		return limit;
	nr = pfn_to_section_nr(pfn - 1);
	if (online_section_nr(nr))
		return pfn;
	while (nr-- > 0 && section_nr_to_pfn(nr + 1) > limit)
		if (online_section_nr(nr))
			return max(section_nr_to_pfn(nr + 1), limit);
	return limit;
}
#else
static unsigned long online_pfn_up(unsigned long pfn, unsigned long limit)
{
	return pfn;
}

static unsigned long online_pfn_down(unsigned long pfn, unsigned long limit)
{
	return pfn;
}
#endif

/*
 * Should a scanner stop?  Called every COMPACT_CHECK_EVERY pfns, and every
 * COMPACT_SWEEP_CHECK_EVERY pageblocks stepped over, with no lock held.
 * An asynchronous run gives up the CPU by giving up the run;
 * a synchronous one reschedules and goes on.
 */
static bool run_should_stop(struct compact_control *cc)
{
	if (fatal_signal_pending(current)) {
		cc->stats.contended = true;
		return true;
	}
	if (need_resched()) {
		if (run_is_async(cc)) {
			cc->stats.contended = true;
			return true;
		}
		cond_resched();
	}
	return false;
}

/* ===================================================================== */
/* Isolated free pages                                                   */
/* ===================================================================== */

static void free_lists_init(struct compact_control *cc)
{
	int order;

	for (order = 0; order < NR_PAGE_ORDERS; order++)
		INIT_LIST_HEAD(&cc->freepages[order]);
	cc->nr_freepages = 0;
}

/* Make an isolated free page look allocated, as the free path expects. */
static struct page *free_page_take_noprof(struct page *page, unsigned int order)
{
	post_alloc_hook(page, order, __GFP_MOVABLE);
	set_page_refcounted(page);
	return page;
}

#define free_page_take(...)	alloc_hooks(free_page_take_noprof(__VA_ARGS__))

/**
 * free_lists_release() - give a run's unused free pages back to the buddy.
 * @cc: the run.
 *
 * Context: no locks held; takes zone->lock through __free_pages().
 * Return: the highest pfn given back, 0 if none.
 */
static unsigned long free_lists_release(struct compact_control *cc)
{
	unsigned long high = 0;
	struct page *page, *next;
	int order;

	for (order = 0; order < NR_PAGE_ORDERS; order++) {
		list_for_each_entry_safe(page, next, &cc->freepages[order], lru) {
			high = max(high, page_to_pfn(page));
			list_del(&page->lru);
			free_page_take(page, order);
			__free_pages(page, order);
		}
	}
	cc->nr_freepages = 0;
	return high;
}

/* ===================================================================== */
/* Free scanner: one stretch of a pageblock                              */
/* ===================================================================== */

/*
 * Does [pfn, end) hold a free page at all?  Looked at without the zone
 * lock, so that stretches with nothing to take cost no lock round trip.
 */
static bool stretch_has_buddy(unsigned long pfn, unsigned long end)
{
	for (; pfn < end; pfn++)
		if (PageBuddy(pfn_to_page(pfn)))
			return true;
	return false;
}

/**
 * isolate_free_stretch() - take the free pages of [@pfn, @end).
 * @cc:     the run; pages go to its free lists.
 * @pfn:    first pfn, inside one pageblock with @end.
 * @end:    one past the last pfn.
 * @strict: every pfn must be free (alloc_contig_range()); stop at the
 *          first that is not.
 * @next:   out: the pfn after the last one looked at.
 *
 * A free page may run past @end; it is taken whole.  The stretch is at
 * most COMPACT_CHECK_EVERY pfns, which bounds the time zone->lock is held.
 *
 * Context: no locks held; takes zone->lock with interrupts off.  An
 * asynchronous run only trylocks and reports contention.
 * Return: pages taken, or -EAGAIN when the lock was contended, or -EBUSY
 * when @strict met a pfn that is not free or the watermark refused.
 */
static long isolate_free_stretch(struct compact_control *cc, unsigned long pfn,
				 unsigned long end, bool strict,
				 unsigned long *next)
{
	struct zone *zone = cc->req.zone;
	unsigned long flags, taken = 0, start = pfn;
	long ret = 0;

	*next = end;
	if (!strict && !stretch_has_buddy(pfn, end))
		goto out;

	if (run_is_async(cc)) {
		if (!spin_trylock_irqsave(&zone->lock, flags)) {
			cc->stats.contended = true;
			*next = pfn;
			return -EAGAIN;
		}
	} else {
		spin_lock_irqsave(&zone->lock, flags);
	}

	while (pfn < end) {
		struct page *page = pfn_to_page(pfn);
		unsigned int order;

		if (!PageBuddy(page)) {
			if (strict) {
				ret = -EBUSY;
				break;
			}
			pfn++;
			continue;
		}
		order = buddy_order(page);
		if (!__isolate_free_page(page, order)) {
			ret = -EBUSY;
			break;
		}
		list_add_tail(&page->lru, &cc->freepages[order]);
		cc->nr_freepages += 1U << order;
		taken += 1UL << order;
		pfn += 1UL << order;
	}
	spin_unlock_irqrestore(&zone->lock, flags);
	*next = pfn;
out:
	cc->stats.free_scanned += *next - start;
	if (taken)
		count_compact_isolated(taken);
	return ret ? ret : taken;
}

/**
 * isolate_freepages_range() - take every free page of a pfn range.
 * @cc:        the run (alloc_contig_range()'s); pages go to its free lists,
 *             which this function initialises.
 * @start_pfn: first pfn.
 * @end_pfn:   one past the last pfn.
 *
 * The caller has isolated the pageblocks, so the pages stay free.  All or
 * nothing: if one pfn is not free, everything taken is given back.
 *
 * Context: process context, no locks held; takes zone->lock.
 * Return: one past the last pfn taken (a free page may reach past
 * @end_pfn), or 0 on failure.
 */
unsigned long isolate_freepages_range(struct compact_control *cc,
				      unsigned long start_pfn,
				      unsigned long end_pfn)
{
	unsigned long pfn = start_pfn, next, stop;
	long got;

	free_lists_init(cc);
	while (pfn < end_pfn) {
		stop = min(end_pfn, round_down(pfn, COMPACT_CHECK_EVERY) +
			   COMPACT_CHECK_EVERY);
		/*
		 * Once per block: a free page that reaches into the next block
		 * is at least a block, so it ends on a block boundary.
		 */
		if ((pfn == start_pfn || pageblock_aligned(pfn)) &&
		    !block_in_zone(cc->req.zone, pfn))
			break;
		got = isolate_free_stretch(cc, pfn, stop, true, &next);
		if (got < 0)
			break;
		pfn = next;
		cond_resched();
	}
	trace_mm_compaction_isolate_freepages(start_pfn, pfn, pfn - start_pfn,
					      cc->nr_freepages);
	if (pfn < end_pfn) {
		free_lists_release(cc);
		return 0;
	}
	return pfn;
}

/* ===================================================================== */
/* Migrate scanner: what to do with one page                             */
/* ===================================================================== */

/**
 * enum take_verdict - what the migrate scanner did with a pfn.
 * @TAKE_SKIP:     nothing to do here; move on by the step given.
 * @TAKE_ISOLATED: pages were isolated; move on by the step given.
 * @TAKE_ABORT:    stop the scan (out of memory for hugetlb dissolution).
 */
enum take_verdict {
	TAKE_SKIP,
	TAKE_ISOLATED,
	TAKE_ABORT,
};

static isolate_mode_t run_isolate_mode(const struct compact_control *cc)
{
	isolate_mode_t mode = 0;

	if (!run_may_block(cc))
		mode |= ISOLATE_ASYNC_MIGRATE;
	return mode;
}

#ifdef CONFIG_COMPACTION
/* vm.compact_unevictable_allowed: 0/1, may mlocked pages be moved? */
static int sysctl_compact_unevictable_allowed __read_mostly =
	CONFIG_COMPACT_UNEVICTABLE_DEFAULT;
#endif

/* alloc_contig_range() must move everything; compaction asks the knob. */
static bool unevictable_movable(const struct compact_control *cc)
{
	if (run_is_contig(cc))
		return true;
#ifdef CONFIG_COMPACTION
	return READ_ONCE(sysctl_compact_unevictable_allowed);
#else
	return false;
#endif
}

/* The order of a head page read without a reference or a lock. */
static unsigned int racy_order(struct page *page)
{
	/*
	 * The folio may be split or freed under us: the answer only guides
	 * a step or a count, and isolation looks again.
	 */
	return data_race(compound_order(page));
}

/* The step over a compound page starting at or around @page. */
static unsigned long compound_step(struct page *page)
{
	unsigned int order;

	if (!PageHead(page))
		return 1;
	order = racy_order(page);
	return order <= MAX_PAGE_ORDER ? 1UL << order : 1;
}

/* Put @nr pages that were just isolated on the run's list. */
static void take_onto_list(struct compact_control *cc, struct list_head *lru,
			   unsigned long nr)
{
	list_add(lru, &cc->migratepages);
	cc->nr_migratepages += nr;
}

/*
 * A hugetlb page: only alloc_contig_range() moves or dissolves them;
 * compaction for the buddy allocator steps over.
 */
static enum take_verdict take_hugetlb(struct compact_control *cc,
				      struct page *page, unsigned long *step)
{
	struct folio *folio;
	int err;

	*step = compound_step(page);
	if (!run_is_contig(cc))
		return TAKE_SKIP;

	err = isolate_or_dissolve_huge_page(page, &cc->migratepages);
	if (err == -ENOMEM)
		return TAKE_ABORT;
	if (err)
		return TAKE_SKIP;
	if (!PageHuge(page)) {
		/* Dissolved: its pages are free now, in an isolated block. */
		*step = 1;
		return TAKE_SKIP;
	}
	/*
	 * Read the folio now that it is isolated and cannot change: before,
	 * it could have been freed and reallocated with another size.
	 */
	folio = page_folio(page);
	*step = folio_nr_pages(folio) - folio_page_idx(folio, page);
	cc->nr_migratepages += folio_nr_pages(folio);
	return TAKE_ISOLATED;
}

/* A page that is not on the LRU but registered movable_operations. */
static enum take_verdict take_movable_ops(struct compact_control *cc,
					  struct page *page)
{
	/*
	 * A lockless peek at page->mapping, which may change under us (the
	 * page freed, or made a tail of a new compound page: KCSAN saw that);
	 * isolate_movable_page() looks again under the page lock.
	 */
	if (!data_race(__PageMovable(page)) || PageIsolated(page))
		return TAKE_SKIP;
	if (!isolate_movable_page(page, run_isolate_mode(cc)))
		return TAKE_SKIP;
	take_onto_list(cc, &page->lru, folio_nr_pages(page_folio(page)));
	return TAKE_ISOLATED;
}

/* What a folio's mapping rules out, from folio_mapping_limits(). */
#define MAPPING_LOCKED		BIT(0)	/* could not look: folio lock busy */
#define MAPPING_BLOCKS		BIT(1)	/* no ->migrate_folio: may block */
#define MAPPING_INACCESSIBLE	BIT(2)	/* guest_memfd: never migrates */

/*
 * Look at a folio's mapping under the folio lock, which keeps it from
 * going away; only tried, never waited for.  Return: MAPPING_* bits.
 */
static unsigned int folio_mapping_limits(struct folio *folio)
{
	struct address_space *mapping;
	unsigned int limits = 0;

	if (!folio_trylock(folio))
		return MAPPING_LOCKED;
	mapping = folio_mapping(folio);
	if (mapping && !mapping->a_ops->migrate_folio)
		limits |= MAPPING_BLOCKS;
	if (mapping && mapping_inaccessible(mapping))
		limits |= MAPPING_INACCESSIBLE;
	folio_unlock(folio);
	return limits;
}

/*
 * Checks on an LRU folio we hold a reference on, before taking it off the
 * LRU: would moving it be allowed, and could it succeed?
 */
static bool lru_folio_movable(struct compact_control *cc, struct folio *folio)
{
	struct address_space *mapping = folio_mapping(folio);
	bool unevictable = folio_test_unevictable(folio);
	bool nonblocking = !run_may_block(cc);
	bool nonblocking_dirty = nonblocking && folio_test_dirty(folio);

	if (!folio_test_lru(folio))
		return false;
	/* Pinned anonymous memory: more references than mappings (+ ours). */
	if (!mapping && folio_ref_count(folio) - 1 > folio_mapcount(folio))
		return false;
	/* Without __GFP_FS, filesystem pages may need locks we hold. */
	if (mapping && !(cc->req.gfp_mask & __GFP_FS))
		return false;
	if (unevictable && !unevictable_movable(cc))
		return false;
	if (nonblocking && folio_test_writeback(folio))
		return false;
	/*
	 * Mlocked folios of inaccessible mappings never move; a run that may
	 * not block may not wait for a dirty folio whose mapping cannot
	 * migrate it itself.  Both need a look at the mapping: one lock round
	 * trip.
	 */
	if (unevictable || nonblocking_dirty) {
		unsigned int limits = folio_mapping_limits(folio);

		if (limits & MAPPING_LOCKED)
			return false;
		if (unevictable && (limits & MAPPING_INACCESSIBLE))
			return false;
		if (nonblocking_dirty && (limits & MAPPING_BLOCKS))
			return false;
	}
	return true;
}

/*
 * Would moving a large folio help the run?  Not if it is already as large
 * as the page asked for, or as a pageblock: moving it frees nothing bigger
 * and may force migration to split it.  alloc_contig_range() must move
 * everything in its range.
 */
static bool large_folio_worth_moving(struct compact_control *cc,
				     unsigned int order)
{
	if (run_is_contig(cc))
		return true;
	if (order >= pageblock_order)
		return false;
	return cc->req.order < 0 || order < cc->req.order;
}

/* A page that may be on an LRU list. */
static enum take_verdict take_lru(struct compact_control *cc,
				  struct page *page, unsigned long *step)
{
	struct folio *folio;
	long nr;

	folio = folio_get_nontail_page(page);
	if (!folio)
		return TAKE_SKIP;
	nr = folio_nr_pages(folio);
	if (!lru_folio_movable(cc, folio) ||
	    (nr > 1 && !large_folio_worth_moving(cc, folio_order(folio))) ||
	    !folio_isolate_lru(folio)) {
		*step = nr;
		folio_put(folio);
		return TAKE_SKIP;
	}
	node_stat_mod_folio(folio, NR_ISOLATED_ANON + folio_is_file_lru(folio),
			    nr);
	take_onto_list(cc, &folio->lru, nr);
	folio_put(folio);
	*step = nr;
	return TAKE_ISOLATED;
}

/**
 * take_page() - look at one pfn and isolate what can be moved from it.
 * @cc:   the run.
 * @page: the page at the pfn; its pageblock is valid and in the zone.
 * @step: out: how many pfns the scanner may move on by (a free page or a
 *        folio is stepped over whole).
 *
 * Everything here is read without the zone lock and may change under us;
 * the isolation helpers recheck under the locks that matter.
 *
 * Context: process context, no locks held; may sleep in a synchronous run.
 * Return: the verdict.
 */
static enum take_verdict take_page(struct compact_control *cc,
				   struct page *page, unsigned long *step)
{
	*step = 1;
	if (PageBuddy(page)) {
		unsigned long order = buddy_order_unsafe(page);

		if (order > 0 && order <= MAX_PAGE_ORDER)
			*step = 1UL << order;
		return TAKE_SKIP;
	}
	if (PageHuge(page))
		return take_hugetlb(cc, page, step);
	if (PageHead(page) && !large_folio_worth_moving(cc, racy_order(page))) {
		*step = compound_step(page);
		return TAKE_SKIP;
	}
	if (!PageLRU(page))
		return take_movable_ops(cc, page);
	return take_lru(cc, page, step);
}

/* ===================================================================== */
/* Migrate scanner: a stretch of pfns                                    */
/* ===================================================================== */

/*
 * Too many pages isolated on the node?  Wait for migration and reclaim to
 * put some back, unless this run holds isolated pages itself (it must
 * migrate them first) or may not sleep.
 *
 * The wait is bounded: after COMPACT_ISOLATION_WAITS throttles the run
 * gives up, marked contended.  The isolated pages may belong to a task
 * that is itself waiting here for pages we hold, isolated on another node:
 * memory offline and migrate_pages(2) hold a whole range of one node
 * isolated while they allocate their targets, large folios included, on
 * the other, and an unbounded wait on each side is a deadlock that only a
 * fatal signal ends.  Reclaim bounds its own wait the same way.
 *
 * Return: 0 to go on, -EAGAIN to come back later, -EINTR on a fatal signal.
 */
static int wait_for_isolation_room(struct compact_control *cc)
{
	pg_data_t *pgdat = cc->req.zone->zone_pgdat;
	unsigned int waits = 0;

	for (;;) {
		unsigned long lru, isolated;

		lru = node_page_state(pgdat, NR_ACTIVE_FILE) +
		      node_page_state(pgdat, NR_INACTIVE_FILE) +
		      node_page_state(pgdat, NR_ACTIVE_ANON) +
		      node_page_state(pgdat, NR_INACTIVE_ANON);
		isolated = node_page_state(pgdat, NR_ISOLATED_FILE) +
			   node_page_state(pgdat, NR_ISOLATED_ANON);
		if (!cpol_too_many_isolated(lru, isolated,
					    cc->req.gfp_mask & __GFP_FS)) {
			wake_throttle_isolated(pgdat);
			return 0;
		}
		if (cc->nr_migratepages || run_is_async(cc))
			return -EAGAIN;
		if (waits++ == COMPACT_ISOLATION_WAITS) {
			cc->stats.contended = true;
			return -EAGAIN;
		}
		reclaim_throttle(pgdat, VMSCAN_THROTTLE_ISOLATED);
		if (fatal_signal_pending(current))
			return -EINTR;
	}
}

/**
 * isolate_migrate_stretch() - isolate movable pages from [@pfn, @end).
 * @cc:  the run; pages go to cc->migratepages.
 * @pfn: first pfn; [@pfn, @end) lies inside one valid pageblock.
 * @end: one past the last pfn.
 * @isolated: out: pages isolated by this call.
 *
 * Stops early when a batch is full (COMPACT_BATCH pages), on contention or
 * a fatal signal.  Holds no lock between pages: LRU isolation takes the
 * lruvec lock per folio.
 *
 * Context: process context, no locks held; may sleep if synchronous.
 * Return: the next pfn to look at.  *@isolated is the number of pages
 * isolated, or -ENOMEM if a hugetlb page could not be dissolved.
 */
static unsigned long isolate_migrate_stretch(struct compact_control *cc,
					     unsigned long pfn,
					     unsigned long end, long *isolated)
{
	unsigned long start = pfn, step, looked = 0;
	unsigned long before = cc->nr_migratepages;

	*isolated = 0;
	while (pfn < end) {
		if (++looked % COMPACT_CHECK_EVERY == 0 && run_should_stop(cc))
			break;
		switch (take_page(cc, pfn_to_page(pfn), &step)) {
		case TAKE_ABORT:
			*isolated = -ENOMEM;
			goto out;
		case TAKE_ISOLATED:
		case TAKE_SKIP:
			break;
		}
		/* A step may overshoot @end (a folio crossing it). */
		pfn = min(pfn + step, end);
		if (cc->nr_migratepages >= COMPACT_BATCH)
			break;
	}
	*isolated = cc->nr_migratepages - before;
out:
	cc->stats.migrate_scanned += pfn - start;
	if (*isolated > 0)
		count_compact_isolated(*isolated);
	trace_mm_compaction_isolate_migratepages(start, pfn, pfn - start,
						 max(*isolated, 0L));
	return pfn;
}

/**
 * isolate_migratepages_range() - isolate a batch of movable pages of a range.
 * @cc:        the run (alloc_contig_range()'s), reason COMPACT_REASON_CONTIG.
 * @start_pfn: first pfn.
 * @end_pfn:   one past the last pfn, in the same zone.
 *
 * Isolates up to a batch of pages onto cc->migratepages and leaves
 * cc->cur.migrate_pfn at the next pfn to look at.  Pageblocks whose part
 * in the zone has holes are stepped over.
 *
 * Context: process context, no locks held; may sleep.
 * Return: 0, or -EAGAIN (too many pages isolated, try again after
 * migrating), -EINTR (fatal signal), -ENOMEM (a hugetlb page could not be
 * dissolved).
 */
int isolate_migratepages_range(struct compact_control *cc,
			       unsigned long start_pfn, unsigned long end_pfn)
{
	unsigned long pfn = start_pfn;
	int err = 0;

	while (pfn < end_pfn && cc->nr_migratepages < COMPACT_BATCH) {
		unsigned long stop = min(pageblock_end_pfn(pfn), end_pfn);
		long isolated;

		err = wait_for_isolation_room(cc);
		if (err)
			break;
		if (!block_in_zone(cc->req.zone, pfn)) {
			pfn = stop;
			continue;
		}
		pfn = isolate_migrate_stretch(cc, pfn, stop, &isolated);
		if (isolated == -ENOMEM) {
			err = -ENOMEM;
			break;
		}
		if (fatal_signal_pending(current)) {
			err = -EINTR;
			break;
		}
	}
	cc->cur.migrate_pfn = pfn;
	return err;
}

#endif /* CONFIG_COMPACTION || CONFIG_CMA */

#ifdef CONFIG_COMPACTION

/* ===================================================================== */
/* Non-LRU movable pages (zsmalloc, balloon, z3fold)                     */
/* ===================================================================== */

/**
 * PageMovable() - does a locked page have movable_operations?
 * @page: the page, locked by the caller.
 *
 * Return: true if @page was registered with __SetPageMovable() and not
 * cleared since.
 */
bool PageMovable(struct page *page)
{
	VM_WARN_ON_ONCE_PAGE(!PageLocked(page), page);
	return __PageMovable(page) && page_movable_ops(page);
}

/**
 * __SetPageMovable() - register movable_operations for a driver's page.
 * @page: the page, locked by the caller.
 * @mops: how to isolate, migrate and put back the page.
 *
 * The operations are kept in page->mapping, tagged PAGE_MAPPING_MOVABLE.
 */
void __SetPageMovable(struct page *page, const struct movable_operations *mops)
{
	unsigned long tagged = (unsigned long)mops;

	/* The tag lives in the low bit: the table must be aligned. */
	VM_WARN_ON_ONCE_PAGE(!PageLocked(page) ||
			     (tagged & PAGE_MAPPING_MOVABLE), page);
	page->mapping = (struct address_space *)(tagged | PAGE_MAPPING_MOVABLE);
}
EXPORT_SYMBOL(__SetPageMovable);

/**
 * __ClearPageMovable() - the page may no longer move.
 * @page: a movable page, locked by the caller.
 *
 * The tag stays so that an isolated page still reads as a movable-type
 * page to migration, but with no operations it is not moved again.
 */
void __ClearPageMovable(struct page *page)
{
	VM_WARN_ON_ONCE_PAGE(!PageMovable(page), page);
	page->mapping = (void *)PAGE_MAPPING_MOVABLE;
}
EXPORT_SYMBOL(__ClearPageMovable);

/* ===================================================================== */
/* Block choice: what the policy is told about a run and a pageblock     */
/* ===================================================================== */

static bool run_sets_hints(const struct compact_control *cc)
{
	return !(cc->req.flags & COMPACT_F_NO_SET_SKIP);
}

static bool run_is_planned(const struct compact_control *cc)
{
	return cc->plan.sources;
}

/*
 * Does the run move the zone's cached scanner positions?  Not a planned
 * run: its scanners go where the plan says, which says nothing of where
 * the next unplanned run should begin.
 */
static bool run_caches_positions(const struct compact_control *cc)
{
	return run_sets_hints(cc) && !run_is_planned(cc);
}

static enum cpol_block_kind block_kind(int migratetype)
{
	if (is_migrate_isolate(migratetype))
		return CPOL_BLOCK_ISOLATED;
	if (is_migrate_cma(migratetype))
		return CPOL_BLOCK_CMA;
	if (migratetype == MIGRATE_MOVABLE)
		return CPOL_BLOCK_MOVABLE;
	return CPOL_BLOCK_OTHER;
}

static struct cpol_rules run_rules(const struct compact_control *cc)
{
	return (struct cpol_rules) {
		.async = run_is_async(cc),
		.ignore_skip = cc->req.flags & COMPACT_F_IGNORE_SKIP,
		.any_target = cc->req.flags & COMPACT_F_ANY_TARGET,
		.want_kind = block_kind(cc->req.migratetype),
		/*
		 * An allocation's goal is a free page of its order; a whole-node
		 * run's is free pageblocks.  Do not fill a block that starts
		 * with one: it would cost a block the run has already won, and
		 * on dense layouts free no more than it costs.
		 */
		.keep_order = cc->req.order > 0 ? cc->req.order : pageblock_order,
	};
}

/*
 * What the block choice needs to know of the pageblock holding @page.
 * Read without locks: a stale answer costs one wasted or skipped block.
 */
static struct cpol_block block_census(struct page *page)
{
	struct cpol_block blk = {
		.kind = block_kind(get_pageblock_migratetype(page)),
		.skip = get_pageblock_skip(page),
		.free_order = -1,
	};

	if (PageBuddy(page)) {
		unsigned long order = buddy_order_unsafe(page);

		if (order <= MAX_PAGE_ORDER)
			blk.free_order = order;
	}
	return blk;
}

/* ===================================================================== */
/* Knobs                                                                 */
/* ===================================================================== */

/* vm.compaction_proactiveness: 0..100, how hard kcompactd works unasked. */
static unsigned int __read_mostly sysctl_compaction_proactiveness = 20;
/* vm.extfrag_threshold: 0..1000, see cpol_judge_fragindex(). */
static int __read_mostly sysctl_extfrag_threshold = 500;
/* vm.compact_memory: write-only trigger; holds the last value written. */
static int sysctl_compact_memory;
/* vm.compact_unevictable_allowed is declared next to its user, above. */

/* The order whose fragmentation the proactive score measures. */
static unsigned int score_order(void)
{
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	return HPAGE_PMD_ORDER;
#else
	return pageblock_order;
#endif
}

/* How often an idle kcompactd looks at its node's score. */
#define KCOMPACTD_PERIOD_MS	500

/* ===================================================================== */
/* Deferral: the zone side of cpol_backoff                               */
/* ===================================================================== */

/*
 * The backoff state lives in struct zone (compact_considered,
 * compact_defer_shift, compact_order_failed) where page_alloc.c and the
 * tracepoints read it.  It is updated without a lock, as it always was:
 * a lost update only shifts a retry by one request.
 */
static struct cpol_backoff zone_backoff(struct zone *zone)
{
	return (struct cpol_backoff) {
		.considered = zone->compact_considered,
		.shift = zone->compact_defer_shift,
		.order_failed = zone->compact_order_failed,
	};
}

static void zone_backoff_store(struct zone *zone, const struct cpol_backoff *b)
{
	zone->compact_considered = b->considered;
	zone->compact_defer_shift = b->shift;
	zone->compact_order_failed = b->order_failed;
}

/* Is compaction of @zone for @order held back?  Counts the request. */
static bool compaction_deferred(struct zone *zone, int order)
{
	struct cpol_backoff b = zone_backoff(zone);
	bool held = cpol_backoff_holds(&b, order);

	zone_backoff_store(zone, &b);
	if (held)
		trace_mm_compaction_deferred(zone, order);
	return held;
}

/* A run for @order failed in @zone: widen the window. */
static void defer_compaction(struct zone *zone, int order)
{
	struct cpol_backoff b = zone_backoff(zone);

	cpol_backoff_failed(&b, order);
	zone_backoff_store(zone, &b);
	trace_mm_compaction_defer_compaction(zone, order);
}

/**
 * compaction_defer_reset() - compaction for @order did some good in @zone.
 * @zone:          the zone.
 * @order:         the order compacted for.
 * @alloc_success: the allocation did succeed (not just look likely to).
 *
 * Orders up to @order are no longer held back; on a real allocation the
 * backoff window closes altogether.
 *
 * Context: any; no locks needed.
 */
void compaction_defer_reset(struct zone *zone, int order, bool alloc_success)
{
	struct cpol_backoff b = zone_backoff(zone);

	cpol_backoff_succeeded(&b, order, alloc_success);
	zone_backoff_store(zone, &b);
	trace_mm_compaction_defer_reset(zone, order);
}

/* After the longest backoff, a run starts over with fresh hints. */
static bool compaction_restarting(struct zone *zone, int order)
{
	struct cpol_backoff b = zone_backoff(zone);

	return cpol_backoff_exhausted(&b, order);
}

/* ===================================================================== */
/* Skip hints and cached scanner positions                               */
/* ===================================================================== */

static struct cpol_span zone_span(struct zone *zone)
{
	return (struct cpol_span) {
		.start = zone->zone_start_pfn,
		.end = zone_end_pfn(zone),
		.block_order = pageblock_order,
	};
}

static void reset_cached_positions(struct zone *zone)
{
	struct cpol_span span = zone_span(zone);

	zone->compact_cached_migrate_pfn[0] = span.start;
	zone->compact_cached_migrate_pfn[1] = span.start;
	zone->compact_cached_free_pfn = cpol_free_scanner_start(&span);
}

/*
 * Forget every skip hint of @zone and start both scanners anew.
 * O(pageblocks of the zone); reschedules every 64 blocks.
 */
static void zone_forget_hints(struct zone *zone)
{
	unsigned long pfn, end = zone_end_pfn(zone);

	/* The first block may start before the zone: look at its zone part. */
	for (pfn = zone->zone_start_pfn; pfn < end; pfn = pageblock_end_pfn(pfn)) {
		struct page *page = pfn_to_online_page(pfn);

		if (page && page_zone(page) == zone)
			clear_pageblock_skip(page);
		if (!(pfn >> pageblock_order & 63))
			cond_resched();
	}
	reset_cached_positions(zone);
}

/**
 * reset_isolation_suitable() - forget skip hints a direct compaction left.
 * @pgdat: the node.
 *
 * kswapd calls this before it sleeps: once reclaim has balanced the node,
 * blocks that held nothing movable may now hold something.  Only zones
 * where a direct compaction run's scanners met are reset.
 *
 * Context: process context (kswapd); may sleep.
 */
void reset_isolation_suitable(pg_data_t *pgdat)
{
	int i;

	for (i = 0; i < MAX_NR_ZONES; i++) {
		struct zone *zone = &pgdat->node_zones[i];

		if (!populated_zone(zone) || !zone->compact_blockskip_flush)
			continue;
		zone->compact_blockskip_flush = false;
		zone_forget_hints(zone);
	}
}

/*
 * Pages of the batch that began in the block at @pfn failed to move: the
 * next run must look at that block again, so the cached positions this
 * run advanced go back to it.  The failure may be passing (a folio locked
 * or under writeback for a moment); a block that keeps failing is passed
 * by its skip hint, which only a block that yielded nothing gets.
 */
static void uncache_migrate_pfn(struct compact_control *cc, unsigned long pfn)
{
	struct zone *zone = cc->req.zone;

	if (!run_caches_positions(cc))
		return;
	if (pfn < zone->compact_cached_migrate_pfn[0])
		zone->compact_cached_migrate_pfn[0] = pfn;
	if (!run_is_async(cc) && pfn < zone->compact_cached_migrate_pfn[1])
		zone->compact_cached_migrate_pfn[1] = pfn;
}

/* The migrate scanner got past @pfn: the next run of this kind starts there. */
static void cache_migrate_pfn(struct compact_control *cc, unsigned long pfn)
{
	struct zone *zone = cc->req.zone;
	int sync = !run_is_async(cc);

	if (!run_caches_positions(cc))
		return;
	/*
	 * What a synchronous run got past, an asynchronous one would too; not
	 * the other way round: an asynchronous run passes blocks it may not
	 * touch, which a synchronous run must still see.
	 */
	if (pfn > zone->compact_cached_migrate_pfn[0])
		zone->compact_cached_migrate_pfn[0] = pfn;
	if (sync && pfn > zone->compact_cached_migrate_pfn[1])
		zone->compact_cached_migrate_pfn[1] = pfn;
}

static void cache_free_pfn(struct compact_control *cc, unsigned long pfn)
{
	struct zone *zone = cc->req.zone;

	if (run_caches_positions(cc) && pfn < zone->compact_cached_free_pfn)
		zone->compact_cached_free_pfn = pfn;
}

/* ===================================================================== */
/* Suitability                                                           */
/* ===================================================================== */

/*
 * Enough free memory to compact for @order?  The free scanner needs
 * somewhere to put pages, so the zone must stay above its (min or low)
 * watermark by the gap even with all of it taken.  CMA counts: moved
 * pages are movable and may go there.
 */
static bool zone_has_room(struct zone *zone, int order, int highest_zoneidx,
			  unsigned long free)
{
	unsigned long mark = cpol_free_needed(order, min_wmark_pages(zone),
					      low_wmark_pages(zone));

	return __zone_watermark_ok(zone, 0, mark, highest_zoneidx, ALLOC_CMA,
				   free);
}

/* The verdict of compaction_suitable(), as its tracepoint reports it. */
static enum compact_result judge_suitability(struct zone *zone, int order,
					     int highest_zoneidx)
{
	int fragindex = -1000;	/* "would succeed": ignored below costly */

	if (!zone_has_room(zone, order, highest_zoneidx,
			   zone_page_state(zone, NR_FREE_PAGES)))
		return COMPACT_SKIPPED;
	if (order > PAGE_ALLOC_COSTLY_ORDER)
		fragindex = fragmentation_index(zone, order);
	switch (cpol_judge_fragindex(order, fragindex,
				     READ_ONCE(sysctl_extfrag_threshold))) {
	case CPOL_SUITABLE:
		return COMPACT_CONTINUE;
	case CPOL_NOT_FRAGMENTED:
		break;
	}
	return COMPACT_NOT_SUITABLE_ZONE;
}

/**
 * compaction_suitable() - is compacting @zone for @order worth a try?
 * @zone:            the zone.
 * @order:           the order wanted.
 * @highest_zoneidx: the highest zone the allocation may use (lowmem
 *                   reserves apply to lower zones).
 *
 * Worth it when the zone has room for the pages it will move (see
 * zone_has_room()) and, for costly orders, when the fragmentation index
 * says a failure would come from fragmentation rather than from lack of
 * memory (vm.extfrag_threshold).
 *
 * Context: any; reads counters without locks.
 * Return: true if a compaction run should be tried.
 */
bool compaction_suitable(struct zone *zone, int order, int highest_zoneidx)
{
	enum compact_result res = judge_suitability(zone, order, highest_zoneidx);

	trace_mm_compaction_suitable(zone, order, res);
	return res == COMPACT_CONTINUE;
}

/* Room after reclaiming a 1/@order share of what the zone could reclaim. */
static bool zone_could_have_room(struct zone *zone, int order,
				 int highest_zoneidx)
{
	unsigned long room = zone_page_state_snapshot(zone, NR_FREE_PAGES);

	room += zone_reclaimable_pages(zone) / order;
	return zone_has_room(zone, order, highest_zoneidx, room);
}

/**
 * compaction_zonelist_suitable() - would more reclaim make compaction work?
 * @ac:          the allocation's context.
 * @order:       the order wanted.
 * @alloc_flags: the allocation's flags (unused: room is judged at order 0).
 *
 * should_compact_retry() asks this after compaction was skipped: if some
 * zone would have room once part of its reclaimable memory is reclaimed,
 * reclaim and retry.  Only a share of the reclaimable pages is counted, so
 * that one high-order allocation does not thrash the page cache.
 *
 * Return: true if some zone in the zonelist could become suitable.
 */
bool compaction_zonelist_suitable(struct alloc_context *ac, int order,
				  int alloc_flags)
{
	int highest = ac->highest_zoneidx;
	struct zoneref *zref;
	struct zone *zone;

	for_each_zone_zonelist_nodemask(zone, zref, ac->zonelist, highest,
					ac->nodemask) {
		/* One zone is enough: stop looking there. */
		if (zone_could_have_room(zone, order, highest))
			return true;
	}
	return false;
}

/*
 * For an allocation: already satisfiable (SUCCESS), not worth compacting
 * (SKIPPED), or go (CONTINUE).
 */
static enum compact_result judge_zone_for_order(struct zone *zone, int order,
						int highest_zoneidx,
						unsigned int alloc_flags)
{
	unsigned long mark = wmark_pages(zone, alloc_flags & ALLOC_WMARK_MASK);

	if (zone_watermark_ok(zone, order, mark, highest_zoneidx, alloc_flags))
		return COMPACT_SUCCESS;
	if (!compaction_suitable(zone, order, highest_zoneidx))
		return COMPACT_SKIPPED;
	return COMPACT_CONTINUE;
}

/* ===================================================================== */
/* Proactive compaction: the fragmentation score                         */
/* ===================================================================== */

/* Memory hotplug may stop kswapd under us: look at it under its lock. */
static bool kswapd_busy(pg_data_t *pgdat)
{
	struct task_struct *kswapd;
	bool busy = false;

	pgdat_kswapd_lock(pgdat);
	kswapd = pgdat->kswapd;
	if (kswapd)
		busy = task_is_running(kswapd);
	pgdat_kswapd_unlock(pgdat);
	return busy;
}

static unsigned int zone_score(struct zone *zone)
{
	return cpol_zone_score(extfrag_for_order(zone, score_order()),
			       zone->present_pages,
			       zone->zone_pgdat->node_present_pages);
}

static unsigned int node_score(pg_data_t *pgdat)
{
	unsigned int score = 0;
	int i;

	for (i = 0; i < MAX_NR_ZONES; i++)
		if (populated_zone(&pgdat->node_zones[i]))
			score += zone_score(&pgdat->node_zones[i]);
	return score;
}

static struct cpol_score_marks score_marks(void)
{
	return cpol_score_marks(READ_ONCE(sysctl_compaction_proactiveness));
}

static bool node_wants_proactive(pg_data_t *pgdat)
{
	if (!READ_ONCE(sysctl_compaction_proactiveness) || kswapd_busy(pgdat))
		return false;
	return node_score(pgdat) > score_marks().high;
}

/* ===================================================================== */
/* Planned runs: a census of the zone, then the cheapest blocks          */
/* ===================================================================== */

/*
 * Free pages a planned run leaves out of its budget: the batches that may
 * sit on per-CPU lists, or be taken by others, while it runs.
 */
#define PLAN_RESERVE		(4 * COMPACT_BATCH)

/*
 * Runs that plan work towards free pageblocks in the whole zone and may
 * sleep: manual, proactive and kcompactd.  A direct compactor wants one
 * page soon, and alloc_contig_range() has its own range.
 */
static bool run_wants_plan(const struct compact_control *cc)
{
	switch (cc->req.reason) {
	case COMPACT_REASON_MANUAL:
	case COMPACT_REASON_PROACTIVE:
	case COMPACT_REASON_KCOMPACTD:
		return !run_is_async(cc);
	case COMPACT_REASON_DIRECT:
	case COMPACT_REASON_CONTIG:
		break;
	}
	return false;
}

static unsigned long plan_index(const struct compact_plan *plan,
				unsigned long pfn)
{
	return (pfn - plan->base_pfn) >> pageblock_order;
}

static bool plan_is_source(const struct compact_plan *plan, unsigned long pfn)
{
	return test_bit(plan_index(plan, pfn), plan->sources);
}

/* The first pfn at or above block-aligned @pfn in a chosen block. */
static unsigned long plan_next_source(const struct compact_plan *plan,
				      unsigned long pfn)
{
	unsigned long i;

	if (pfn >= plan->end_pfn)
		return plan->end_pfn;
	i = find_next_bit(plan->sources, plan->nr_blocks, plan_index(plan, pfn));
	if (i >= plan->nr_blocks)
		return plan->end_pfn;
	return max(pfn, plan->base_pfn + (i << pageblock_order));
}

/*
 * Does the census pass by blocks with the skip hint, and set it on the
 * blocks it finds cannot become free?  A goal run's windowed census does,
 * unless the run ignores or may not set hints.
 */
static bool plan_uses_hints(const struct compact_control *cc)
{
	return cc->plan.windows == PLAN_WINDOWS_GOAL && run_sets_hints(cc) &&
	       !run_rules(cc).ignore_skip;
}

/*
 * Would the migrate scanner move @page?  Read without locks, like the
 * scanner's first look; a large folio counts its pages in *@step.
 */
static bool census_page_movable(struct compact_control *cc, struct page *page,
				unsigned long *step)
{
	*step = 1;
	if (PageHuge(page))
		return false;
	if (PageHead(page)) {
		*step = compound_step(page);
		if (!large_folio_worth_moving(cc, racy_order(page)))
			return false;
	}
	if (PageLRU(page))
		return !folio_test_unevictable(page_folio(page)) ||
		       unevictable_movable(cc);
	/* A lockless peek, as in take_movable_ops(): only a count. */
	return data_race(__PageMovable(page));
}

/*
 * Count the pageblock at @start: movable pages, free pages the free
 * scanner may take, and whether something in it can never move.  Blocks
 * the run neither empties nor fills (not movable or CMA, or not wholly in
 * the zone) are not read.  A CMA block's free pages are not counted: the
 * run does not fill it (cpol_plan_may_fill()).  A page that is
 * neither free nor movable holds
 * the block, even one without a reference: after plan_make() drained the
 * per-CPU lists, that is a page on its way somewhere, and it may stay.
 */
static struct cpol_census_entry census_block(struct compact_control *cc,
					     unsigned long start)
{
	struct cpol_census_entry e = { .used = CPOL_USED_NEVER };
	unsigned long end = start + pageblock_nr_pages, pfn, step;
	unsigned long used = 0, free = 0;
	struct zone *zone = cc->req.zone;
	enum cpol_block_kind kind;
	bool never = false;
	struct page *page;

	if (start < zone->zone_start_pfn || end > zone_end_pfn(zone))
		return e;
	page = pageblock_pfn_to_page(start, end, zone);
	if (!page)
		return e;
	kind = block_kind(get_pageblock_migratetype(page));
	if (kind != CPOL_BLOCK_MOVABLE && kind != CPOL_BLOCK_CMA)
		return e;
	/*
	 * A goal run reads block by block as the migrate scanner would, and
	 * passes by the blocks a scanner found nothing to take in (the skip
	 * hint), as unplanned runs do; it sets the hint on the blocks that
	 * cannot become free below.  A whole-zone census reads every block.
	 */
	if (plan_uses_hints(cc) && get_pageblock_skip(page))
		return e;
	cc->stats.census_scanned += pageblock_nr_pages;
	for (pfn = start; pfn < end; pfn += step) {
		page = pfn_to_page(pfn);
		step = 1;
		if (PageBuddy(page)) {
			unsigned long order = buddy_order_unsafe(page);

			if (order <= MAX_PAGE_ORDER) {
				step = min(1UL << order, end - pfn);
				free += step;
			}
		} else if (census_page_movable(cc, page, &step)) {
			step = min(step, end - pfn);
			used += step;
		} else {
			never = true;
		}
	}
	e.free = cpol_plan_may_fill(kind) ? free : 0;
	if (!never)
		e.used = used;
	else if (plan_uses_hints(cc))
		set_pageblock_skip(pfn_to_page(start));
	return e;
}

/*
 * Census @nr pageblocks from @start into @census.  Return: the free pages
 * they hold for targets, or -EINTR on a fatal signal.
 */
static long plan_census(struct compact_control *cc,
			struct cpol_census_entry *census, unsigned long start,
			unsigned int nr)
{
	unsigned long free = 0;
	unsigned int i;

	for (i = 0; i < nr; i++, start += pageblock_nr_pages) {
		census[i] = census_block(cc, start);
		free += census[i].free;
		if (i % COMPACT_SWEEP_CHECK_EVERY == 0) {
			cond_resched();
			if (fatal_signal_pending(current))
				return -EINTR;
		}
	}
	return free;
}

/*
 * Chosen blocks: @nr bits of @chosen, from the zone's block @first on.
 * Return: the first pfn of the lowest block chosen.
 */
static unsigned long plan_take(struct compact_plan *plan,
			       const unsigned long *chosen, unsigned int first,
			       unsigned int nr, unsigned long zone_end)
{
	unsigned int i, low = UINT_MAX, last = first;

	for_each_set_bit(i, chosen, nr) {
		__set_bit(first + i, plan->sources);
		plan->nr_sources++;
		low = min(low, first + i);
		last = first + i;
	}
	plan->end_pfn = min(zone_end, plan->base_pfn +
			    ((unsigned long)(last + 1) << pageblock_order));
	return plan->base_pfn + ((unsigned long)low << pageblock_order);
}

/*
 * Pageblocks a goal run reads at a time: 64 MiB with 2 MiB blocks, a 32nd
 * of what a census of a 2 GiB zone reads, and enough blocks to choose a
 * cheap one where blocks differ.  Blocks of other kinds (unmovable,
 * reclaimable) are not read (census_block()) and cost a window little.
 */
#define PLAN_WINDOW_BLOCKS	32

/*
 * The budget of the current window: a goal run's fixed one, or for a run
 * for the score (proactive) the window's own free pages less the reserve,
 * planned once (cpol_score_window_budget()).
 */
static unsigned long plan_window_budget(const struct compact_control *cc)
{
	const struct compact_plan *plan = &cc->plan;

	if (plan->windows == PLAN_WINDOWS_GOAL)
		return cpol_goal_window_budget(cc->req.order, pageblock_order);
	return cpol_score_window_budget(plan->window, plan->window_nr,
					PLAN_RESERVE);
}

/*
 * Where a windowed census begins: at the higher of the zone's cached
 * migrate scanner positions (asynchronous, synchronous).  The blocks below
 * it were looked at by direct compactors, which emptied them and often saw
 * them filled again (with the huge pages they were emptied for: on the
 * bench's thp workload the first 9 windows of the zone, 140 k pfns read
 * for nothing); the census reads them last, after wrapping round to the
 * zone's start.
 */
static void plan_census_start(struct compact_control *cc)
{
	struct compact_plan *plan = &cc->plan;
	struct zone *zone = cc->req.zone;
	struct cpol_span span = zone_span(zone);
	unsigned long from;

	from = max(zone->compact_cached_migrate_pfn[0],
		   zone->compact_cached_migrate_pfn[1]);
	from = cpol_restart_pfn(&span, from, span.start);
	plan->census_first = max(plan->base_pfn, pageblock_start_pfn(from));
	plan->census_next = plan->census_first;
	plan->census_stop = zone_end_pfn(zone);
}

/*
 * A windowed plan: choose the cheapest block left in the current window
 * within the window budget; when none is left, census the next window (a
 * window with nothing to empty is passed over).  A block chosen is marked
 * as one that cannot become free, so the next call takes the one after,
 * which may lie below it: the migrate scanner goes to *@pfn.  A run for
 * the score chooses every block its window's budget allows at once, and
 * reads the next window on the next call.
 * Return: true if it chose a block (its first pfn in *@pfn), false once
 * the zone is read through.
 */
static bool plan_next_block(struct compact_control *cc, unsigned long *pfn)
{
	DECLARE_BITMAP(chosen, PLAN_WINDOW_BLOCKS);
	struct compact_plan *plan = &cc->plan;
	unsigned long zone_end = zone_end_pfn(cc->req.zone), start, scanned;
	unsigned int i, nr;

	for (;;) {
		bitmap_zero(chosen, PLAN_WINDOW_BLOCKS);
		if (plan->window_nr &&
		    cpol_plan_sources(plan->window, plan->window_nr,
				      plan_window_budget(cc), chosen)) {
			*pfn = plan_take(plan, chosen, plan->window_first,
					 plan->window_nr, zone_end);
			for_each_set_bit(i, chosen, plan->window_nr)
				plan->window[i].used = CPOL_USED_NEVER;
			if (plan->windows == PLAN_WINDOWS_SCORE)
				plan->window_nr = 0;
			return true;
		}
		plan->window_nr = 0;
		if (plan->census_next >= plan->census_stop) {
			/* From the zone's start up to where the census began. */
			if (plan->census_stop != zone_end ||
			    plan->census_first <= plan->base_pfn)
				return false;
			plan->census_next = plan->base_pfn;
			plan->census_stop = plan->census_first;
		}
		start = plan->census_next;
		plan->window_first = plan_index(plan, start);
		nr = min_t(unsigned long, PLAN_WINDOW_BLOCKS,
			   DIV_ROUND_UP(plan->census_stop - start,
					pageblock_nr_pages));
		plan->census_next = min(plan->census_stop, start +
					((unsigned long)nr << pageblock_order));
		scanned = cc->stats.census_scanned;
		if (plan_census(cc, plan->window, start, nr) < 0) {
			plan->census_first = plan->base_pfn;
			plan->census_next = zone_end;
			plan->census_stop = zone_end;
			return false;
		}
		plan->window_nr = nr;
		scanned = cc->stats.census_scanned - scanned;
		trace_mm_compaction_isolate_migratepages(start, plan->census_next,
							 scanned, 0);
	}
}

static void plan_drop(struct compact_control *cc)
{
	bitmap_free(cc->plan.sources);
	cc->plan.sources = NULL;
	kfree(cc->plan.window);
	cc->plan.window = NULL;
}

/*
 * Take the census of the zone and choose the blocks to empty: the whole
 * zone at once, or, for a run for an order (kcompactd) or for the score
 * (proactive), its first window (plan_next_block()).
 * On any failure (memory for the census, a fatal signal) the run goes on
 * without a plan.
 */
static void plan_make(struct compact_control *cc)
{
	struct compact_plan *plan = &cc->plan;
	struct zone *zone = cc->req.zone;
	gfp_t gfp = GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN;
	struct cpol_census_entry *census = NULL;
	unsigned long budget, pfn;
	unsigned int nr;
	long free;

	plan->base_pfn = pageblock_start_pfn(zone->zone_start_pfn);
	nr = DIV_ROUND_UP(zone_end_pfn(zone) - plan->base_pfn,
			  pageblock_nr_pages);
	plan->nr_blocks = nr;
	plan->end_pfn = zone->zone_start_pfn;
	plan->sources = bitmap_zalloc(nr, gfp);
	if (!plan->sources)
		goto fail;
	/*
	 * A free page on a CPU's free list is neither free nor used to the
	 * census, and keeps its block from merging until that CPU drains it:
	 * a block chosen for being cheap would be emptied in vain.  Every
	 * CPU's, not only ours: the pages the workload freed last sit on the
	 * lists of the CPUs it ran on.
	 */
	drain_all_pages(zone);
	if (cc->req.reason == COMPACT_REASON_KCOMPACTD) {
		if (cpol_goal_window_budget(cc->req.order, pageblock_order))
			plan->windows = PLAN_WINDOWS_GOAL;
	} else if (cc->req.reason == COMPACT_REASON_PROACTIVE) {
		plan->windows = PLAN_WINDOWS_SCORE;
	}
	if (plan->windows != PLAN_WHOLE_ZONE) {
		plan->window = kmalloc_array(PLAN_WINDOW_BLOCKS,
					     sizeof(*plan->window), gfp);
		if (!plan->window)
			goto fail;
		plan_census_start(cc);
		plan_next_block(cc, &pfn);
		return;
	}
	census = kvmalloc_array(nr, sizeof(*census), gfp);
	if (!census)
		goto fail;
	free = plan_census(cc, census, plan->base_pfn, nr);
	if (free < 0)
		goto fail;
	/*
	 * The census is the migrate side's first look at the zone: ftrace
	 * sees it as one isolate_migratepages over the zone that takes
	 * nothing, the counters as migrate-scanned pfns (run_wind_up()).
	 */
	trace_mm_compaction_isolate_migratepages(plan->base_pfn,
						 zone_end_pfn(zone),
						 cc->stats.census_scanned, 0);
	budget = free > PLAN_RESERVE ? free - PLAN_RESERVE : 0;
	plan->nr_sources = cpol_plan_sources(census, nr, budget, plan->sources);
	if (plan->nr_sources)
		plan->end_pfn = min(zone_end_pfn(zone), plan->base_pfn +
				    ((find_last_bit(plan->sources, nr) + 1) <<
				     pageblock_order));
	kvfree(census);
	return;
fail:
	kvfree(census);
	plan_drop(cc);
}

/*
 * May the free scanner take pages from the block at @pfn, of kind @kind,
 * as far as planning goes?  A run that plans never fills a CMA block
 * (cpol_plan_may_fill()), also when it could not make its plan (no memory
 * for the census: it then runs unplanned); a planned run never fills a
 * block it empties.
 */
static bool plan_may_fill(struct compact_control *cc, unsigned long pfn,
			  enum cpol_block_kind kind)
{
	if (run_wants_plan(cc) && !cpol_plan_may_fill(kind))
		return false;
	return !run_is_planned(cc) || !plan_is_source(&cc->plan, pfn);
}

/*
 * Has the migrate scanner's work ended: the scanners met, or, in a planned
 * run, the last chosen block is passed or the targets are used up?
 */
static bool run_scanners_done(struct compact_control *cc,
			      const struct cpol_span *span)
{
	if (run_is_planned(cc))
		return cc->cur.migrate_pfn >= cc->plan.end_pfn ||
		       cc->cur.free_done;
	return cpol_scanners_met(span, cc->cur.migrate_pfn, cc->cur.free_pfn);
}

/* Has the free scanner looked at every block it may take pages from? */
static bool free_scanner_done(struct compact_control *cc,
			      const struct cpol_span *span)
{
	if (run_is_planned(cc))
		return cc->cur.free_done;
	return cpol_scanners_met(span, cc->cur.migrate_pfn, cc->cur.free_pfn);
}

/* ===================================================================== */
/* Free scanner                                                          */
/* ===================================================================== */

/* Move the free scanner to the pageblock below the current one. */
static void free_scanner_step_down(struct compact_control *cc,
				   const struct cpol_span *span)
{
	unsigned long start = cc->cur.free_pfn;

	cache_free_pfn(cc, start);
	/* Below an offline section, go on from the online memory under it. */
	start = online_pfn_down(start, span->start);
	if (start <= span->start) {
		/* The zone is used up: make the scanners meet. */
		cc->cur.free_pfn = span->start;
		cc->cur.free_done = true;
	} else {
		cc->cur.free_pfn = cpol_block_start(span, start - 1);
	}
	cc->cur.free_next = cc->cur.free_pfn;
}

/* Does the run hold a free page of at least @order? */
static bool free_lists_have(struct compact_control *cc, unsigned int order)
{
	for (; order < NR_PAGE_ORDERS; order++)
		if (!list_empty(&cc->freepages[order]))
			return true;
	return false;
}

/*
 * Enough targets: as many free pages as pages waiting to move, and one
 * large enough for the folio at hand.
 */
static bool free_lists_enough(struct compact_control *cc, unsigned int order)
{
	return cc->nr_freepages >= cc->nr_migratepages &&
	       free_lists_have(cc, order);
}

/**
 * enum free_step - how far the free scanner got in a pageblock.
 * @FREE_BLOCK_DONE: the block is used up (or not allowed): move down.
 * @FREE_BLOCK_LEFT: the run has enough; the rest of the block waits.
 * @FREE_STOP:       stop looking for now: contention, a fatal signal, or
 *                   the zone's watermark refused to give more pages.
 */
enum free_step {
	FREE_BLOCK_DONE,
	FREE_BLOCK_LEFT,
	FREE_STOP,
};

/*
 * Take free pages from [cc->cur.free_next, @end) of the free scanner's
 * current pageblock until free_lists_enough() for @order.
 */
static enum free_step free_scanner_take(struct compact_control *cc,
					unsigned long end, unsigned int order)
{
	while (cc->cur.free_next < end) {
		unsigned long stop, next;
		long got;

		stop = min(end, cc->cur.free_next + COMPACT_CHECK_EVERY);
		got = isolate_free_stretch(cc, cc->cur.free_next, stop, false,
					   &next);
		cc->cur.free_next = next;
		if (got < 0)		/* -EAGAIN contended, -EBUSY watermark */
			return FREE_STOP;
		if (free_lists_enough(cc, order))
			return cc->cur.free_next < end ? FREE_BLOCK_LEFT :
							 FREE_BLOCK_DONE;
		if (run_should_stop(cc))
			return FREE_STOP;
	}
	return FREE_BLOCK_DONE;
}

/*
 * Does the free scanner of this run pass pageblocks whose skip hint is set,
 * and set it on those it walks through without finding a free page?  Only
 * an unplanned run (direct compaction) that honours hints.  A failing
 * asynchronous THP fault ends with its scanners met, and the next fault's
 * run starts again at the zone's ends: without the hint, every fault's
 * free scanner walked the same full blocks at the zone's top again (18 to
 * 28 blocks, 8,700 to 14,300 pfns a run, in compaction_thp), as upstream's
 * does not.  The hint then also turns the migrate scanner of such runs
 * away from those blocks, as upstream's: a block without a free page is a
 * dear one to empty.  kswapd clears the hints when it goes to sleep after a
 * direct compaction completed (compact_blockskip_flush).
 */
static bool free_scanner_uses_hints(struct compact_control *cc)
{
	return !run_is_planned(cc) && run_sets_hints(cc) &&
	       !run_rules(cc).ignore_skip;
}

/*
 * Work on the free scanner's current pageblock, resuming where the last
 * call stopped, if the block choice allows it.
 */
static enum free_step free_scanner_work_block(struct compact_control *cc,
					      const struct cpol_span *span,
					      unsigned int order)
{
	unsigned long end = cpol_block_end(span, cc->cur.free_pfn);
	unsigned long from = cc->cur.free_next, had = cc->nr_freepages;
	unsigned long scanned = cc->stats.free_scanned;
	struct cpol_rules rules = run_rules(cc);
	enum free_step step;
	struct page *page;

	page = pageblock_pfn_to_page(cc->cur.free_pfn, end, cc->req.zone);
	if (!page)
		return FREE_BLOCK_DONE;
	if (from == cc->cur.free_pfn) {
		struct cpol_block blk = block_census(page);

		if (!cpol_may_fill(&blk, &rules))
			return FREE_BLOCK_DONE;
		if (!plan_may_fill(cc, cc->cur.free_pfn, blk.kind))
			return FREE_BLOCK_DONE;
		if (blk.skip && free_scanner_uses_hints(cc))
			return FREE_BLOCK_DONE;
	}
	step = free_scanner_take(cc, end, order);
	trace_mm_compaction_isolate_freepages(from, cc->cur.free_next,
					      cc->stats.free_scanned - scanned,
					      cc->nr_freepages - had);
	/* Walked whole without a free page: the next runs pass it by. */
	if (step == FREE_BLOCK_DONE && from == cc->cur.free_pfn &&
	    cc->cur.free_next >= end && cc->nr_freepages == had &&
	    free_scanner_uses_hints(cc))
		set_pageblock_skip(page);
	return step;
}

/* ===================================================================== */
/* Free scanner: straight from the buddy free lists                      */
/* ===================================================================== */

/*
 * Free list entries one search looks at, at most: it holds zone->lock with
 * interrupts off all along.
 */
#define FREE_LIST_LOOK_MAX	(4 * COMPACT_BATCH)

/*
 * The lowest pfn an unplanned run's search may take a target at: half way
 * from the block after the migrate scanner's to the free scanner's block.
 * free_lists_search() then moves the free scanner down to the lowest block
 * it took from, so the migrate scanner, which stops where the scanners
 * meet, never empties a block that received pages.
 */
static unsigned long free_list_floor(struct compact_control *cc)
{
	unsigned long low = pageblock_end_pfn(cc->cur.migrate_pfn);
	unsigned long high = cc->cur.free_pfn;

	if (high <= low)
		return high;
	return max(low, pageblock_start_pfn(high - (high - low) / 2));
}

/*
 * May a free page at @pfn be a target?  Not in a block the run may still
 * empty, nor in one it has emptied: for a planned run, any block but the
 * chosen ones; otherwise blocks from @floor (free_list_floor()) up.
 */
static bool free_list_page_usable(struct compact_control *cc, unsigned long pfn,
				  unsigned long floor)
{
	if (run_is_planned(cc))
		return !plan_is_source(&cc->plan, pageblock_start_pfn(pfn));
	return pageblock_start_pfn(pfn) >= floor;
}

/**
 * struct free_list_pick - what one free_lists_search() has done so far
 * @floor:  the lowest pfn an unplanned run may take a target at.
 * @looked: free list entries looked at from each end, at most
 *          FREE_LIST_LOOK_MAX / 2 from either.
 * @taken:  pages taken.
 * @low:    the lowest pfn taken, ULONG_MAX if none.
 * @high:   one past the highest pfn taken, 0 if none.
 *
 * On the stack of free_lists_search(), under zone->lock.
 */
struct free_list_pick {
	unsigned long floor;
	unsigned long looked[2];
	unsigned long taken, low, high;
};

/* How free_list_take_end() ended. */
enum free_list_end {
	FREE_LIST_STOPPED,	/* enough taken, or this end's budget spent */
	FREE_LIST_WHOLE,	/* every entry of the list looked at */
	FREE_LIST_REFUSED,	/* the zone's watermark refused a page */
};

/*
 * Take usable pages of order @o from one end of @list, until the run has
 * enough for @order or that end's share of the budget is spent.
 */
static enum free_list_end
free_list_take_end(struct compact_control *cc, struct list_head *list,
		   unsigned int o, unsigned int order, bool from_tail,
		   struct free_list_pick *pick)
{
	unsigned long *looked = &pick->looked[from_tail];
	struct page *page, *next;

	page = from_tail ? list_last_entry(list, struct page, buddy_list) :
			   list_first_entry(list, struct page, buddy_list);
	for (; &page->buddy_list != list; page = next) {
		unsigned long pfn = page_to_pfn(page);

		next = from_tail ? list_prev_entry(page, buddy_list) :
				   list_next_entry(page, buddy_list);
		if (*looked >= FREE_LIST_LOOK_MAX / 2 ||
		    free_lists_enough(cc, order))
			return FREE_LIST_STOPPED;
		++*looked;
		if (!free_list_page_usable(cc, pfn, pick->floor))
			continue;
		if (!__isolate_free_page(page, o))
			return FREE_LIST_REFUSED;
		list_add_tail(&page->lru, &cc->freepages[o]);
		cc->nr_freepages += 1U << o;
		pick->taken += 1UL << o;
		pick->low = min(pick->low, pfn);
		pick->high = max(pick->high, pfn + (1UL << o));
	}
	return FREE_LIST_WHOLE;
}

/**
 * free_lists_search() - take targets straight from the zone's free lists.
 * @cc:    the run.
 * @order: the order of the folio that needs a target now.
 *
 * The free scanner's walk reads every pfn of a block to find its free
 * pages, and most of that reading is in vain when the blocks it walks are
 * full.  The buddy allocator's free lists already name every free page.
 * Take small ones (from @order up to, not including, the order the run
 * works towards, and below half a pageblock, which __isolate_free_page()
 * would retype) of movable pageblocks where free_list_page_usable() allows,
 * smallest first: a small free page is a hole in a block that is mostly
 * used, the best place for a moved page.  CMA blocks are not searched.  An
 * unplanned run takes pages down to half way to the migrate scanner and
 * moves its free scanner down to the lowest block it took from: a direct
 * compactor's free scanner often starts at the zone's top block, where a
 * search of that block alone finds little.
 *
 * Each list is read from both ends, half the budget each.  The tail holds
 * the pages freed longest ago; the head those freed last, among them the
 * pages migration has just freed from the blocks being emptied, none of
 * them a target.  But memory freed in one sweep (a process exiting, a
 * range unmapped) leaves its lowest holes at the tail and its highest at
 * the head, and an unplanned run may use only those above its floor: a
 * search of the tail alone found nothing in THP faults on such holes, and
 * the free scanner then walked down from the zone's top over every block
 * the faults before had filled with huge pages.
 * Looks at FREE_LIST_LOOK_MAX entries at most; a search that finds nothing
 * is not tried again in the run.
 *
 * Context: process context, no locks held; takes zone->lock with
 * interrupts off (only a trylock in an asynchronous run).
 */
static void free_lists_search(struct compact_control *cc, unsigned int order)
{
	struct zone *zone = cc->req.zone;
	unsigned int top = min_t(unsigned int, run_rules(cc).keep_order,
				 pageblock_order - 1);
	struct free_list_pick pick = {
		.floor = free_list_floor(cc),
		.low = ULONG_MAX,
	};
	unsigned long flags, looked;
	unsigned int o;

	if (run_is_async(cc)) {
		if (!spin_trylock_irqsave(&zone->lock, flags))
			return;
	} else {
		spin_lock_irqsave(&zone->lock, flags);
	}
	for (o = order; o < top && !free_lists_enough(cc, order); o++) {
		struct list_head *list = &zone->free_area[o].free_list[MIGRATE_MOVABLE];
		enum free_list_end end;

		end = free_list_take_end(cc, list, o, order, true, &pick);
		/* A list shorter than the tail's share was read whole. */
		if (end == FREE_LIST_STOPPED)
			end = free_list_take_end(cc, list, o, order, false,
						 &pick);
		if (end == FREE_LIST_REFUSED)
			break;
	}
	spin_unlock_irqrestore(&zone->lock, flags);
	looked = pick.looked[0] + pick.looked[1];
	cc->stats.list_scanned += looked;
	if (!pick.taken)
		cc->cur.free_lists_off = true;
	else
		count_compact_isolated(pick.taken);
	/* Below the free scanner: it goes on from there, the meeting point too. */
	if (pick.taken && !run_is_planned(cc) && pick.low < cc->cur.free_pfn) {
		cc->cur.free_pfn = pageblock_start_pfn(pick.low);
		cc->cur.free_next = cc->cur.free_pfn;
		cache_free_pfn(cc, cc->cur.free_pfn);
	}
	trace_mm_compaction_fast_isolate_freepages(pick.taken ? pick.low : 0,
						   pick.high, looked, pick.taken);
}

/*
 * Once the run holds a free page for every page waiting to move, one
 * refill for a large folio looks at about this many more blocks for a page
 * large enough; without one, the folio stays where it is.
 */
#define FREE_EXTRA_BLOCKS	8

/**
 * free_scanner_refill() - find free pages for the pages waiting to move.
 * @cc:    the run.
 * @order: the order of the folio that needs a target now.
 *
 * Walks down from the free scanner's pageblock, never into the migrate
 * scanner's, taking free pages from blocks the block choice allows
 * (cpol_may_fill()), until free_lists_enough().  Each block is looked at
 * once per run; the walk for a large target is bounded by
 * FREE_EXTRA_BLOCKS.  Stops at once when the zone's watermark refuses.
 *
 * Context: process context, no locks held.
 */
static void free_scanner_refill(struct compact_control *cc, unsigned int order)
{
	struct cpol_span span = zone_span(cc->req.zone);
	unsigned int extra = 0, blocks = 0;

	if (!cc->cur.free_lists_off) {
		free_lists_search(cc, order);
		if (free_lists_enough(cc, order))
			return;
	}
	while (!free_scanner_done(cc, &span)) {
		if (free_scanner_work_block(cc, &span, order) != FREE_BLOCK_DONE)
			break;
		free_scanner_step_down(cc, &span);
		if (free_lists_enough(cc, order))
			break;
		if (++blocks % COMPACT_SWEEP_CHECK_EVERY == 0 &&
		    run_should_stop(cc))
			break;
		if (cc->nr_freepages >= cc->nr_migratepages &&
		    ++extra > FREE_EXTRA_BLOCKS)
			break;
	}
}

/* ===================================================================== */
/* Migration callbacks                                                   */
/* ===================================================================== */

/* Take a free page of at least @order from the lists and split it down. */
static struct page *free_lists_take(struct compact_control *cc,
				    unsigned int order)
{
	unsigned int have;
	struct page *page;

	for (have = order; have < NR_PAGE_ORDERS; have++)
		if (!list_empty(&cc->freepages[have]))
			break;
	if (have == NR_PAGE_ORDERS)
		return NULL;
	page = list_first_entry(&cc->freepages[have], struct page, lru);
	list_del(&page->lru);
	/* Give the upper halves back to the lower lists. */
	while (have > order) {
		have--;
		list_add(&page[1UL << have].lru, &cc->freepages[have]);
	}
	cc->nr_freepages -= 1U << order;
	return page;
}

/*
 * migrate_pages() asks for a page to move @src into.  Return: a folio of
 * @src's order, allocated-looking, or NULL if the free scanner finds none.
 */
static struct folio *compaction_target_noprof(struct folio *src,
					      unsigned long data)
{
	struct compact_control *cc = (struct compact_control *)data;
	unsigned int order = folio_order(src);
	struct page *page;

	page = free_lists_take(cc, order);
	if (!page) {
		free_scanner_refill(cc, order);
		page = free_lists_take(cc, order);
		if (!page)
			return NULL;
	}
	free_page_take_noprof(page, order);
	if (order)
		prep_compound_page(page, order);
	/* One folio fewer waits for a target. */
	cc->nr_migratepages -= 1U << order;
	return page_rmappable_folio(page);
}

static struct folio *compaction_target(struct folio *src, unsigned long data)
{
	return alloc_hooks(compaction_target_noprof(src, data));
}

/* migrate_pages() did not use a target page: keep it for the next one. */
static void compaction_target_unused(struct folio *dst, unsigned long data)
{
	struct compact_control *cc = (struct compact_control *)data;
	unsigned int order = folio_order(dst);
	struct page *page = &dst->page;

	/* Someone else may hold a reference (a speculative lookup). */
	if (folio_put_testzero(dst) && free_pages_prepare(page, order)) {
		list_add(&page->lru, &cc->freepages[order]);
		cc->nr_freepages += 1U << order;
	}
	cc->nr_migratepages += 1U << order;
}

/*
 * Move the isolated batch.  Pages that could not move go back to where
 * they came from.  Return: migrate_pages()' result.
 */
static int migrate_batch(struct compact_control *cc)
{
	unsigned int nr = cc->nr_migratepages, moved = 0;
	int err;

	err = migrate_pages(&cc->migratepages, compaction_target,
			    compaction_target_unused, (unsigned long)cc,
			    cc->req.mode, MR_COMPACTION, &moved);
	trace_mm_compaction_migratepages(nr, moved);
	cc->stats.migrated += moved;
	if (err) {
		putback_movable_pages(&cc->migratepages);
		cc->stats.failed += nr > moved ? nr - moved : 0;
	}
	cc->nr_migratepages = 0;
	return err;
}

/* ===================================================================== */
/* Completion                                                            */
/* ===================================================================== */

static bool run_is_for_allocation(const struct compact_control *cc)
{
	return cc->req.reason == COMPACT_REASON_DIRECT ||
	       cc->req.reason == COMPACT_REASON_KCOMPACTD;
}

/*
 * Is there a free page of the order asked for that the allocation may
 * take: of its migratetype, CMA for a movable allocation that may use it,
 * or one it would steal by fallback?
 */
static bool zone_has_page_for(struct compact_control *cc)
{
	struct zone *zone = cc->req.zone;
	int mt = cc->req.migratetype;
	unsigned int order;

	for (order = cc->req.order; order < NR_PAGE_ORDERS; order++) {
		struct free_area *area = &zone->free_area[order];
		bool can_steal;

		if (!free_area_empty(area, mt))
			return true;
#ifdef CONFIG_CMA
		if (cpol_cma_serves(block_kind(mt), cc->req.alloc_flags & ALLOC_CMA) &&
		    !free_area_empty(area, MIGRATE_CMA))
			return true;
#endif
		if (find_suitable_fallback(area, order, mt, true,
					   &can_steal) != -1)
			return true;
	}
	return false;
}

/* Has the run reached what its reason asks for? */
static enum compact_result judge_goal(struct compact_control *cc)
{
	struct zone *zone = cc->req.zone;

	switch (cc->req.reason) {
	case COMPACT_REASON_PROACTIVE:
		if (kswapd_busy(zone->zone_pgdat))
			return COMPACT_PARTIAL_SKIPPED;
		/* The zone's own score: the node's weighting is for starting. */
		return extfrag_for_order(zone, score_order()) <= score_marks().low ?
			COMPACT_SUCCESS : COMPACT_CONTINUE;
	case COMPACT_REASON_MANUAL:
	case COMPACT_REASON_CONTIG:
		return COMPACT_CONTINUE;
	case COMPACT_REASON_DIRECT:
	case COMPACT_REASON_KCOMPACTD:
		break;
	}
	/* Finish the pageblock at hand: a half-emptied block invites mixing. */
	if (!pageblock_aligned(cc->cur.migrate_pfn))
		return COMPACT_CONTINUE;
	return zone_has_page_for(cc) ? COMPACT_SUCCESS :
				       COMPACT_NO_SUITABLE_PAGE;
}

/*
 * A windowed plan whose chosen blocks are done, with the page its run
 * wants still missing, takes the next block (of this window or the next
 * one).  Called by compact_zone() at the end of a round, after the batch
 * moved.
 */
static void plan_advance(struct compact_control *cc)
{
	unsigned long pfn;

	if (!run_is_planned(cc) || cc->plan.windows == PLAN_WHOLE_ZONE ||
	    cc->nr_migratepages || cc->cur.free_done || cc->stats.contended ||
	    cc->cur.migrate_pfn < cc->plan.end_pfn)
		return;
	if (judge_goal(cc) == COMPACT_SUCCESS)
		return;
	if (plan_next_block(cc, &pfn))
		cc->cur.migrate_pfn = pfn;
}

/* The verdict before the trace: may be COMPACT_NO_SUITABLE_PAGE. */
static enum compact_result judge_progress(struct compact_control *cc)
{
	struct cpol_span span = zone_span(cc->req.zone);
	enum compact_result res;

	if (run_scanners_done(cc, &span)) {
		/*
		 * A planned run's last block may be the one that reached the
		 * goal: a success, not a zone worked through in vain (kcompactd
		 * backs the zone off after COMPACT_COMPLETE).
		 */
		if (run_is_planned(cc) && judge_goal(cc) == COMPACT_SUCCESS)
			return COMPACT_SUCCESS;
		/*
		 * A planned run used no cached position and leaves them to the
		 * direct compactors (a kcompactd run resetting them between two
		 * faults sent each fault's free scanner back to the zone's top,
		 * through every full block again); after a manual run, as after
		 * upstream's, the next run starts anew.
		 */
		if (run_caches_positions(cc) ||
		    (run_sets_hints(cc) && cc->req.reason == COMPACT_REASON_MANUAL))
			reset_cached_positions(cc->req.zone);
		/* kswapd will forget the skip hints when it is done. */
		if (cc->req.reason == COMPACT_REASON_DIRECT)
			cc->req.zone->compact_blockskip_flush = true;
		return cc->stats.whole_zone ? COMPACT_COMPLETE :
					      COMPACT_PARTIAL_SKIPPED;
	}
	res = judge_goal(cc);
	if (res == COMPACT_SUCCESS || res == COMPACT_PARTIAL_SKIPPED)
		return res;
	if (cc->stats.contended || fatal_signal_pending(current))
		return COMPACT_CONTENDED;
	return res;
}

/**
 * run_finished() - should the run stop, and how did it end?
 * @cc:   the run.
 * @capc: the direct compactor's capture, or NULL.
 *
 * Return: COMPACT_CONTINUE to go on, otherwise the run's result.
 */
static enum compact_result run_finished(struct compact_control *cc,
					struct capture_control *capc)
{
	enum compact_result res;

	if (capc && READ_ONCE(capc->page))
		return COMPACT_SUCCESS;
	res = judge_progress(cc);
	trace_mm_compaction_finished(cc->req.zone, cc->req.order, res);
	return res == COMPACT_NO_SUITABLE_PAGE ? COMPACT_CONTINUE : res;
}

/* ===================================================================== */
/* One run over a zone                                                   */
/* ===================================================================== */

/* Free pageblocks of @zone, counted from its free lists. */
static unsigned long zone_free_blocks(struct zone *zone)
{
	unsigned long nr = 0;
	unsigned int order;

	for (order = pageblock_order; order < NR_PAGE_ORDERS; order++)
		/* Without zone->lock: an estimate for the cost cap. */
		nr += data_race(zone->free_area[order].nr_free) <<
		      (order - pageblock_order);
	return nr;
}

/*
 * The cost cap of a run (cpol_direct_cost_cap()): only a direct
 * compactor's first, asynchronous, try for a page of a pageblock or more,
 * the case where the faulting task waits for every page moved, and only
 * when the cap is below a whole block; 0 (no cap, no block priced) for
 * every other run.
 */
static unsigned long run_cost_cap(struct compact_control *cc)
{
	struct zone *zone = cc->req.zone;
	unsigned long managed, free, blocks, free_blocks, cap;

	if (cc->req.reason != COMPACT_REASON_DIRECT || !run_is_async(cc) ||
	    cc->req.order < (int)pageblock_order)
		return 0;
	managed = zone_managed_pages(zone);
	free = zone_page_state(zone, NR_FREE_PAGES);
	blocks = managed >> pageblock_order;
	free_blocks = zone_free_blocks(zone);
	cap = cpol_direct_cost_cap(managed > free ? managed - free : 0,
				   blocks > free_blocks ? blocks - free_blocks : 0,
				   pageblock_nr_pages);
	/* A cap of a whole block passes nothing by: no block is priced. */
	return cap < pageblock_nr_pages ? cap : 0;
}

/*
 * One pfn in this many is sampled to price a pageblock: 40 of a 512-page
 * block, and 13 is prime to the strides layouts of small pages repeat at.
 */
#define BLOCK_SAMPLE_STRIDE	13

/*
 * The used pages of [@start, @end), by a sample: a sampled page is in use
 * unless it heads a free buddy page or, not being a tail page, has no
 * reference (the rest of a free buddy page); a tail page is part of a
 * large folio and in use.  Read without locks: an estimate.  The sampled
 * pfns count as scanned, also in a block the scanner then reads whole,
 * and are traced as a look at the block that took nothing, so that the
 * trace adds up to compact_migrate_scanned.
 */
static unsigned long block_sampled_used(struct compact_control *cc,
					unsigned long start, unsigned long end)
{
	unsigned int hits = 0, samples = 0;
	unsigned long pfn;

	for (pfn = start; pfn < end; pfn += BLOCK_SAMPLE_STRIDE) {
		struct page *page = pfn_to_page(pfn);

		samples++;
		if (PageBuddy(page))
			continue;
		if (PageTail(page) || page_ref_count(page))
			hits++;
	}
	cc->stats.migrate_scanned += samples;
	trace_mm_compaction_isolate_migratepages(start, end, samples, 0);
	return cpol_sampled_used(hits, samples, end - start);
}

/*
 * Is the block at @start dearer than the run's cost cap?  A block that is
 * one large folio (a huge page) is passed by at no cost to the sample: no
 * run moves it to make another (nor sets its skip hint, which the scan of
 * an uncapped run would).  A dear block is left to the later tries: if the
 * scanners meet with the page still missing, the run ends as any run does,
 * and the next try starts a new pass, or, at the next priority, takes
 * every block.  (Walking the dear blocks again within the run, from the
 * first one passed by, cost the free scanner a walk down over every block
 * the migrate scanner had passed: on compaction_thp under the debug
 * kernel, 57,000 pfns a compacting fault instead of 1,000 to 10,000.)
 */
static bool block_too_dear(struct compact_control *cc, unsigned long start,
			   unsigned long end)
{
	struct page *page = pfn_to_page(start);

	if (PageHead(page) && racy_order(page) >= pageblock_order)
		return true;
	return block_sampled_used(cc, start, end) > cc->cur.cost_cap;
}

/* Phase 1: where the scanners start. */
static void run_place_scanners(struct compact_control *cc)
{
	struct zone *zone = cc->req.zone;
	struct cpol_span span = zone_span(zone);
	unsigned long first_free = cpol_free_scanner_start(&span);
	int sync = !run_is_async(cc);

	cc->cur.free_done = false;
	cc->cur.free_lists_off = false;
	cc->cur.cost_cap = run_cost_cap(cc);
	if (run_is_planned(cc)) {
		/* Both scanners cover the zone: the plan keeps them apart. */
		cc->cur.migrate_pfn = plan_next_source(&cc->plan, span.start);
		cc->cur.free_pfn = first_free;
		cc->cur.free_next = first_free;
		cc->stats.whole_zone = true;
		return;
	}
	if (cc->req.flags & COMPACT_F_WHOLE_ZONE) {
		cc->cur.migrate_pfn = span.start;
		cc->cur.free_pfn = first_free;
	} else {
		unsigned long migrate = zone->compact_cached_migrate_pfn[sync];
		unsigned long free = zone->compact_cached_free_pfn;

		free = cpol_restart_pfn(&span, free, first_free);
		cc->cur.migrate_pfn = cpol_restart_pfn(&span, migrate, span.start);
		cc->cur.free_pfn = cpol_block_start(&span, free);
		/* Stale positions (hotplug moved the zone) are replaced. */
		zone->compact_cached_migrate_pfn[sync] = cc->cur.migrate_pfn;
		zone->compact_cached_free_pfn = cc->cur.free_pfn;
	}
	cc->cur.free_next = cc->cur.free_pfn;
	cc->stats.whole_zone = cc->cur.migrate_pfn == span.start;
}

/* Phase 2 (each round): may the migrate scanner work on this block? */
static bool migrate_block_eligible(struct compact_control *cc,
				   unsigned long start, unsigned long end)
{
	struct cpol_rules rules = run_rules(cc);
	struct cpol_block blk;
	struct page *page;

	if (run_is_planned(cc)) {
		if (!plan_is_source(&cc->plan, start))
			return false;
		/* The census is newer than any skip hint. */
		rules.ignore_skip = true;
	}
	page = pageblock_pfn_to_page(start, end, cc->req.zone);
	if (!page)
		return false;
	blk = block_census(page);
	if (!cpol_may_evacuate(&blk, &rules))
		return false;
	return !cc->cur.cost_cap || !block_too_dear(cc, start, end);
}

/**
 * run_isolate() - the migrate scanner's share of a round.
 * @cc: the run.
 *
 * Walks up from cc->cur.migrate_pfn block by block until it has isolated a
 * batch, or finished a block it isolated something from (now or in an
 * earlier call), or met the free scanner.  Returning at such a block's end
 * is what lets judge_goal() and run_flush_freed(), which act only on a
 * pageblock boundary, see every block the run emptied.  A block looked at
 * whole that yielded nothing gets the skip hint, so later runs pass it by.
 *
 * Return: 0, or a negative errno from isolation.
 */
static int run_isolate(struct compact_control *cc)
{
	struct cpol_span span = zone_span(cc->req.zone);
	unsigned int swept = 0;

	while (!run_scanners_done(cc, &span)) {
		unsigned long pfn = cc->cur.migrate_pfn;
		unsigned long bstart = cpol_block_start(&span, pfn);
		unsigned long bend = cpol_block_end(&span, pfn);
		bool from_start = pfn == bstart;
		long isolated;
		int err;

		if (from_start && !migrate_block_eligible(cc, bstart, bend)) {
			cc->cur.migrate_pfn = run_is_planned(cc) ?
				plan_next_source(&cc->plan, bend) :
				online_pfn_up(bend, span.end);
			cache_migrate_pfn(cc, cc->cur.migrate_pfn);
			if (++swept % COMPACT_SWEEP_CHECK_EVERY == 0 &&
			    run_should_stop(cc))
				return 0;
			continue;
		}
		err = wait_for_isolation_room(cc);
		if (err)
			return err;
		if (!cc->nr_migratepages)
			cc->cur.batch_pfn = bstart;
		cc->cur.migrate_pfn = isolate_migrate_stretch(cc, pfn, bend,
							      &isolated);
		if (isolated < 0)
			return isolated;
		if (cc->cur.migrate_pfn < bend)
			return 0;	/* batch full, or asked to stop */
		cache_migrate_pfn(cc, bend);
		if (from_start && !isolated && run_sets_hints(cc))
			set_pageblock_skip(pfn_to_page(bstart));
		/*
		 * A block pages were taken from (in this call or in an earlier
		 * one, which stopped inside it with a full batch) is done:
		 * return at its end, so that the run flushes what migration
		 * freed there and judges its goal before starting another.
		 */
		if (!from_start || isolated || cc->nr_migratepages ||
		    cc->stats.contended)
			return 0;
		if (run_should_stop(cc))
			return 0;
	}
	return 0;
}

/* Phase 3 (each round): move the batch.  Return: false to stop the run. */
static bool run_migrate(struct compact_control *cc)
{
	unsigned long failed = cc->stats.failed;
	int err;

	if (!cc->nr_migratepages)
		return true;
	err = migrate_batch(cc);
	if (cc->stats.failed != failed)
		uncache_migrate_pfn(cc, cc->cur.batch_pfn);
	/* Out of targets before the scanners met: the zone is full here. */
	if (err == -ENOMEM) {
		struct cpol_span span = zone_span(cc->req.zone);

		if (!run_scanners_done(cc, &span))
			cc->stats.contended = true;
		return false;
	}
	return true;
}

/*
 * Phase 3b: pages freed by migration sit on this CPU's per-CPU lists,
 * where they cannot merge.  Once the migrate scanner is done with a block
 * it moved pages out of, flush them to the buddy allocator so the block can
 * merge (and a waiting allocation capture it).
 */
static void run_flush_freed(struct compact_control *cc,
			    unsigned long *migrated_at_flush)
{
	if (cc->stats.migrated == *migrated_at_flush ||
	    !pageblock_aligned(cc->cur.migrate_pfn))
		return;
	lru_add_drain_cpu_zone(cc->req.zone);
	*migrated_at_flush = cc->stats.migrated;
}

/* Phase 4: give back what the run still holds, and remember positions. */
static void run_wind_up(struct compact_control *cc)
{
	unsigned long high;

	if (cc->nr_migratepages) {
		putback_movable_pages(&cc->migratepages);
		cc->nr_migratepages = 0;
	}
	high = free_lists_release(cc);
	count_vm_events(COMPACTMIGRATE_SCANNED,
			cc->stats.migrate_scanned + cc->stats.census_scanned);
	count_vm_events(COMPACTFREE_SCANNED,
			cc->stats.free_scanned + cc->stats.list_scanned);
	if (cc->req.reason == COMPACT_REASON_KCOMPACTD ||
	    cc->req.reason == COMPACT_REASON_PROACTIVE) {
		count_vm_events(KCOMPACTD_MIGRATE_SCANNED,
				cc->stats.migrate_scanned +
				cc->stats.census_scanned);
		count_vm_events(KCOMPACTD_FREE_SCANNED,
				cc->stats.free_scanned + cc->stats.list_scanned);
	}
	/* Free pages given back above the cached start must be found again. */
	if (high && run_caches_positions(cc) &&
	    high > cc->req.zone->compact_cached_free_pfn)
		cc->req.zone->compact_cached_free_pfn = pageblock_start_pfn(high);
}

/**
 * compact_zone() - run compaction over one zone.
 * @cc:   the run, with cc->req filled in.
 * @capc: where the allocator drops a captured page, or NULL.
 *
 * Phases: judge the zone (allocation runs only), place the scanners, then
 * rounds of isolate, migrate and flush until run_finished() says stop,
 * then wind up.
 *
 * Context: process context, no locks held; may sleep unless asynchronous.
 * Return: how the run ended (enum compact_result).
 */
static enum compact_result compact_zone(struct compact_control *cc,
					struct capture_control *capc)
{
	struct zone *zone = cc->req.zone;
	unsigned long zstart = zone->zone_start_pfn, zend = zone_end_pfn(zone);
	unsigned long migrated_at_flush = 0;
	bool sync = !run_is_async(cc);
	enum compact_result res;

	INIT_LIST_HEAD(&cc->migratepages);
	cc->nr_migratepages = 0;
	free_lists_init(cc);
	memset(&cc->stats, 0, sizeof(cc->stats));
	memset(&cc->plan, 0, sizeof(cc->plan));

	if (run_is_for_allocation(cc)) {
		res = judge_zone_for_order(zone, cc->req.order,
					   cc->req.highest_zoneidx,
					   cc->req.alloc_flags);
		if (res != COMPACT_CONTINUE)
			return res;
		if (compaction_restarting(zone, cc->req.order))
			zone_forget_hints(zone);
	}
	/* Folios still in per-CPU batches are not on the LRU yet. */
	lru_add_drain();
	if (run_wants_plan(cc))
		plan_make(cc);
	run_place_scanners(cc);
	trace_mm_compaction_begin(zstart, cc->cur.migrate_pfn, cc->cur.free_pfn,
				  zend, sync);

	while ((res = run_finished(cc, capc)) == COMPACT_CONTINUE) {
		int err = run_isolate(cc);

		if (err == -EINTR || err == -ENOMEM) {
			res = COMPACT_CONTENDED;
			break;
		}
		if (!run_migrate(cc)) {
			res = run_finished(cc, capc);
			if (res == COMPACT_CONTINUE)
				res = COMPACT_CONTENDED;
			break;
		}
		run_flush_freed(cc, &migrated_at_flush);
		plan_advance(cc);
		if (err == -EAGAIN && run_is_async(cc)) {
			res = COMPACT_CONTENDED;
			break;
		}
	}
	run_wind_up(cc);
	plan_drop(cc);
	trace_mm_compaction_end(zstart, cc->cur.migrate_pfn, cc->cur.free_pfn,
				zend, sync, res);
	return res;
}

/* ===================================================================== */
/* Direct compaction                                                     */
/* ===================================================================== */

/* How hard a direct compactor of priority @prio works. */
static void request_for_priority(struct compact_request *req,
				 enum compact_priority prio)
{
	req->prio = prio;
	req->mode = prio == COMPACT_PRIO_ASYNC ? MIGRATE_ASYNC :
						 MIGRATE_SYNC_LIGHT;
	req->flags = 0;
	/* The last priority looks everywhere. */
	if (prio == MIN_COMPACT_PRIORITY)
		req->flags = COMPACT_F_WHOLE_ZONE | COMPACT_F_IGNORE_SKIP |
			     COMPACT_F_ANY_TARGET;
}

/*
 * Compact one zone for an allocation, with the capture hook published for
 * the time of the run.  *@capture gets the captured page, if any.
 */
static enum compact_result
compact_zone_for_alloc(struct zone *zone, int order, gfp_t gfp_mask,
		       enum compact_priority prio, unsigned int alloc_flags,
		       int highest_zoneidx, struct page **capture)
{
	struct compact_control cc = {
		.req = {
			.zone = zone,
			.gfp_mask = gfp_mask,
			.order = order,
			.migratetype = gfp_migratetype(gfp_mask),
			.alloc_flags = alloc_flags,
			.highest_zoneidx = highest_zoneidx,
			.reason = COMPACT_REASON_DIRECT,
		},
	};
	struct capture_control capc = {
		.zone = zone,
		.order = order,
		.migratetype = cc.req.migratetype,
	};
	enum compact_result res;

	request_for_priority(&cc.req, prio);
	/* The free path reads this from interrupts too: publish it whole. */
	barrier();
	WRITE_ONCE(current->capture_control, &capc);
	res = compact_zone(&cc, &capc);
	/* Hide the hook before reading the page, or an IRQ could leak one. */
	WRITE_ONCE(current->capture_control, NULL);
	barrier();
	*capture = READ_ONCE(capc.page);
	/* A page caught out of luck still counts as success for the stats. */
	return *capture ? COMPACT_SUCCESS : res;
}

/* Is @zone outside the allocating task's cpuset? */
static bool zone_forbidden(struct zone *zone, gfp_t gfp_mask,
			   unsigned int alloc_flags)
{
	if (!cpusets_enabled() || !(alloc_flags & ALLOC_CPUSET))
		return false;
	return !__cpuset_zone_allowed(zone, gfp_mask);
}

/*
 * Remember how a direct run ended in the zone's backoff: success (likely,
 * not certain: the caller confirms once the allocation succeeds) opens the
 * zone again; a synchronous run through the zone without success widens
 * the window.  Asynchronous runs prove too little to defer on.
 */
static void note_direct_outcome(struct zone *zone, int order,
				enum compact_priority prio,
				enum compact_result res)
{
	if (res == COMPACT_SUCCESS)
		compaction_defer_reset(zone, order, false);
	else if (prio != COMPACT_PRIO_ASYNC &&
		 (res == COMPACT_COMPLETE || res == COMPACT_PARTIAL_SKIPPED))
		defer_compaction(zone, order);
}

/* Stop going down the zonelist: done, dying, or async and due to yield. */
static bool direct_should_stop(enum compact_priority prio,
			       enum compact_result res)
{
	if (res == COMPACT_SUCCESS || fatal_signal_pending(current))
		return true;
	return prio == COMPACT_PRIO_ASYNC && need_resched();
}

/**
 * try_to_compact_pages() - direct compaction for an allocation.
 * @gfp_mask:    the allocation's gfp mask.
 * @order:       its order.
 * @alloc_flags: its ALLOC_* flags.
 * @ac:          its context (zonelist, nodemask, highest zone).
 * @prio:        how hard to try (async, sync-light, sync-full).
 * @capture:     out: a page captured for the caller, or unchanged.
 *
 * Compacts the zones of the zonelist in order, skipping deferred zones
 * (except at the last priority), until one ends with a page for the
 * allocation.  Synchronous runs that went through a zone without success
 * defer it.  Stops early on a fatal signal, or on need_resched() when
 * asynchronous.
 *
 * Context: process context, may sleep (unless the priority is async).
 * Return: the best result over the zones tried, as should_compact_retry()
 * reads it: SKIPPED if none was tried, DEFERRED, ..., SUCCESS.
 */
enum compact_result try_to_compact_pages(gfp_t gfp_mask, unsigned int order,
					 unsigned int alloc_flags,
					 const struct alloc_context *ac,
					 enum compact_priority prio,
					 struct page **capture)
{
	enum compact_result best = COMPACT_SKIPPED, res;
	struct zoneref *zref;
	struct zone *zone;

	if (!gfp_compaction_allowed(gfp_mask))
		return COMPACT_SKIPPED;
	trace_mm_compaction_try_to_compact_pages(order, gfp_mask, prio);

	for_each_zone_zonelist_nodemask(zone, zref, ac->zonelist,
					ac->highest_zoneidx, ac->nodemask) {
		if (zone_forbidden(zone, gfp_mask, alloc_flags))
			continue;
		/* The last priority goes everywhere, deferred or not. */
		if (prio > MIN_COMPACT_PRIORITY &&
		    compaction_deferred(zone, order)) {
			best = max(best, COMPACT_DEFERRED);
			continue;
		}
		res = compact_zone_for_alloc(zone, order, gfp_mask, prio,
					     alloc_flags, ac->highest_zoneidx,
					     capture);
		best = max(best, res);
		note_direct_outcome(zone, order, prio, res);
		if (direct_should_stop(prio, res))
			break;
	}
	return best;
}

/* ===================================================================== */
/* Whole-node compaction: manual and proactive                           */
/* ===================================================================== */

/*
 * A run over all of @zone, not for an allocation: manual (may block on
 * writeback: the admin asked) or proactive (kcompactd, lighter).
 */
static struct compact_request whole_zone_request(struct zone *zone,
						 enum compact_reason reason)
{
	return (struct compact_request) {
		.zone = zone,
		.gfp_mask = GFP_KERNEL,
		.order = -1,
		.migratetype = MIGRATE_MOVABLE,
		.highest_zoneidx = MAX_NR_ZONES - 1,
		.mode = reason == COMPACT_REASON_PROACTIVE ? MIGRATE_SYNC_LIGHT :
							     MIGRATE_SYNC,
		.reason = reason,
		.flags = COMPACT_F_WHOLE_ZONE | COMPACT_F_IGNORE_SKIP,
	};
}

/**
 * compact_node() - compact every zone of a node.
 * @pgdat:  the node.
 * @reason: COMPACT_REASON_MANUAL (every zone, through and through) or
 *          COMPACT_REASON_PROACTIVE (each zone down to the low score mark).
 *
 * Context: process context, may sleep.
 * Return: 0, or -EINTR if a fatal signal was pending before a zone.
 */
static int compact_node(pg_data_t *pgdat, enum compact_reason reason)
{
	int i;

	for (i = 0; i < MAX_NR_ZONES; i++) {
		struct compact_control cc = {
			.req = whole_zone_request(&pgdat->node_zones[i], reason),
		};

		if (!populated_zone(cc.req.zone))
			continue;
		if (fatal_signal_pending(current))
			return -EINTR;
		compact_zone(&cc, NULL);
	}
	return 0;
}

/*
 * Compact every online node, as /proc/sys/vm/compact_memory asks.
 * Return: 0, or -EINTR as compact_node() returns it.
 */
static int compact_all_nodes(void)
{
	int nid, err = 0;

	/* Folios in other CPUs' LRU batches cannot be isolated. */
	lru_add_drain_all();
	for (nid = first_online_node; nid < MAX_NUMNODES && !err;
	     nid = next_online_node(nid))
		err = compact_node(NODE_DATA(nid), COMPACT_REASON_MANUAL);
	return err;
}

#if defined(CONFIG_SYSFS) && defined(CONFIG_NUMA)
/* Compact node @nid through and through.  Return: 0 or -errno. */
static int compact_node_manually(int nid)
{
	if (nid < 0 || nid >= nr_node_ids || !node_online(nid))
		return -ENODEV;
	lru_add_drain_all();
	return compact_node(NODE_DATA(nid), COMPACT_REASON_MANUAL);
}

/* /sys/devices/system/node/nodeN/compact: write anything to compact. */
static ssize_t compact_store(struct device *dev, struct device_attribute *attr,
			     const char *buf, size_t count)
{
	int err = compact_node_manually(dev->id);

	return err ?: count;
}

static struct device_attribute dev_attr_compact = __ATTR_WO(compact);

/**
 * compaction_register_node() - add the compact file to a node's directory.
 * @node: the node device.
 *
 * Return: 0 or a negative errno from device_create_file().
 */
int compaction_register_node(struct node *node)
{
	struct device *dev = &node->dev;

	return device_create_file(dev, &dev_attr_compact);
}

/**
 * compaction_unregister_node() - remove the node's compact file.
 * @node: the node device.
 */
void compaction_unregister_node(struct node *node)
{
	struct device *dev = &node->dev;

	device_remove_file(dev, &dev_attr_compact);
}
#endif /* per-node compact file: CONFIG_SYSFS && CONFIG_NUMA */

/* ===================================================================== */
/* kcompactd                                                             */
/* ===================================================================== */

static bool kcompactd_has_work(pg_data_t *pgdat)
{
	return READ_ONCE(pgdat->kcompactd_max_order) > 0 ||
	       kthread_should_stop() ||
	       READ_ONCE(pgdat->proactive_compact_trigger);
}

/* Would compacting some zone of @pgdat help an allocation of its order? */
static bool kcompactd_node_suitable(pg_data_t *pgdat)
{
	int order = READ_ONCE(pgdat->kcompactd_max_order);
	int highest = READ_ONCE(pgdat->kcompactd_highest_zoneidx);
	int i;

	for (i = 0; i <= highest; i++) {
		struct zone *zone = &pgdat->node_zones[i];

		if (!populated_zone(zone))
			continue;
		if (judge_zone_for_order(zone, order, highest,
					 ALLOC_WMARK_MIN) == COMPACT_CONTINUE)
			return true;
	}
	return false;
}

/* Compact the node for the order kswapd asked for. */
static void kcompactd_compact_for_order(pg_data_t *pgdat)
{
	int order = READ_ONCE(pgdat->kcompactd_max_order);
	int highest = READ_ONCE(pgdat->kcompactd_highest_zoneidx);
	int i;

	trace_mm_compaction_kcompactd_wake(pgdat->node_id, order, highest);
	count_vm_event(KCOMPACTD_WAKE);

	for (i = 0; i <= highest; i++) {
		struct compact_control cc = {
			.req = {
				.zone = &pgdat->node_zones[i],
				.gfp_mask = GFP_KERNEL,
				.order = order,
				.migratetype = MIGRATE_MOVABLE,
				.alloc_flags = ALLOC_WMARK_MIN,
				.highest_zoneidx = highest,
				.mode = MIGRATE_SYNC_LIGHT,
				.reason = COMPACT_REASON_KCOMPACTD,
			},
		};
		enum compact_result res;

		if (!populated_zone(cc.req.zone) ||
		    compaction_deferred(cc.req.zone, order))
			continue;
		if (kthread_should_stop())
			return;
		res = compact_zone(&cc, NULL);
		if (res == COMPACT_SUCCESS) {
			compaction_defer_reset(cc.req.zone, order, false);
		} else if (res == COMPACT_COMPLETE ||
			   res == COMPACT_PARTIAL_SKIPPED) {
			/* Pages freed on other CPUs may merge into the order. */
			drain_all_pages(cc.req.zone);
			defer_compaction(cc.req.zone, order);
		}
	}

	/* Done with this request unless a larger one came in meanwhile. */
	if (READ_ONCE(pgdat->kcompactd_max_order) <= order)
		WRITE_ONCE(pgdat->kcompactd_max_order, 0);
	if (READ_ONCE(pgdat->kcompactd_highest_zoneidx) >= highest)
		WRITE_ONCE(pgdat->kcompactd_highest_zoneidx, pgdat->nr_zones - 1);
}

/**
 * kcompactd_proactive_round() - one look at the node's fragmentation score.
 * @pgdat: the node.
 *
 * Compacts the node if its score is above the high mark.
 *
 * Return: false if it compacted and the score did not go down, in which
 * case kcompactd backs off; true otherwise (including nothing to do).
 */
static bool kcompactd_proactive_round(pg_data_t *pgdat)
{
	unsigned int before, after;

	if (!node_wants_proactive(pgdat))
		return true;
	before = node_score(pgdat);
	compact_node(pgdat, COMPACT_REASON_PROACTIVE);
	after = node_score(pgdat);
	return after < before;
}

/* Sleep until there is work or @timeout passes.  Return: true if asked. */
static bool kcompactd_wait_for_work(pg_data_t *pgdat, long timeout)
{
	/* Without proactive work there is nothing to wake up for. */
	if (!READ_ONCE(sysctl_compaction_proactiveness))
		timeout = MAX_SCHEDULE_TIMEOUT;
	trace_mm_compaction_kcompactd_sleep(pgdat->node_id);
	return wait_event_freezable_timeout(pgdat->kcompactd_wait,
					    kcompactd_has_work(pgdat), timeout);
}

/* kswapd's request; the time it takes counts as a memory stall. */
static void kcompactd_serve_kswapd(pg_data_t *pgdat)
{
	unsigned long pflags;

	psi_memstall_enter(&pflags);
	kcompactd_compact_for_order(pgdat);
	psi_memstall_leave(&pflags);
}

/**
 * kcompactd() - the per-node compaction thread.
 * @p: the node (pg_data_t).
 *
 * Sleeps until kswapd asks for an order (wakeup_kcompactd()), a write to
 * vm.compaction_proactiveness pokes it, or its period passes; then does
 * the work asked, or a proactive round.  With proactive compaction off it
 * sleeps without a timeout; after a proactive round that did not lower the
 * score it sleeps 64 periods, so it never spins on a node it cannot help.
 *
 * Context: kernel thread, freezable.
 * Return: 0 when stopped.
 */
static int kcompactd(void *p)
{
	pg_data_t *pgdat = p;
	const long period = msecs_to_jiffies(KCOMPACTD_PERIOD_MS);
	long timeout = period;

	current->flags |= PF_KCOMPACTD;
	set_freezable();
	WRITE_ONCE(pgdat->kcompactd_max_order, 0);
	WRITE_ONCE(pgdat->kcompactd_highest_zoneidx, pgdat->nr_zones - 1);

	while (!kthread_should_stop()) {
		bool asked = kcompactd_wait_for_work(pgdat, timeout);

		if (kthread_should_stop())
			break;
		timeout = period;
		if (asked && READ_ONCE(pgdat->kcompactd_max_order) &&
		    !READ_ONCE(pgdat->proactive_compact_trigger)) {
			kcompactd_serve_kswapd(pgdat);
			continue;
		}
		if (!kcompactd_proactive_round(pgdat))
			timeout = period << CPOL_MAX_BACKOFF_SHIFT;
		WRITE_ONCE(pgdat->proactive_compact_trigger, false);
	}
	current->flags &= ~PF_KCOMPACTD;
	return 0;
}

/**
 * wakeup_kcompactd() - ask a node's kcompactd to compact for an order.
 * @pgdat:           the node.
 * @order:           the order kswapd reclaimed for; 0 does nothing.
 * @highest_zoneidx: the highest zone of the allocation.
 *
 * Records the largest order and the lowest highest-zone asked for since
 * kcompactd last ran,
 * and wakes it if it sleeps and some zone is worth compacting.
 *
 * Context: kswapd, or an allocation through wakeup_kswapd(), possibly
 * atomic; does not sleep.
 */
void wakeup_kcompactd(pg_data_t *pgdat, int order, int highest_zoneidx)
{
	if (order <= 0)
		return;
	/* Widen the pending request: the largest order, the lowest zone. */
	WRITE_ONCE(pgdat->kcompactd_max_order,
		   max(pgdat->kcompactd_max_order, order));
	WRITE_ONCE(pgdat->kcompactd_highest_zoneidx,
		   min_t(int, pgdat->kcompactd_highest_zoneidx, highest_zoneidx));
	/*
	 * A kcompactd at work sees the request when it is done (the sleeper
	 * check pairs with the barrier in its wait); wake a sleeping one only
	 * if compacting could help.
	 */
	if (wq_has_sleeper(&pgdat->kcompactd_wait) &&
	    kcompactd_node_suitable(pgdat)) {
		trace_mm_compaction_wakeup_kcompactd(pgdat->node_id, order,
						     highest_zoneidx);
		wake_up_interruptible(&pgdat->kcompactd_wait);
	}
}

/**
 * kcompactd_run() - start a node's kcompactd.
 * @nid: the node.
 *
 * Called at boot and when memory is onlined.  Failing to start it is
 * reported and otherwise harmless: direct compaction still works.
 *
 * Context: process context, may sleep; memory hotplug lock held on hotplug.
 */
void __meminit kcompactd_run(int nid)
{
	pg_data_t *pgdat = NODE_DATA(nid);
	struct task_struct *t;

	if (pgdat->kcompactd)
		return;
	t = kthread_create_on_node(kcompactd, pgdat, nid, "kcompactd%d", nid);
	if (IS_ERR(t)) {
		pr_err("Failed to start kcompactd on node %d\n", nid);
		return;
	}
	if (!cpumask_empty(cpumask_of_node(nid)))
		set_cpus_allowed_ptr(t, cpumask_of_node(nid));
	pgdat->kcompactd = t;
	wake_up_process(t);
}

/**
 * kcompactd_stop() - stop a node's kcompactd.
 * @nid: the node.
 *
 * Called when the node's last memory goes offline.
 *
 * Context: process context, may sleep.
 */
void __meminit kcompactd_stop(int nid)
{
	struct task_struct *t = NODE_DATA(nid)->kcompactd;

	if (t) {
		kthread_stop(t);
		NODE_DATA(nid)->kcompactd = NULL;
	}
}

/* A CPU came online: keep each kcompactd on its node's CPUs. */
static void kcompactd_follow_node_cpus(pg_data_t *pgdat)
{
	const struct cpumask *cpus = cpumask_of_node(pgdat->node_id);

	if (pgdat->kcompactd && cpumask_intersects(cpus, cpu_online_mask))
		set_cpus_allowed_ptr(pgdat->kcompactd, cpus);
}

static int kcompactd_cpu_online(unsigned int cpu)
{
	int nid;

	for_each_node_state(nid, N_MEMORY)
		kcompactd_follow_node_cpus(NODE_DATA(nid));
	return 0;
}

/* ===================================================================== */
/* Sysctls                                                               */
/* ===================================================================== */

/*
 * All compaction knobs go through here.  The value is parsed into a
 * private copy and range-checked by proc_dointvec_minmax() against the
 * table's extra1/extra2; only when it is whole and in range is it stored,
 * and then the knob's action runs.  So a bad write returns -EINVAL and
 * changes nothing, and a write with no number in it is bad too.
 *
 * A write at a non-zero file position (a second write(2) on the same open
 * file) is ignored, as for every integer sysctl under the default
 * kernel.sysctl_writes_strict: nothing is stored and nothing runs.
 *
 * Return: 1 if a value was stored in *@val, 0 if the write was ignored,
 * or a negative errno.
 */
static int compaction_knob_store(const struct ctl_table *table, int write,
				 void *buffer, size_t *lenp, loff_t *ppos,
				 int *val)
{
	struct ctl_table tmp = *table;
	bool at_start = *ppos == 0;
	int err;

	*val = INT_MIN;
	tmp.data = val;
	err = proc_dointvec_minmax(&tmp, write, buffer, lenp, ppos);
	if (err)
		return err;
	if (*val != INT_MIN)
		return 1;
	return at_start ? -EINVAL : 0;
}

/* Wake a node's kcompactd for a proactive round now (order -1). */
static void kcompactd_poke(pg_data_t *pgdat)
{
	if (READ_ONCE(pgdat->proactive_compact_trigger))
		return;		/* poked already, round not done yet */
	WRITE_ONCE(pgdat->proactive_compact_trigger, true);
	trace_mm_compaction_wakeup_kcompactd(pgdat->node_id, -1,
					     pgdat->nr_zones - 1);
	wake_up_interruptible(&pgdat->kcompactd_wait);
}

/* A raised proactiveness should act now, not at the next period. */
static void kcompactd_poke_all(void)
{
	int nid;

	for_each_online_node(nid)
		kcompactd_poke(NODE_DATA(nid));
}

static int compaction_knob_handler(const struct ctl_table *table, int write,
				   void *buffer, size_t *lenp, loff_t *ppos)
{
	int *knob = table->data;
	int val, err;

	if (!write)
		return proc_dointvec_minmax(table, write, buffer, lenp, ppos);
	err = compaction_knob_store(table, write, buffer, lenp, ppos, &val);
	if (err <= 0)
		return err;

	if (knob == &sysctl_compact_unevictable_allowed &&
	    IS_ENABLED(CONFIG_PREEMPT_RT) && val != *knob)
		pr_warn_once("sysctl attribute %s changed by %s[%d]\n",
			     table->procname, current->comm,
			     task_pid_nr(current));
	WRITE_ONCE(*knob, val);

	if (knob == &sysctl_compact_memory)
		return compact_all_nodes();
	if (knob == (int *)&sysctl_compaction_proactiveness && val)
		kcompactd_poke_all();
	return 0;
}

/*
 * One knob: its name, variable, permissions and inclusive range.  Every
 * knob goes through compaction_knob_handler().
 */
#define COMPACTION_KNOB(_name, _var, _mode, _min, _max) {		\
	.procname	= _name,					\
	.data		= &(_var),					\
	.maxlen		= sizeof(_var),					\
	.mode		= (_mode),					\
	.proc_handler	= compaction_knob_handler,			\
	.extra1		= (_min),					\
	.extra2		= (_max),					\
}

static struct ctl_table vm_compaction[] = {
	COMPACTION_KNOB("compact_memory", sysctl_compact_memory, 0200,
			SYSCTL_ONE, SYSCTL_ONE),
	COMPACTION_KNOB("compaction_proactiveness",
			sysctl_compaction_proactiveness, 0644,
			SYSCTL_ZERO, SYSCTL_ONE_HUNDRED),
	COMPACTION_KNOB("extfrag_threshold", sysctl_extfrag_threshold, 0644,
			SYSCTL_ZERO, SYSCTL_ONE_THOUSAND),
	COMPACTION_KNOB("compact_unevictable_allowed",
			sysctl_compact_unevictable_allowed, 0644,
			SYSCTL_ZERO, SYSCTL_ONE),
};

/* ===================================================================== */
/* Init                                                                  */
/* ===================================================================== */

/* The knobs first: they work without kcompactd. */
static int __init compaction_init(void)
{
	int nid, err;

	register_sysctl_init("vm", vm_compaction);
	err = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN,
					"mm/compaction:online",
					kcompactd_cpu_online, NULL);
	if (err < 0) {
		pr_err("kcompactd: no CPU hotplug callback (%d), not started\n",
		       err);
		return err;
	}
	for_each_node_state(nid, N_MEMORY)
		kcompactd_run(nid);
	return 0;
}
subsys_initcall(compaction_init);

#ifdef CONFIG_COMPACTION_KUNIT_TEST
#include "tests/compaction-kunit.h"
#include "tests/compaction-rules-kunit.h"
#endif

#endif /* CONFIG_COMPACTION */
