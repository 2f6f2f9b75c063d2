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
	{}
};

static struct kunit_suite compaction_policy_suite = {
	.name = "compaction-policy",
	.test_cases = compaction_policy_cases,
};

kunit_test_suite(compaction_policy_suite);

#endif /* _MM_TESTS_COMPACTION_POLICY_KUNIT_H */
