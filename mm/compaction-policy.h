/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The decisions of our compaction engine, kept apart from its mechanics.
 *
 * Every function here is pure: it reads the small struct or the numbers it
 * is handed, may update that struct, and touches nothing else - no zone, no
 * lock, no counter, no tracepoint.  The engine copies what a decision needs
 * out of struct zone, asks, and stores the answer back under the zone's
 * lock; so each rule can be tested by KUnit without a live zone
 * (mm/tests/compaction-policy-kunit.h), and a rule can change without
 * touching the scanners.
 *
 * Prefix: cpol_ ("compaction policy").
 */
#ifndef _MM_COMPACTION_POLICY_H
#define _MM_COMPACTION_POLICY_H

#include <linux/types.h>

/* ===================================================================== */
/* Deferral: back off from a zone where compaction keeps failing         */
/* ===================================================================== */

/* After this many failures in a row the window stops growing: 64 requests. */
#define CPOL_MAX_BACKOFF_SHIFT	6

/**
 * struct cpol_backoff - a zone's backoff state after compaction failures.
 * @considered:   requests for orders at or above @order_failed seen since
 *                the last failure; saturates at the window, 1 << @shift.
 * @shift:        log2 of the window: while fewer than 1 << @shift requests
 *                have been considered since the last failure, compaction
 *                of the zone is skipped for orders >= @order_failed.
 * @order_failed: the lowest order that failed; requests below it are never
 *                held back.
 *
 * The three fields are the zone's compact_considered, compact_defer_shift
 * and compact_order_failed, with the meaning upstream gives them.
 * Lock: the caller's (the zone's lock, or a private copy).
 *
 * Invariants: @shift <= CPOL_MAX_BACKOFF_SHIFT and
 * @considered <= 1 << @shift.
 */
struct cpol_backoff {
	unsigned int considered;
	unsigned int shift;
	int order_failed;
};

bool cpol_backoff_holds(struct cpol_backoff *b, int order);
void cpol_backoff_failed(struct cpol_backoff *b, int order);
void cpol_backoff_succeeded(struct cpol_backoff *b, int order, bool allocated);
bool cpol_backoff_exhausted(const struct cpol_backoff *b, int order);

/* ===================================================================== */
/* Suitability: is compaction the right tool for this request?           */
/* ===================================================================== */

/**
 * enum cpol_suitability - what compacting a zone could do for a request.
 * @CPOL_SUITABLE:     worth compacting.
 * @CPOL_NOT_FRAGMENTED: a costly order whose fragmentation index says a
 *                     failure would come from lack of memory rather than
 *                     from fragmentation (index within
 *                     [0, vm.extfrag_threshold]).
 */
enum cpol_suitability {
	CPOL_SUITABLE,
	CPOL_NOT_FRAGMENTED,
};

unsigned long cpol_gap(int order);
unsigned long cpol_free_needed(int order, unsigned long min_wmark,
			       unsigned long low_wmark);
enum cpol_suitability cpol_judge_fragindex(int order, int fragindex,
					   int threshold);

/* ===================================================================== */
/* Scanner arithmetic                                                    */
/* ===================================================================== */

/**
 * struct cpol_span - the pfns a compaction run may touch, [@start, @end).
 * @start: first pfn of the zone (or of the range asked for).
 * @end:   one past the last pfn.
 * @block_order: log2 of the pageblock size in pages.
 */
struct cpol_span {
	unsigned long start;
	unsigned long end;
	unsigned int block_order;
};

unsigned long cpol_block_start(const struct cpol_span *s, unsigned long pfn);
unsigned long cpol_block_end(const struct cpol_span *s, unsigned long pfn);
unsigned long cpol_free_scanner_start(const struct cpol_span *s);
bool cpol_scanners_met(const struct cpol_span *s, unsigned long migrate_pfn,
		       unsigned long free_pfn);
unsigned long cpol_restart_pfn(const struct cpol_span *s, unsigned long cached,
			       unsigned long fallback);

/* ===================================================================== */
/* Block choice: which pageblocks to empty, which to fill                */
/* ===================================================================== */

/**
 * enum cpol_block_kind - a pageblock as the block choice sees it.
 * @CPOL_BLOCK_MOVABLE:  a MIGRATE_MOVABLE pageblock.
 * @CPOL_BLOCK_CMA:      a MIGRATE_CMA pageblock.
 * @CPOL_BLOCK_OTHER:    unmovable, reclaimable or high-atomic.
 * @CPOL_BLOCK_ISOLATED: MIGRATE_ISOLATE: someone else owns it now.
 */
enum cpol_block_kind {
	CPOL_BLOCK_MOVABLE,
	CPOL_BLOCK_CMA,
	CPOL_BLOCK_OTHER,
	CPOL_BLOCK_ISOLATED,
};

/**
 * struct cpol_block - what the engine knows of a pageblock when it asks.
 * @kind:       its migratetype, as above.
 * @skip:       the pageblock skip hint is set.
 * @free_order: order of the free page its first pfn starts, or -1.
 */
struct cpol_block {
	enum cpol_block_kind kind;
	bool skip;
	int free_order;
};

/**
 * struct cpol_rules - how strict a run is about blocks.
 * @async:       asynchronous run: only cheap, likely wins.
 * @ignore_skip: scan blocks whose skip hint is set.
 * @any_target:  take free pages from blocks of any migratetype.
 * @want_kind:   the kind of block the allocation's migratetype lives in.
 * @keep_order:  a free page of this order or more is what the run works
 *               towards: a block that starts with one is not filled.
 */
struct cpol_rules {
	bool async;
	bool ignore_skip;
	bool any_target;
	enum cpol_block_kind want_kind;
	int keep_order;
};

bool cpol_may_evacuate(const struct cpol_block *blk,
		       const struct cpol_rules *rules);
bool cpol_may_fill(const struct cpol_block *blk,
		   const struct cpol_rules *rules);
bool cpol_cma_serves(enum cpol_block_kind want_kind, bool alloc_cma);

/* ===================================================================== */
/* Planned runs: which pageblocks to empty, by cost                      */
/* ===================================================================== */

/* A census entry's @used for a block that cannot become free. */
#define CPOL_USED_NEVER		U16_MAX

/**
 * struct cpol_census_entry - one pageblock as a census of the zone saw it.
 * @used: movable pages in it: what emptying it costs in moves; or
 *        CPOL_USED_NEVER if it holds a page that cannot move, has a hole,
 *        or is of a kind runs do not empty.
 * @free: free pages in it that the free scanner may take as targets (0 in
 *        blocks it may not fill); they are lost as targets if the block is
 *        emptied.
 */
struct cpol_census_entry {
	u16 used;
	u16 free;
};

unsigned int cpol_plan_sources(const struct cpol_census_entry *blocks,
			       unsigned int nr, unsigned long budget,
			       unsigned long *sources);
bool cpol_plan_may_fill(enum cpol_block_kind kind);
unsigned long cpol_goal_window_budget(int order, unsigned int block_order);
unsigned long cpol_score_window_budget(const struct cpol_census_entry *window,
				       unsigned int nr, unsigned long reserve);

/* ===================================================================== */
/* Direct compaction: which pageblocks are worth emptying                */
/* ===================================================================== */

unsigned long cpol_direct_cost_cap(unsigned long used,
				   unsigned long busy_blocks,
				   unsigned int block_pages);
unsigned long cpol_sampled_used(unsigned int hits, unsigned int samples,
				unsigned int block_pages);

/* ===================================================================== */
/* Throttling and proactive compaction                                   */
/* ===================================================================== */

bool cpol_too_many_isolated(unsigned long lru, unsigned long isolated,
			    bool may_fs);

/**
 * struct cpol_score_marks - the fragmentation score band of a node.
 * @low:  proactive compaction of a zone stops at or below this score.
 * @high: proactive compaction of a node starts above this score.
 */
struct cpol_score_marks {
	unsigned int low;
	unsigned int high;
};

struct cpol_score_marks cpol_score_marks(unsigned int proactiveness);
unsigned int cpol_zone_score(unsigned int extfrag, unsigned long zone_pages,
			     unsigned long node_pages);

#endif /* _MM_COMPACTION_POLICY_H */
