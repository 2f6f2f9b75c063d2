// SPDX-License-Identifier: GPL-2.0
/*
 * Our compaction engine's policy: the rules, as pure functions.
 *
 * See mm/compaction-policy.h for why they are kept apart; each function's
 * comment gives the rule and a worked example.  KUnit tests at the end of
 * the file (CONFIG_COMPACTION_KUNIT_TEST).
 */
#include <linux/bitops.h>
#include <linux/minmax.h>
#include <linux/math.h>
#include <linux/math64.h>
#include <linux/mmzone.h>

#include "compaction-policy.h"

/* ===================================================================== */
/* Deferral                                                              */
/* ===================================================================== */

/**
 * cpol_backoff_holds - should this request skip compacting the zone?
 * @b:     the zone's backoff state; counts the request when it is at or
 *         above the failed order.
 * @order: the order asked for.
 *
 * A request below @b->order_failed is never held back.  Otherwise it is
 * counted, and held back until 1 << @b->shift requests have been counted
 * since the last failure; from then on every request goes ahead until the
 * next failure.  Example: after two failures (shift 2, window 4) the next
 * three requests at the failed order are held back and the fourth runs.
 *
 * Context: any; the caller serialises access to @b.
 * Return: true if the caller should not compact the zone for @order now.
 */
bool cpol_backoff_holds(struct cpol_backoff *b, int order)
{
	unsigned int window = 1U << b->shift;

	if (order < b->order_failed)
		return false;
	b->considered = min(b->considered + 1, window);
	return b->considered < window;
}

/**
 * cpol_backoff_failed - record that compacting the zone for @order failed.
 * @b:     the zone's backoff state.
 * @order: the order that failed.
 *
 * Doubles the window (up to 1 << CPOL_MAX_BACKOFF_SHIFT requests), starts
 * counting again from zero, and lowers the failed order to @order if it
 * was higher.
 *
 * Context: any; the caller serialises access to @b.
 */
void cpol_backoff_failed(struct cpol_backoff *b, int order)
{
	b->considered = 0;
	if (b->shift < CPOL_MAX_BACKOFF_SHIFT)
		b->shift++;
	b->order_failed = min(b->order_failed, order);
}

/**
 * cpol_backoff_succeeded - record that compaction for @order succeeded.
 * @b:         the zone's backoff state.
 * @order:     the order compaction produced a free page of.
 * @allocated: the caller also got its page; only then is the window reset.
 *
 * Orders up to @order are known to work again, so the failed order rises
 * above @order.  Example: failed order 3, success at order 5 -> failed
 * order 6; success at order 1 leaves it at 3.
 *
 * Context: any; the caller serialises access to @b.
 */
void cpol_backoff_succeeded(struct cpol_backoff *b, int order, bool allocated)
{
	if (allocated) {
		b->considered = 0;
		b->shift = 0;
	}
	b->order_failed = max(b->order_failed, order + 1);
}

/**
 * cpol_backoff_exhausted - has the backoff for @order run its longest course?
 * @b:     the zone's backoff state.
 * @order: the order asked for.
 *
 * True once the window is at its maximum and has been used up for an order
 * that failed: compaction has failed CPOL_MAX_BACKOFF_SHIFT times in a row
 * and is about to be tried again.  The engine then gives it a full run
 * (cached positions and skip hints cleared) rather than treat it as
 * hopeless.  An order below the failed one was never backed off, so it is
 * never restarting.
 *
 * Context: any.
 * Return: true if this request starts after the longest backoff.
 */
bool cpol_backoff_exhausted(const struct cpol_backoff *b, int order)
{
	if (order < b->order_failed)
		return false;
	return b->shift == CPOL_MAX_BACKOFF_SHIFT &&
	       b->considered >= 1U << b->shift;
}

/* ===================================================================== */
/* Suitability                                                           */
/* ===================================================================== */

/**
 * cpol_gap - free pages compaction needs beyond the watermark.
 * @order: the order asked for.
 *
 * Migration needs somewhere to put the pages it moves while their old
 * pages are still in use, and the request needs its 1 << @order pages:
 * twice the request is the margin.  Example: order 9 -> 1024 pages.
 *
 * Return: the margin, in pages.
 */
unsigned long cpol_gap(int order)
{
	return 2UL << order;
}

/**
 * cpol_free_needed - free pages a zone must have before compacting it.
 * @order:     the order asked for.
 * @min_wmark: the zone's min watermark, in pages.
 * @low_wmark: the zone's low watermark, in pages.
 *
 * Costly orders (above PAGE_ALLOC_COSTLY_ORDER) must leave the low
 * watermark intact, so that compaction does not push the zone into
 * reclaim for an allocation that may well fail anyway; cheaper orders may
 * go down to the min watermark.  Either way cpol_gap() comes on top.
 * Example: order 9, min 100, low 125 -> 125 + 1024 = 1149.
 *
 * Return: the number of free pages needed, in pages.
 */
unsigned long cpol_free_needed(int order, unsigned long min_wmark,
			       unsigned long low_wmark)
{
	unsigned long base = order > PAGE_ALLOC_COSTLY_ORDER ? low_wmark : min_wmark;

	return base + cpol_gap(order);
}

/**
 * cpol_judge_fragindex - does the fragmentation index allow compaction?
 * @order:     the order asked for.
 * @fragindex: the zone's fragmentation index for @order, as
 *             fragmentation_index() gives it: 0 means a failure would be
 *             for lack of memory, 1000 that it would be for fragmentation,
 *             -1000 that an allocation would succeed now.
 * @threshold: vm.extfrag_threshold (0-1000).
 *
 * Only costly orders are judged: for them an index in [0, @threshold]
 * means compaction would move pages without making the allocation
 * succeed.  Example: threshold 500: index 500 -> not fragmented, 501 ->
 * suitable, -1000 -> suitable (the allocation is about to succeed; let the
 * caller find that out).
 *
 * Return: CPOL_SUITABLE or CPOL_NOT_FRAGMENTED.
 */
enum cpol_suitability cpol_judge_fragindex(int order, int fragindex,
					   int threshold)
{
	if (order <= PAGE_ALLOC_COSTLY_ORDER)
		return CPOL_SUITABLE;
	if (fragindex >= 0 && fragindex <= threshold)
		return CPOL_NOT_FRAGMENTED;
	return CPOL_SUITABLE;
}

/* ===================================================================== */
/* Scanner arithmetic                                                    */
/* ===================================================================== */

static unsigned long cpol_block_pages(const struct cpol_span *s)
{
	return 1UL << s->block_order;
}

/**
 * cpol_block_start - first pfn of @pfn's pageblock that lies in the span.
 * @s:   the span.
 * @pfn: a pfn in [@s->start, @s->end).
 *
 * Example: span [0x1001, 0x40000), blocks of 512: 0x1100 -> 0x1001 (the
 * zone starts inside the block), 0x1300 -> 0x1200.
 *
 * Return: the pfn.
 */
unsigned long cpol_block_start(const struct cpol_span *s, unsigned long pfn)
{
	return max(round_down(pfn, cpol_block_pages(s)), s->start);
}

/**
 * cpol_block_end - one past the last pfn of @pfn's pageblock in the span.
 * @s:   the span.
 * @pfn: a pfn in [@s->start, @s->end).
 *
 * Example: span [0x1001, 0x3ffe0), blocks of 512: 0x1100 -> 0x1200,
 * 0x3fe10 -> 0x3ffe0 (the zone ends inside the block).
 *
 * Return: the pfn.
 */
unsigned long cpol_block_end(const struct cpol_span *s, unsigned long pfn)
{
	return min(round_down(pfn, cpol_block_pages(s)) + cpol_block_pages(s),
		   s->end);
}

/**
 * cpol_free_scanner_start - where the free scanner begins a fresh run.
 * @s: the span; must not be empty.
 *
 * The free scanner works down from the span's end a pageblock at a time,
 * so it starts at the pageblock holding the last pfn.  Example: span
 * [0x1001, 0x3ffe0), blocks of 512 -> 0x3fe00.
 *
 * Return: the pfn.
 */
unsigned long cpol_free_scanner_start(const struct cpol_span *s)
{
	return cpol_block_start(s, s->end - 1);
}

/**
 * cpol_scanners_met - have the migrate and free scanners met?
 * @s:           the span.
 * @migrate_pfn: the migrate scanner's next pfn (it moves up).
 * @free_pfn:    the free scanner's next pfn (it moves down).
 *
 * They meet when the free scanner's pageblock is at or below the migrate
 * scanner's: there is then no block left that one could empty into the
 * other.  Example, blocks of 512: migrate 0x1300, free 0x1200 -> met;
 * migrate 0x1300, free 0x1400 -> not met.
 *
 * Return: true if the run is over.
 */
bool cpol_scanners_met(const struct cpol_span *s, unsigned long migrate_pfn,
		       unsigned long free_pfn)
{
	return free_pfn >> s->block_order <= migrate_pfn >> s->block_order;
}

/**
 * cpol_restart_pfn - a cached scanner position, if it is still usable.
 * @s:        the span.
 * @cached:   the position a previous run stopped at.
 * @fallback: where to start if @cached is outside the span (the zone
 *            shrank or grew with memory hotplug, or nothing was cached).
 *
 * Return: @cached if it lies in [@s->start, @s->end), else @fallback.
 */
unsigned long cpol_restart_pfn(const struct cpol_span *s, unsigned long cached,
			       unsigned long fallback)
{
	if (cached < s->start || cached >= s->end)
		return fallback;
	return cached;
}

/* ===================================================================== */
/* Block choice                                                          */
/* ===================================================================== */

/**
 * cpol_may_evacuate() - may the migrate scanner take pages from a block?
 * @blk:   the pageblock.
 * @rules: how strict the run is.
 *
 * Isolated blocks belong to someone else.  A skip hint says an earlier run
 * found nothing to move there.  An asynchronous run only empties blocks of
 * the kind the allocation will use (movable allocations: movable or CMA
 * blocks), the cheap and likely wins; synchronous runs take movable pages
 * from any block, which is how a block of another type that holds movable
 * pages gets emptied.
 *
 * This is the place to change which blocks are emptied first.
 *
 * Return: true if the block may be scanned for pages to move.
 */
bool cpol_may_evacuate(const struct cpol_block *blk,
		       const struct cpol_rules *rules)
{
	if (blk->kind == CPOL_BLOCK_ISOLATED)
		return false;
	if (blk->skip && !rules->ignore_skip)
		return false;
	if (!rules->async)
		return true;
	if (rules->want_kind == CPOL_BLOCK_MOVABLE)
		return blk->kind == CPOL_BLOCK_MOVABLE || blk->kind == CPOL_BLOCK_CMA;
	return blk->kind == rules->want_kind;
}

/**
 * cpol_may_fill() - may the free scanner take free pages from a block?
 * @blk:   the pageblock.
 * @rules: how strict the run is.
 *
 * A block that starts with a free page of the order the run works towards
 * is the result, not raw material: splitting it would undo the run.  Moved
 * pages are movable, so they go to movable or CMA blocks, where they do not
 * mix types, unless the run is told to take any target (the last priority
 * of direct compaction).  The skip hint is not looked at here: it records
 * the migrate scanner's findings, and a direct run's free scanner heeds it
 * on its own (free_scanner_uses_hints() in compaction.c).
 *
 * This is the place to change where moved pages are put.
 *
 * Return: true if free pages of the block may be used as targets.
 */
bool cpol_may_fill(const struct cpol_block *blk, const struct cpol_rules *rules)
{
	if (blk->kind == CPOL_BLOCK_ISOLATED)
		return false;
	if (blk->free_order >= rules->keep_order)
		return false;
	if (rules->any_target)
		return true;
	return blk->kind == CPOL_BLOCK_MOVABLE || blk->kind == CPOL_BLOCK_CMA;
}

/**
 * cpol_cma_serves() - does a free CMA page end a run for an allocation?
 * @want_kind: the kind of block the allocation's migratetype lives in.
 * @alloc_cma: the allocation may take CMA pages (ALLOC_CMA).
 *
 * Only a movable allocation allowed into CMA can use one.  kcompactd
 * works for an order's watermark, which does not count CMA, and a
 * long-term pinning allocation may not take CMA: for them a run that has
 * only made a CMA page has not succeeded.
 *
 * Return: true if a free CMA page of the order is a page for the request.
 */
bool cpol_cma_serves(enum cpol_block_kind want_kind, bool alloc_cma)
{
	return want_kind == CPOL_BLOCK_MOVABLE && alloc_cma;
}

/* ===================================================================== */
/* Planned runs                                                          */
/* ===================================================================== */

/* What emptying @e costs the budget: its moves, and its targets lost. */
static unsigned long plan_cost(const struct cpol_census_entry *e)
{
	return (unsigned long)e->used + e->free;
}

/* The budget emptying every block with fewer than @below used pages costs. */
static unsigned long plan_cost_below(const struct cpol_census_entry *blocks,
				     unsigned int nr, unsigned int below)
{
	unsigned long cost = 0;
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (blocks[i].used < below)
			cost += plan_cost(&blocks[i]);
	return cost;
}

/**
 * cpol_plan_sources() - choose the pageblocks a run empties, cheapest first.
 * @blocks:  the zone's census, one entry per pageblock in pfn order.
 * @nr:      number of entries.
 * @budget:  free pages the run may use as targets: the free pages of every
 *           block it may fill, less a reserve.
 * @sources: a bitmap of @nr bits, cleared by the caller; the chosen
 *           blocks' bits are set.
 *
 * Emptying a block moves its @used pages into free pages of blocks that
 * are not emptied, and takes its own free pages out of the targets: it
 * costs the budget @used + @free, about a pageblock whatever the block.
 * So the number of blocks a run can free is set by the budget, and which
 * blocks decides how much it moves: the fewest moves free the blocks with
 * the fewest used pages.  Blocks that cannot become free
 * (CPOL_USED_NEVER) are never chosen: moving pages out of them is wasted.
 * Ties go to the lower pfn.  Already free blocks (@used 0) are chosen
 * first, at no cost in moves: they are kept from being filled.
 *
 * Example, blocks of 8 pages: used {3, 0, NEVER, 5, 1} with free
 * {5, 8, 6, 3, 7} and a budget of 20: block 1 (cost 8) and block 4
 * (cost 8) fit, block 0 (cost 8) would not: sources {1, 4}, 1 move.
 *
 * O(@nr) times the log of the largest @used.
 *
 * Return: the number of blocks chosen.
 */
unsigned int cpol_plan_sources(const struct cpol_census_entry *blocks,
			       unsigned int nr, unsigned long budget,
			       unsigned long *sources)
{
	unsigned int lo = 0, hi = CPOL_USED_NEVER, i, chosen = 0;

	/* The largest @below such that all blocks under it fit the budget. */
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo + 1) / 2;

		if (plan_cost_below(blocks, nr, mid) <= budget)
			lo = mid;
		else
			hi = mid - 1;
	}
	budget -= plan_cost_below(blocks, nr, lo);
	for (i = 0; i < nr; i++) {
		if (blocks[i].used < lo) {
			__set_bit(i, sources);
			chosen++;
		} else if (blocks[i].used == lo && lo != CPOL_USED_NEVER &&
			   plan_cost(&blocks[i]) <= budget) {
			/* The first blocks of the next count, as far as they fit. */
			budget -= plan_cost(&blocks[i]);
			__set_bit(i, sources);
			chosen++;
		}
	}
	return chosen;
}

/**
 * cpol_plan_may_fill() - may a planned run put moved pages in a block?
 * @kind: the block's kind.
 *
 * Only in movable blocks.  A page parked in a CMA block must move again
 * for every CMA allocation that wants its range (a 1 MiB cma_alloc() fails
 * outright when one of its target allocations does), and a planned run
 * does not need CMA's free pages: its budget (cpol_plan_sources()) counts
 * only what it may fill, so it frees no more blocks than movable targets
 * can take.  CMA blocks are still emptied when they are cheap: that only
 * takes pages out of CMA.  The rule holds for every run that plans
 * (manual, proactive, kcompactd), also one whose plan could not be made;
 * direct compaction fills CMA blocks as upstream does.
 *
 * Return: true if @kind is CPOL_BLOCK_MOVABLE.
 */
bool cpol_plan_may_fill(enum cpol_block_kind kind)
{
	return kind == CPOL_BLOCK_MOVABLE;
}

/**
 * cpol_goal_window_budget() - the budget of one census window of a goal run.
 * @order:       the order the run works for; -1 for a whole-zone run.
 * @block_order: pageblock_order.
 *
 * kcompactd works for one free page of an order (what kswapd found
 * missing), not for as many free blocks as the zone can give.  A census
 * of the whole zone, a read of every pfn, for one block is most of its
 * work (on the bench's thp workload, 1.04 M of the 1.25 M pfns scanned).
 * So such a run reads the zone a window at a time and empties the
 * cheapest block of each window until the page is there: one free
 * pageblock holds a page of any order up to @block_order, and choosing the
 * cheapest block of a window costs the budget about a pageblock (its used
 * plus its free pages, see cpol_plan_sources()).  Above @block_order the
 * page needs aligned neighbouring blocks, which windows do not find: such
 * a run takes the census of the whole zone.
 *
 * Example: order 9 or order 3 with 512-page blocks: 512 (one block per
 * window); order 10: 0 (whole zone).
 *
 * Return: the window's budget in pages, or 0 for a whole-zone census.
 */
unsigned long cpol_goal_window_budget(int order, unsigned int block_order)
{
	if (order < 0 || order > (int)block_order)
		return 0;
	return 1UL << block_order;
}

/**
 * cpol_score_window_budget() - the budget of one census window of a score run.
 * @window:  the window's census.
 * @nr:      its entries.
 * @reserve: free pages kept out of the budget, as a whole-zone plan keeps
 *           them (batches on per-CPU lists, pages others take meanwhile).
 *
 * A proactive run works for the zone's fragmentation score, which every
 * block it frees lowers, and stops once the score is under the band's low
 * mark: often after a part of the zone (on the bench's proactive50, about
 * 250 of 1,024 blocks).  A census of the whole zone reads every block
 * first, in every round (there 46.5 pfns scanned per page moved; stock
 * 8.6).  So such a run reads the zone a window at a time, as a goal run
 * does, and plans each window once as a whole-zone run plans the zone: the
 * cheapest blocks that the window's own free pages can take
 * (cpol_plan_sources()); then the next window, while the score is still
 * above the mark.  The pages moved land wherever the free scanner finds
 * room, but each window pays its own way, so the run never chooses more
 * blocks than the targets it has read of can take.
 *
 * Example, 512-page blocks: free {448, 448, 0} and a reserve of 128: 768
 * (one of two blocks with 64 used pages each: each costs 512).
 *
 * Return: the window's budget in pages.
 */
unsigned long cpol_score_window_budget(const struct cpol_census_entry *window,
				       unsigned int nr, unsigned long reserve)
{
	unsigned long free = 0;
	unsigned int i;

	for (i = 0; i < nr; i++)
		free += window[i].free;
	return free > reserve ? free - reserve : 0;
}

/* ===================================================================== */
/* Direct compaction: which pageblocks are worth emptying                */
/* ===================================================================== */

/**
 * cpol_direct_cost_cap() - the dearest pageblock a first direct try empties.
 * @used:        pages of the zone that are not free.
 * @busy_blocks: pageblocks of the zone that are not wholly free.
 * @block_pages: pages in a pageblock.
 *
 * A direct compactor after a huge page empties the blocks its migrate
 * scanner meets until one is free, and what it moves is what the faulting
 * task waits for.  A block the zone's old page cache or a burst of small
 * allocations filled costs it up to a whole block of moves where the next
 * block might cost an eighth of that.  So its first, asynchronous, try
 * passes by blocks dearer than the mean busy block by more than an eighth
 * of a block (more than a 40-page sample's error, see
 * cpol_sampled_used()).  The mean counts blocks full of huge pages too, so
 * it lies above what a typical block the scanner would empty costs: blocks
 * that cost about the same are all taken.  When the mean busy block is
 * 7/8 used or more, the cap is a whole block and nothing is passed by
 * (the caller then prices no block).  The later
 * tries, which must find the page where there is one, take every block.
 *
 * Example, 512-page blocks: 67,000 used pages in 1,000 busy blocks (a mean
 * of 67): 131; 160,000 in 1,000: 224; 480,000 in 1,000: 512 (nothing
 * passed by); 2,000 in 1,000: 66.
 *
 * Return: the most used pages of a block worth emptying, at most
 * @block_pages.
 */
unsigned long cpol_direct_cost_cap(unsigned long used,
				   unsigned long busy_blocks,
				   unsigned int block_pages)
{
	unsigned long cap;

	if (!busy_blocks)
		return block_pages;
	cap = used / busy_blocks + block_pages / 8;
	return min_t(unsigned long, cap, block_pages);
}

/**
 * cpol_sampled_used() - a pageblock's used pages, from a sample.
 * @hits:        sampled pages that were in use.
 * @samples:     pages sampled, spread evenly over the block.
 * @block_pages: pages in a pageblock.
 *
 * Example: 5 of 40 samples in use in a 512-page block: 64.
 *
 * Return: the estimate, rounded up; 0 with no samples.
 */
unsigned long cpol_sampled_used(unsigned int hits, unsigned int samples,
				unsigned int block_pages)
{
	if (!samples)
		return 0;
	return DIV_ROUND_UP((unsigned long)min(hits, samples) * block_pages,
			    samples);
}

/* ===================================================================== */
/* Throttling and proactive compaction                                   */
/* ===================================================================== */

/**
 * cpol_too_many_isolated() - should isolation wait for migration to catch up?
 * @lru:      pages on the node's LRU lists.
 * @isolated: pages isolated from them by anyone (reclaim, compaction).
 * @may_fs:   the run may enter the filesystem (__GFP_FS).
 *
 * A run that may enter the filesystem waits early, at 1/16 of the LRU; one
 * that may not (GFP_NOFS) goes on to half of it.  The gap is what lets a
 * GFP_NOFS run make progress while others wait for filesystem locks it
 * holds, instead of all of them waiting for each other.  Example:
 * lru = 1600: __GFP_FS runs wait above 100 isolated pages, GFP_NOFS runs
 * above 800.
 *
 * Return: true if the caller should stop isolating for now.
 */
bool cpol_too_many_isolated(unsigned long lru, unsigned long isolated,
			    bool may_fs)
{
	unsigned long limit = may_fs ? lru / 16 : lru / 2;

	return isolated > limit;
}

/**
 * cpol_score_marks() - the score band for a vm.compaction_proactiveness.
 * @proactiveness: 0..100; 0 turns proactive compaction off.
 *
 * The low mark is 100 - proactiveness, never below 5 (a perfectly
 * compacted node is not reachable on a live system); the high mark is ten
 * above it, at most 100.  Example: proactiveness 20 gives [80, 90]:
 * kcompactd starts above 90 and stops at 80.
 *
 * Return: the band.
 */
struct cpol_score_marks cpol_score_marks(unsigned int proactiveness)
{
	struct cpol_score_marks m;

	m.low = max(100U - min(proactiveness, 100U), 5U);
	m.high = min(m.low + 10, 100U);
	return m;
}

/**
 * cpol_zone_score() - a zone's share of its node's fragmentation score.
 * @extfrag:    the zone's external fragmentation for the huge page order,
 *              0..100 (extfrag_for_order()).
 * @zone_pages: pages present in the zone.
 * @node_pages: pages present in the node.
 *
 * A zone counts in proportion to its size, so a small fragmented DMA zone
 * does not wake kcompactd for a large healthy node.  The node's score is
 * the sum over its zones.  Example: 80 over a zone of 3/4 of the node = 60.
 *
 * Return: the weighted score, 0..100.
 */
unsigned int cpol_zone_score(unsigned int extfrag, unsigned long zone_pages,
			     unsigned long node_pages)
{
	if (!node_pages)
		return 0;
	return div64_ul((u64)min(extfrag, 100U) * zone_pages, node_pages);
}

#ifdef CONFIG_COMPACTION_KUNIT_TEST
#include "tests/compaction-policy-kunit.h"
#endif
