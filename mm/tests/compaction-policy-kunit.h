/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests of the compaction policy (mm/compaction-policy.c).
 *
 * Every case works on a struct of its own: no zone, no memory, no locks.
 * Included at the end of compaction-policy.c when
 * CONFIG_COMPACTION_KUNIT_TEST is set.
 */
#ifndef _MM_TESTS_COMPACTION_POLICY_KUNIT_H
#define _MM_TESTS_COMPACTION_POLICY_KUNIT_H

#include <kunit/test.h>

/* ===================================================================== */
/* Deferral                                                              */
/* ===================================================================== */

/* How many requests in a row, from now, are held back at @order. */
static unsigned int held_in_a_row(struct cpol_backoff *b, int order)
{
	unsigned int n = 0;

	while (cpol_backoff_holds(b, order) && n < 1000)
		n++;
	return n;
}

/* A zone that never failed holds nothing back. */
static void backoff_fresh_zone_runs(struct kunit *test)
{
	struct cpol_backoff b = { .order_failed = 0 };

	KUNIT_EXPECT_FALSE(test, cpol_backoff_holds(&b, 0));
	KUNIT_EXPECT_FALSE(test, cpol_backoff_holds(&b, 9));
	KUNIT_EXPECT_EQ(test, b.shift, 0U);
}

/*
 * Each failure doubles the window: after k failures, 2^k - 1 requests are
 * held back, then one runs, up to a window of 64.
 */
static void backoff_window_doubles_then_caps(struct kunit *test)
{
	struct cpol_backoff b = { .order_failed = 10 };
	unsigned int k;

	for (k = 1; k <= CPOL_MAX_BACKOFF_SHIFT + 2; k++) {
		unsigned int shift = min_t(unsigned int, k, CPOL_MAX_BACKOFF_SHIFT);

		cpol_backoff_failed(&b, 4);
		KUNIT_EXPECT_EQ(test, b.shift, shift);
		KUNIT_EXPECT_EQ(test, held_in_a_row(&b, 4), (1U << shift) - 1);
		/* the request that ended the run went ahead; so does the next */
		KUNIT_EXPECT_FALSE(test, cpol_backoff_holds(&b, 4));
		KUNIT_EXPECT_EQ(test, b.considered, 1U << shift);
	}
}

/* Orders below the lowest failed one are never held back, nor counted. */
static void backoff_lower_orders_pass(struct kunit *test)
{
	struct cpol_backoff b = { .order_failed = 10 };

	cpol_backoff_failed(&b, 6);
	cpol_backoff_failed(&b, 4);
	KUNIT_EXPECT_EQ(test, b.order_failed, 4);
	KUNIT_EXPECT_FALSE(test, cpol_backoff_holds(&b, 3));
	KUNIT_EXPECT_EQ(test, b.considered, 0U);
	KUNIT_EXPECT_TRUE(test, cpol_backoff_holds(&b, 4));
	KUNIT_EXPECT_TRUE(test, cpol_backoff_holds(&b, 9));
	/* a later failure at a higher order does not raise it again */
	cpol_backoff_failed(&b, 8);
	KUNIT_EXPECT_EQ(test, b.order_failed, 4);
}

/* Success with the page allocated resets the window; without, it does not. */
static void backoff_success(struct kunit *test)
{
	struct cpol_backoff b = { .order_failed = 10 };

	cpol_backoff_failed(&b, 3);
	cpol_backoff_failed(&b, 3);
	cpol_backoff_failed(&b, 3);
	KUNIT_EXPECT_EQ(test, b.shift, 3U);

	cpol_backoff_succeeded(&b, 1, false);
	KUNIT_EXPECT_EQ(test, b.shift, 3U);
	KUNIT_EXPECT_EQ(test, b.order_failed, 3);	/* 1 + 1 < 3: unchanged */

	cpol_backoff_succeeded(&b, 5, false);
	KUNIT_EXPECT_EQ(test, b.shift, 3U);
	KUNIT_EXPECT_EQ(test, b.order_failed, 6);

	KUNIT_EXPECT_TRUE(test, cpol_backoff_holds(&b, 7));
	cpol_backoff_succeeded(&b, 7, true);
	KUNIT_EXPECT_EQ(test, b.shift, 0U);
	KUNIT_EXPECT_EQ(test, b.considered, 0U);
	KUNIT_EXPECT_EQ(test, b.order_failed, 8);
	KUNIT_EXPECT_FALSE(test, cpol_backoff_holds(&b, 9));
}

/* Exhausted only with the longest window used up, and only for failed orders. */
static void backoff_exhausted(struct kunit *test)
{
	struct cpol_backoff b = { .order_failed = 10 };
	unsigned int k;

	for (k = 0; k < CPOL_MAX_BACKOFF_SHIFT; k++) {
		cpol_backoff_failed(&b, 9);
		held_in_a_row(&b, 9);
		KUNIT_EXPECT_EQ(test, cpol_backoff_exhausted(&b, 9),
				k + 1 == CPOL_MAX_BACKOFF_SHIFT);
	}
	/* an order that never failed is not restarting */
	KUNIT_EXPECT_FALSE(test, cpol_backoff_exhausted(&b, 8));
	cpol_backoff_failed(&b, 9);
	KUNIT_EXPECT_FALSE(test, cpol_backoff_exhausted(&b, 9));
	cpol_backoff_holds(&b, 9);
	KUNIT_EXPECT_FALSE(test, cpol_backoff_exhausted(&b, 9));
}

/* ===================================================================== */
/* Suitability                                                           */
/* ===================================================================== */

static void suitability_free_needed(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, cpol_gap(0), 2UL);
	KUNIT_EXPECT_EQ(test, cpol_gap(9), 1024UL);
	/* order 0 and the costly limit itself use the min watermark */
	KUNIT_EXPECT_EQ(test, cpol_free_needed(0, 100, 125), 102UL);
	KUNIT_EXPECT_EQ(test, cpol_free_needed(PAGE_ALLOC_COSTLY_ORDER, 100, 125),
			100UL + (2UL << PAGE_ALLOC_COSTLY_ORDER));
	/* above it, the low watermark */
	KUNIT_EXPECT_EQ(test, cpol_free_needed(PAGE_ALLOC_COSTLY_ORDER + 1, 100, 125),
			125UL + (2UL << (PAGE_ALLOC_COSTLY_ORDER + 1)));
	KUNIT_EXPECT_EQ(test, cpol_free_needed(9, 100, 125), 1149UL);
}

static void suitability_fragindex(struct kunit *test)
{
	/* cheap orders are not judged by the index */
	KUNIT_EXPECT_EQ(test, cpol_judge_fragindex(PAGE_ALLOC_COSTLY_ORDER, 0, 500),
			CPOL_SUITABLE);
	/* costly: [0, threshold] means lack of memory */
	KUNIT_EXPECT_EQ(test, cpol_judge_fragindex(9, 0, 500), CPOL_NOT_FRAGMENTED);
	KUNIT_EXPECT_EQ(test, cpol_judge_fragindex(9, 500, 500), CPOL_NOT_FRAGMENTED);
	KUNIT_EXPECT_EQ(test, cpol_judge_fragindex(9, 501, 500), CPOL_SUITABLE);
	KUNIT_EXPECT_EQ(test, cpol_judge_fragindex(9, 1000, 500), CPOL_SUITABLE);
	/* -1000: the allocation would succeed now */
	KUNIT_EXPECT_EQ(test, cpol_judge_fragindex(9, -1000, 500), CPOL_SUITABLE);
	/* the threshold's ends: 0 lets everything fragmented through, 1000 nothing */
	KUNIT_EXPECT_EQ(test, cpol_judge_fragindex(9, 1, 0), CPOL_SUITABLE);
	KUNIT_EXPECT_EQ(test, cpol_judge_fragindex(9, 1000, 1000), CPOL_NOT_FRAGMENTED);
}

/* ===================================================================== */
/* Scanner arithmetic                                                    */
/* ===================================================================== */

/*
 * A zone as QEMU's 1 GiB guest has it, blocks of 512 pages:
 *
 *   0x1001                                                  0x3ffe0
 *     |  partial | 0x1200 |  ...  | 0x3fc00 | 0x3fe00 partial |
 *     ^ migrate scanner starts                ^ free scanner starts
 */
static const struct cpol_span zone_span = {
	.start = 0x1001, .end = 0x3ffe0, .block_order = 9,
};

static void scanner_block_bounds(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, cpol_block_start(&zone_span, 0x1100), 0x1001UL);
	KUNIT_EXPECT_EQ(test, cpol_block_end(&zone_span, 0x1100), 0x1200UL);
	KUNIT_EXPECT_EQ(test, cpol_block_start(&zone_span, 0x1200), 0x1200UL);
	KUNIT_EXPECT_EQ(test, cpol_block_start(&zone_span, 0x13ff), 0x1200UL);
	KUNIT_EXPECT_EQ(test, cpol_block_end(&zone_span, 0x13ff), 0x1400UL);
	KUNIT_EXPECT_EQ(test, cpol_block_start(&zone_span, 0x3fe10), 0x3fe00UL);
	KUNIT_EXPECT_EQ(test, cpol_block_end(&zone_span, 0x3fe10), 0x3ffe0UL);
	KUNIT_EXPECT_EQ(test, cpol_free_scanner_start(&zone_span), 0x3fe00UL);
}

static void scanner_meeting(struct kunit *test)
{
	KUNIT_EXPECT_FALSE(test, cpol_scanners_met(&zone_span, 0x1001, 0x3fe00));
	KUNIT_EXPECT_FALSE(test, cpol_scanners_met(&zone_span, 0x1300, 0x1400));
	/* same block: nothing left to empty into */
	KUNIT_EXPECT_TRUE(test, cpol_scanners_met(&zone_span, 0x1300, 0x1200));
	KUNIT_EXPECT_TRUE(test, cpol_scanners_met(&zone_span, 0x1210, 0x13ff));
	KUNIT_EXPECT_TRUE(test, cpol_scanners_met(&zone_span, 0x2000, 0x1800));
}

static void scanner_restart(struct kunit *test)
{
	unsigned long top = cpol_free_scanner_start(&zone_span);

	KUNIT_EXPECT_EQ(test, cpol_restart_pfn(&zone_span, 0x20000, top), 0x20000UL);
	KUNIT_EXPECT_EQ(test, cpol_restart_pfn(&zone_span, 0x1001, top), 0x1001UL);
	/* outside the span (hotplug moved the zone): start afresh */
	KUNIT_EXPECT_EQ(test, cpol_restart_pfn(&zone_span, 0x1000, top), top);
	KUNIT_EXPECT_EQ(test, cpol_restart_pfn(&zone_span, 0x3ffe0, top), top);
	KUNIT_EXPECT_EQ(test, cpol_restart_pfn(&zone_span, 0, 0x1001), 0x1001UL);
}

/* ===================================================================== */
/* Block choice                                                          */
/* ===================================================================== */

static const struct cpol_rules async_rules = {
	.async = true, .want_kind = CPOL_BLOCK_MOVABLE, .keep_order = 9,
};

static const struct cpol_rules async_unmovable_rules = {
	.async = true, .want_kind = CPOL_BLOCK_OTHER, .keep_order = 9,
};

static const struct cpol_rules sync_rules = {
	.want_kind = CPOL_BLOCK_MOVABLE, .keep_order = 9,
};

static const struct cpol_rules manual_rules = {
	.ignore_skip = true, .want_kind = CPOL_BLOCK_MOVABLE, .keep_order = 9,
};

static void blocks_evacuated(struct kunit *test)
{
	struct cpol_block movable = { .kind = CPOL_BLOCK_MOVABLE, .free_order = -1 };
	struct cpol_block cma = { .kind = CPOL_BLOCK_CMA, .free_order = -1 };
	struct cpol_block other = { .kind = CPOL_BLOCK_OTHER, .free_order = -1 };
	struct cpol_block isolated = { .kind = CPOL_BLOCK_ISOLATED };
	struct cpol_block skipped = { .kind = CPOL_BLOCK_MOVABLE, .skip = true };

	/* async: only blocks of the allocation's own kind */
	KUNIT_EXPECT_TRUE(test, cpol_may_evacuate(&movable, &async_rules));
	KUNIT_EXPECT_TRUE(test, cpol_may_evacuate(&cma, &async_rules));
	KUNIT_EXPECT_FALSE(test, cpol_may_evacuate(&other, &async_rules));
	KUNIT_EXPECT_TRUE(test, cpol_may_evacuate(&other, &async_unmovable_rules));
	KUNIT_EXPECT_FALSE(test, cpol_may_evacuate(&movable, &async_unmovable_rules));
	/* sync: movable pages are taken out of any block */
	KUNIT_EXPECT_TRUE(test, cpol_may_evacuate(&other, &sync_rules));
	/* someone else's block, never */
	KUNIT_EXPECT_FALSE(test, cpol_may_evacuate(&isolated, &sync_rules));
	KUNIT_EXPECT_FALSE(test, cpol_may_evacuate(&isolated, &manual_rules));
	/* the skip hint holds unless the run ignores hints */
	KUNIT_EXPECT_FALSE(test, cpol_may_evacuate(&skipped, &sync_rules));
	KUNIT_EXPECT_TRUE(test, cpol_may_evacuate(&skipped, &manual_rules));
}

static void blocks_filled(struct kunit *test)
{
	struct cpol_rules any = { .any_target = true, .keep_order = 9 };
	struct cpol_rules for_order_3 = { .keep_order = 3 };
	struct cpol_block movable = { .kind = CPOL_BLOCK_MOVABLE, .skip = true,
				      .free_order = -1 };
	struct cpol_block other = { .kind = CPOL_BLOCK_OTHER, .free_order = 0 };
	struct cpol_block whole = { .kind = CPOL_BLOCK_MOVABLE, .free_order = 9 };
	struct cpol_block part = { .kind = CPOL_BLOCK_MOVABLE, .free_order = 3 };
	struct cpol_block isolated = { .kind = CPOL_BLOCK_ISOLATED,
				       .free_order = -1 };

	/* the skip hint is the migrate scanner's, not the free scanner's */
	KUNIT_EXPECT_TRUE(test, cpol_may_fill(&movable, &sync_rules));
	/* moved pages are movable: do not mix them into other blocks... */
	KUNIT_EXPECT_FALSE(test, cpol_may_fill(&other, &sync_rules));
	/* ...unless the run is desperate */
	KUNIT_EXPECT_TRUE(test, cpol_may_fill(&other, &any));
	KUNIT_EXPECT_FALSE(test, cpol_may_fill(&isolated, &any));
	/* never split what the run works towards, even when desperate */
	KUNIT_EXPECT_FALSE(test, cpol_may_fill(&whole, &sync_rules));
	KUNIT_EXPECT_FALSE(test, cpol_may_fill(&whole, &any));
	KUNIT_EXPECT_TRUE(test, cpol_may_fill(&part, &sync_rules));
	KUNIT_EXPECT_FALSE(test, cpol_may_fill(&part, &for_order_3));
}

/*
 * A free CMA page is a page only for a movable allocation that may use CMA:
 * kcompactd (no ALLOC_CMA, it works for the order's watermark) must not
 * stop at one, nor must a long-term pin.
 */
static void cma_serves_only_cma_allocations(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, cpol_cma_serves(CPOL_BLOCK_MOVABLE, true));
	KUNIT_EXPECT_FALSE(test, cpol_cma_serves(CPOL_BLOCK_MOVABLE, false));
	KUNIT_EXPECT_FALSE(test, cpol_cma_serves(CPOL_BLOCK_OTHER, true));
	KUNIT_EXPECT_FALSE(test, cpol_cma_serves(CPOL_BLOCK_CMA, false));
}

/* ===================================================================== */
/* Planned runs                                                          */
/* ===================================================================== */

#define N CPOL_USED_NEVER

/*
 * A planned run puts moved pages only in movable blocks: never in CMA ones
 * (every CMA allocation over them would have to move them again), nor in
 * blocks of other kinds.
 */
static void plan_fills_only_movable_blocks(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, cpol_plan_may_fill(CPOL_BLOCK_MOVABLE));
	KUNIT_EXPECT_FALSE(test, cpol_plan_may_fill(CPOL_BLOCK_CMA));
	KUNIT_EXPECT_FALSE(test, cpol_plan_may_fill(CPOL_BLOCK_OTHER));
	KUNIT_EXPECT_FALSE(test, cpol_plan_may_fill(CPOL_BLOCK_ISOLATED));
}

/*
 * A goal run's window: one block, the cheapest that can become free, for
 * any order up to a pageblock; none above (whole-zone census).
 */
static void goal_window_takes_the_cheapest_block(struct kunit *test)
{
	static const struct cpol_census_entry b[] = {
		{ 300, 212 }, { CPOL_USED_NEVER, 0 }, { 40, 472 }, { 12, 490 },
		{ 12, 500 }, { 200, 312 },
	};
	unsigned long budget = cpol_goal_window_budget(9, 9);
	DECLARE_BITMAP(src, 8) = { 0 };

	KUNIT_EXPECT_EQ(test, budget, 512UL);
	KUNIT_EXPECT_EQ(test, cpol_goal_window_budget(3, 9), 512UL);
	KUNIT_EXPECT_EQ(test, cpol_goal_window_budget(0, 9), 512UL);
	KUNIT_EXPECT_EQ(test, cpol_goal_window_budget(10, 9), 0UL);
	KUNIT_EXPECT_EQ(test, cpol_goal_window_budget(-1, 9), 0UL);
	/* block 3 (12 used, lower pfn than block 4's tie), nothing else */
	KUNIT_EXPECT_EQ(test, cpol_plan_sources(b, ARRAY_SIZE(b), budget, src), 1U);
	KUNIT_EXPECT_EQ(test, src[0], 1UL << 3);
}

/*
 * A score run's window: its own free pages (the never-free block's too:
 * it takes pages) less the reserve, spent on its cheapest blocks.
 */
static void score_window_spends_its_own_free(struct kunit *test)
{
	static const struct cpol_census_entry b[] = {
		{ 64, 448 }, { 64, 448 }, { CPOL_USED_NEVER, 100 }, { 0, 512 },
		{ 300, 212 }, { 64, 448 },
	};
	unsigned long budget = cpol_score_window_budget(b, ARRAY_SIZE(b), 128);
	DECLARE_BITMAP(src, 8) = { 0 };

	/* 2,168 free less 128 */
	KUNIT_EXPECT_EQ(test, budget, 2040UL);
	KUNIT_EXPECT_EQ(test, cpol_score_window_budget(b, 1, 448), 0UL);
	KUNIT_EXPECT_EQ(test, cpol_score_window_budget(b, 1, 1000), 0UL);
	/*
	 * The free block (512), then two of the three 64-page blocks (512
	 * each): the third would need 2,048; without the reserve it fits.
	 */
	KUNIT_EXPECT_EQ(test, cpol_plan_sources(b, ARRAY_SIZE(b), budget, src), 3U);
	KUNIT_EXPECT_EQ(test, src[0], BIT(0) | BIT(1) | BIT(3));
}

/*
 * A first direct try passes by blocks dearer than the mean busy block by
 * more than an eighth of a block, and never caps above a block.
 */
static void direct_cap_above_the_mean(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, cpol_direct_cost_cap(67000, 1000, 512), 131UL);
	KUNIT_EXPECT_EQ(test, cpol_direct_cost_cap(160000, 1000, 512), 224UL);
	KUNIT_EXPECT_EQ(test, cpol_direct_cost_cap(480000, 1000, 512), 512UL);
	KUNIT_EXPECT_EQ(test, cpol_direct_cost_cap(2000, 1000, 512), 66UL);
	KUNIT_EXPECT_EQ(test, cpol_direct_cost_cap(2000, 0, 512), 512UL);
	/* the mean is over busy blocks: half the zone's blocks free */
	KUNIT_EXPECT_EQ(test, cpol_direct_cost_cap(100000, 500, 512), 264UL);
}

/* A sample scales to the block, rounding up. */
static void direct_sample_scales(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, cpol_sampled_used(5, 40, 512), 64UL);
	KUNIT_EXPECT_EQ(test, cpol_sampled_used(40, 40, 512), 512UL);
	KUNIT_EXPECT_EQ(test, cpol_sampled_used(0, 40, 512), 0UL);
	KUNIT_EXPECT_EQ(test, cpol_sampled_used(1, 3, 512), 171UL);
	KUNIT_EXPECT_EQ(test, cpol_sampled_used(3, 0, 512), 0UL);
	KUNIT_EXPECT_EQ(test, cpol_sampled_used(50, 40, 512), 512UL);
}

/* The worked example of cpol_plan_sources()'s comment. */
static void plan_cheapest_blocks_first(struct kunit *test)
{
	static const struct cpol_census_entry b[] = {
		{ 3, 5 }, { 0, 8 }, { N, 6 }, { 5, 3 }, { 1, 7 },
	};
	DECLARE_BITMAP(src, 8) = { 0 };

	KUNIT_EXPECT_EQ(test, cpol_plan_sources(b, ARRAY_SIZE(b), 20, src), 2U);
	KUNIT_EXPECT_EQ(test, src[0], BIT(1) | BIT(4));
}

/* A budget for every block: all but the ones that cannot become free. */
static void plan_never_blocks_stay(struct kunit *test)
{
	static const struct cpol_census_entry b[] = {
		{ N, 0 }, { 511, 1 }, { N, 500 }, { 2, 510 }, { N, 0 },
	};
	DECLARE_BITMAP(src, 8) = { 0 };

	KUNIT_EXPECT_EQ(test, cpol_plan_sources(b, ARRAY_SIZE(b), ~0UL, src), 2U);
	KUNIT_EXPECT_EQ(test, src[0], BIT(1) | BIT(3));
}

/* Ties go to the lower pfn; a budget short of one block chooses none. */
static void plan_ties_and_partial_counts(struct kunit *test)
{
	static const struct cpol_census_entry b[] = {
		{ 4, 4 }, { 4, 4 }, { 6, 2 }, { 6, 2 }, { 6, 2 }, { 4, 4 },
	};
	DECLARE_BITMAP(src, 8) = { 0 };

	/* all three with 4 used (24), then two of the 6s (16) */
	KUNIT_EXPECT_EQ(test, cpol_plan_sources(b, ARRAY_SIZE(b), 40, src), 5U);
	KUNIT_EXPECT_EQ(test, src[0], BIT(0) | BIT(1) | BIT(2) | BIT(3) | BIT(5));
	bitmap_zero(src, 8);
	/* 7 pages: not even one block */
	KUNIT_EXPECT_EQ(test, cpol_plan_sources(b, ARRAY_SIZE(b), 7, src), 0U);
	KUNIT_EXPECT_EQ(test, src[0], 0UL);
	bitmap_zero(src, 8);
	/* an empty zone */
	KUNIT_EXPECT_EQ(test, cpol_plan_sources(b, 0, 100, src), 0U);
}

/*
 * The choice moves no more than the fewest moves that free as many blocks:
 * checked against every subset of a 10-block census.
 */
static void plan_is_optimal(struct kunit *test)
{
	static const struct cpol_census_entry b[] = {
		{ 9, 3 }, { 2, 10 }, { N, 4 }, { 7, 5 }, { 0, 12 },
		{ 12, 0 }, { 5, 7 }, { N, 0 }, { 3, 9 }, { 11, 1 },
	};
	unsigned long budget;

	for (budget = 0; budget <= 100; budget += 7) {
		DECLARE_BITMAP(src, 16) = { 0 };
		unsigned int k, best_k = 0, mask, i, moves = 0, best_moves = 0;

		k = cpol_plan_sources(b, ARRAY_SIZE(b), budget, src);
		for (i = 0; i < ARRAY_SIZE(b); i++)
			if (test_bit(i, src))
				moves += b[i].used;
		for (mask = 0; mask < 1U << ARRAY_SIZE(b); mask++) {
			unsigned long cost = 0;
			unsigned int n = 0, m = 0;

			for (i = 0; i < ARRAY_SIZE(b); i++) {
				if (!(mask & BIT(i)))
					continue;
				if (b[i].used == N)
					break;
				cost += b[i].used + b[i].free;
				m += b[i].used;
				n++;
			}
			if (i < ARRAY_SIZE(b) || cost > budget)
				continue;
			if (n > best_k || (n == best_k && m < best_moves)) {
				best_k = n;
				best_moves = m;
			}
		}
		KUNIT_EXPECT_EQ_MSG(test, k, best_k, "budget %lu", budget);
		KUNIT_EXPECT_EQ_MSG(test, moves, best_moves, "budget %lu", budget);
	}
}

#undef N

/* ===================================================================== */
/* Throttling and proactive compaction                                   */
/* ===================================================================== */

static void isolation_limit(struct kunit *test)
{
	/* __GFP_FS: 1/16 of the LRU */
	KUNIT_EXPECT_FALSE(test, cpol_too_many_isolated(1600, 100, true));
	KUNIT_EXPECT_TRUE(test, cpol_too_many_isolated(1600, 101, true));
	/* GFP_NOFS gets past that, up to half */
	KUNIT_EXPECT_FALSE(test, cpol_too_many_isolated(1600, 101, false));
	KUNIT_EXPECT_FALSE(test, cpol_too_many_isolated(1600, 800, false));
	KUNIT_EXPECT_TRUE(test, cpol_too_many_isolated(1600, 801, false));
	/* an empty LRU (a node of free memory) never waits for nothing */
	KUNIT_EXPECT_FALSE(test, cpol_too_many_isolated(0, 0, true));
	KUNIT_EXPECT_TRUE(test, cpol_too_many_isolated(0, 1, true));
}

static void score_band(struct kunit *test)
{
	struct cpol_score_marks m;

	m = cpol_score_marks(20);
	KUNIT_EXPECT_EQ(test, m.low, 80U);
	KUNIT_EXPECT_EQ(test, m.high, 90U);
	m = cpol_score_marks(0);
	KUNIT_EXPECT_EQ(test, m.low, 100U);
	KUNIT_EXPECT_EQ(test, m.high, 100U);
	/* never ask for a perfect node */
	m = cpol_score_marks(100);
	KUNIT_EXPECT_EQ(test, m.low, 5U);
	KUNIT_EXPECT_EQ(test, m.high, 15U);
	m = cpol_score_marks(97);
	KUNIT_EXPECT_EQ(test, m.low, 5U);
	/* out of range is clamped, not wrapped */
	m = cpol_score_marks(1000);
	KUNIT_EXPECT_EQ(test, m.low, 5U);
}

static void zone_score_weighting(struct kunit *test)
{
	/* 80 over a zone of 3/4 of the node */
	KUNIT_EXPECT_EQ(test, cpol_zone_score(80, 3000, 4000), 60U);
	/* a small fragmented zone barely counts */
	KUNIT_EXPECT_EQ(test, cpol_zone_score(100, 4096, 262144), 1U);
	KUNIT_EXPECT_EQ(test, cpol_zone_score(100, 262144, 262144), 100U);
	KUNIT_EXPECT_EQ(test, cpol_zone_score(150, 10, 10), 100U);
	KUNIT_EXPECT_EQ(test, cpol_zone_score(50, 10, 0), 0U);
}

static struct kunit_case compaction_policy_cases[] = {
	KUNIT_CASE(backoff_fresh_zone_runs),
	KUNIT_CASE(backoff_window_doubles_then_caps),
	KUNIT_CASE(backoff_lower_orders_pass),
	KUNIT_CASE(backoff_success),
	KUNIT_CASE(backoff_exhausted),
	KUNIT_CASE(suitability_free_needed),
	KUNIT_CASE(suitability_fragindex),
	KUNIT_CASE(scanner_block_bounds),
	KUNIT_CASE(scanner_meeting),
	KUNIT_CASE(scanner_restart),
	KUNIT_CASE(blocks_evacuated),
	KUNIT_CASE(blocks_filled),
	KUNIT_CASE(cma_serves_only_cma_allocations),
	KUNIT_CASE(plan_fills_only_movable_blocks),
	KUNIT_CASE(plan_cheapest_blocks_first),
	KUNIT_CASE(goal_window_takes_the_cheapest_block),
	KUNIT_CASE(score_window_spends_its_own_free),
	KUNIT_CASE(direct_cap_above_the_mean),
	KUNIT_CASE(direct_sample_scales),
	KUNIT_CASE(plan_never_blocks_stay),
	KUNIT_CASE(plan_ties_and_partial_counts),
	KUNIT_CASE(plan_is_optimal),
	KUNIT_CASE(isolation_limit),
	KUNIT_CASE(score_band),
	KUNIT_CASE(zone_score_weighting),
	{}
};

static struct kunit_suite compaction_policy_suite = {
	.name = "compaction-policy",
	.test_cases = compaction_policy_cases,
};

kunit_test_suite(compaction_policy_suite);

#endif /* _MM_TESTS_COMPACTION_POLICY_KUNIT_H */
