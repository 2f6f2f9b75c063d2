/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The state of one compaction run, shared by the engine (mm/compaction.c)
 * and its two outside users in mm/page_alloc.c: alloc_contig_range(), which
 * drives the scanners over a pfn range of its own, and the buddy allocator's
 * free path, which hands a freshly merged page straight to a waiting direct
 * compactor (capture).
 *
 * A run is described by three parts that change at different times:
 *
 *   struct compact_request  what is asked, by whom and how hard; set up
 *                           once by the caller and never changed by the
 *                           engine (except gfp_mask by alloc_contig_range
 *                           before the run starts).
 *   struct compact_cursor   where the two scanners are.
 *   struct compact_stats    what the run did, for counters and tracepoints.
 *
 * plus the two page lists the scanners fill.
 *
 * Lock legend for every field below:
 *   (c)  constant for the whole run
 *   (r)  private to the task doing the run: no lock
 *   (z)  written under zone->lock by the free path (capture only)
 */
#ifndef _MM_COMPACTION_CONTROL_H
#define _MM_COMPACTION_CONTROL_H

#include <linux/compaction.h>
#include <linux/list.h>
#include <linux/migrate_mode.h>
#include <linux/mmzone.h>

/**
 * enum compact_reason - who asked for a compaction run.
 * @COMPACT_REASON_DIRECT:    an allocation in its slow path
 *                            (try_to_compact_pages()).
 * @COMPACT_REASON_KCOMPACTD: kcompactd, woken by kswapd for an order.
 * @COMPACT_REASON_PROACTIVE: kcompactd on its own, because the node's
 *                            fragmentation score is above the watermark
 *                            set by vm.compaction_proactiveness.
 * @COMPACT_REASON_MANUAL:    a write to /proc/sys/vm/compact_memory or to
 *                            /sys/devices/system/node/nodeN/compact.
 * @COMPACT_REASON_CONTIG:    alloc_contig_range() (CMA, gigantic pages),
 *                            which uses the scanners but not the zone loop.
 *
 * The reason decides when a run is finished (an order to satisfy, a score
 * to reach, or the whole zone) and which counters it feeds.
 */
enum compact_reason {
	COMPACT_REASON_DIRECT,
	COMPACT_REASON_KCOMPACTD,
	COMPACT_REASON_PROACTIVE,
	COMPACT_REASON_MANUAL,
	COMPACT_REASON_CONTIG,
};

/*
 * Request flags, in compact_request.flags.
 *
 * COMPACT_F_WHOLE_ZONE: start both scanners at the zone's ends rather than
 *	where the last run left them.
 * COMPACT_F_IGNORE_SKIP: scan pageblocks that carry the skip hint.
 * COMPACT_F_NO_SET_SKIP: leave skip hints and the zone's cached scanner
 *	positions alone (the run covers a range that is not the zone's).
 * COMPACT_F_ANY_TARGET: the free scanner may take free pages from
 *	pageblocks of any migratetype, not only movable ones.
 */
#define COMPACT_F_WHOLE_ZONE	BIT(0)
#define COMPACT_F_IGNORE_SKIP	BIT(1)
#define COMPACT_F_NO_SET_SKIP	BIT(2)
#define COMPACT_F_ANY_TARGET	BIT(3)

/**
 * struct compact_request - what a compaction run is asked to do.
 * @zone:            (c) the zone to compact.
 * @gfp_mask:        (c) the allocation's gfp mask; decides which pages may
 *                   be moved (no file pages without __GFP_FS).
 * @order:           (c) the order wanted; -1 for runs that are not for an
 *                   allocation (manual, proactive, contig), as the
 *                   tracepoints have always shown it.
 * @migratetype:     (c) migratetype of the allocation.
 * @alloc_flags:     (c) ALLOC_* flags of the allocation (watermark choice).
 * @highest_zoneidx: (c) highest zone the allocation may use.
 * @prio:            (c) the direct compactor's priority.
 * @mode:            (c) how migration may block.
 * @reason:          (c) who asked.
 * @flags:           (c) COMPACT_F_* bits.
 */
struct compact_request {
	struct zone *zone;
	gfp_t gfp_mask;
	int order;
	int migratetype;
	unsigned int alloc_flags;
	int highest_zoneidx;
	enum compact_priority prio;
	enum migrate_mode mode;
	enum compact_reason reason;
	unsigned int flags;
};

/**
 * struct compact_cursor - where the scanners are.
 * @migrate_pfn: (r) next pfn the migrate scanner looks at; it moves up.
 *               alloc_contig_range() reads it after
 *               isolate_migratepages_range().
 * @free_pfn:    (r) first pfn of the pageblock the free scanner works on;
 *               it moves down, a pageblock at a time.
 * @free_next:   (r) next pfn to look at inside that pageblock.
 * @batch_pfn:   (r) first pfn of the pageblock the batch waiting to move
 *               began in: where the next run must look again if a page of
 *               it fails to move.
 * @free_done:   (r) planned runs: the free scanner has walked the zone.
 * @free_lists_off: (r) a search of the buddy free lists for targets found
 *               nothing: the run walks pageblocks only.
 * @cost_cap:    (r) the most used pages a block the migrate scanner empties
 *               may hold, by a sample (cpol_direct_cost_cap()); 0: no cap.
 *
 * Invariant while a run goes on: the free scanner's pageblock lies
 * strictly above the migrate scanner's (see cpol_scanners_met()).
 */
struct compact_cursor {
	unsigned long migrate_pfn;
	unsigned long free_pfn;
	unsigned long free_next;
	unsigned long batch_pfn;
	bool free_done;
	bool free_lists_off;
	unsigned long cost_cap;
};

/**
 * struct compact_stats - what a run did.
 * @migrate_scanned: (r) pfns the migrate scanner looked at.
 * @census_scanned:  (r) pfns a planned run's census looked at; counted
 *                   with @migrate_scanned in compact_migrate_scanned.
 * @free_scanned:    (r) pfns the free scanner's walk looked at.
 * @list_scanned:    (r) free list entries its searches looked at; counted
 *                   with @free_scanned in compact_free_scanned.
 * @migrated:        (r) pages migrate_pages() moved.
 * @failed:          (r) pages it could not move.
 * @contended:       (r) the run stopped early: lock contention or
 *                   need_resched() in async mode, a fatal signal,
 *                   migration out of targets before the scanners met, or
 *                   too many pages of the node isolated for too long.
 * @whole_zone:      (r) the migrate scanner started at the zone's start,
 *                   so meeting the free scanner means the zone is done.
 */
struct compact_stats {
	unsigned long migrate_scanned;
	unsigned long census_scanned;
	unsigned long free_scanned;
	unsigned long list_scanned;
	unsigned long migrated;
	unsigned long failed;
	bool contended;
	bool whole_zone;
};

/* How a planned run reads the zone (struct compact_plan's @windows). */
enum compact_plan_windows {
	PLAN_WHOLE_ZONE = 0,
	PLAN_WINDOWS_GOAL,
	PLAN_WINDOWS_SCORE,
};

/**
 * struct compact_plan - the pageblocks a planned run empties.
 * @sources:     (r) one bit per pageblock from @base_pfn, set for the
 *               blocks the run empties; NULL in a run without a plan.
 * @base_pfn:    (r) first pfn of the pageblock holding the zone's start.
 * @nr_blocks:   (r) bits in @sources.
 * @nr_sources:  (r) bits set.
 * @end_pfn:     (r) one past the last block chosen: the migrate scanner's
 *               end.
 * @windows:     (r) how the census reads the zone: whole at once
 *               (PLAN_WHOLE_ZONE), or a window at a time, each window
 *               given a fixed budget for the run's order
 *               (PLAN_WINDOWS_GOAL, cpol_goal_window_budget()) or its own
 *               free pages less the reserve (PLAN_WINDOWS_SCORE,
 *               cpol_score_window_budget()).
 * @census_first: (r) windowed: where the census began
 *               (plan_census_start()); it reads up to the zone's end, then
 *               from the zone's start up to here.
 * @census_next: (r) windowed: the first pfn the next window reads.
 * @census_stop: (r) windowed: where the census stops reading: the zone's
 *               end, then @census_first once it wrapped round.
 * @window:      (r) windowed: the census of the current window, its blocks
 *               already chosen marked CPOL_USED_NEVER; NULL otherwise.
 * @window_first: (r) windowed: the zone's block index of @window[0].
 * @window_nr:   (r) windowed: entries of @window; 0 before the first
 *               window and once the zone is read through.
 *
 * A planned run (manual, proactive, kcompactd) first counts the used and
 * free pages of every pageblock of the zone, then chooses the blocks to
 * empty with cpol_plan_sources().  Its migrate scanner visits only those,
 * and its free scanner every other block but CMA ones, top to bottom, so
 * the scanners never meet: the run ends when the last chosen block is
 * passed.  A kcompactd run, which wants one page of an order, reads the
 * zone a window of PLAN_WINDOW_BLOCKS at a time instead, from where the
 * direct compactors' migrate scanner is round to there again, and empties
 * each window's blocks one at a time, cheapest first, while the page is
 * still missing (plan_advance()).  A proactive run, which wants the
 * zone's score under a mark, reads it the same way but plans each window
 * whole, as many of its cheapest blocks as its own free pages take, while
 * the score is still above the mark.  @sources covers the whole zone
 * either way, so blocks emptied for an earlier window are never filled
 * again.
 */
struct compact_plan {
	unsigned long *sources;
	unsigned long base_pfn;
	unsigned int nr_blocks;
	unsigned int nr_sources;
	unsigned long end_pfn;
	enum compact_plan_windows windows;
	unsigned long census_first;
	unsigned long census_next;
	unsigned long census_stop;
	struct cpol_census_entry *window;
	unsigned int window_first;
	unsigned int window_nr;
};

/**
 * struct compact_control - one compaction run.
 * @req:             (c) the request.
 * @cur:             (r) the scanners.
 * @stats:           (r) the results.
 * @migratepages:    (r) pages isolated for migration.
 * @nr_migratepages: (r) pages on @migratepages (base pages).
 * @freepages:       (r) isolated free pages, one list per order.
 * @nr_freepages:    (r) base pages on @freepages.
 * @plan:            (r) planned runs: the blocks to empty.
 */
struct compact_control {
	struct compact_request req;
	struct compact_cursor cur;
	struct compact_stats stats;
	struct list_head migratepages;
	unsigned int nr_migratepages;
	struct list_head freepages[NR_PAGE_ORDERS];
	unsigned int nr_freepages;
	struct compact_plan plan;
};

/**
 * struct capture_control - a direct compactor waiting for a page.
 * @zone:        (c) only pages freed into this zone are taken.
 * @order:       (c) only pages merged to exactly this order are taken.
 * @migratetype: (c) the allocation's migratetype.
 * @page:        (z) the page taken, off the free lists, not yet prepared;
 *               set at most once by the buddy free path.
 *
 * Published in current->capture_control for the time of the run.
 */
struct capture_control {
	struct zone *zone;
	int order;
	int migratetype;
	struct page *page;
};

unsigned long isolate_freepages_range(struct compact_control *cc,
				      unsigned long start_pfn,
				      unsigned long end_pfn);
int isolate_migratepages_range(struct compact_control *cc,
			       unsigned long start_pfn, unsigned long end_pfn);

#endif /* _MM_COMPACTION_CONTROL_H */
