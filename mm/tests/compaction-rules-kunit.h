/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests that pin rules of the engine's mechanics which upstream 6.12
 * has and a rewrite can lose without any layout test noticing.
 *
 * Included at the end of mm/compaction.c (CONFIG_COMPACTION_KUNIT_TEST),
 * next to the live suite, to reach static functions.  Each case names the
 * rule, and what a broken engine does that makes the case fail.
 */
#ifndef _MM_TESTS_COMPACTION_RULES_KUNIT_H
#define _MM_TESTS_COMPACTION_RULES_KUNIT_H

#include <kunit/test.h>
#include <linux/sched/signal.h>

/* The zone with the most pageblocks: the one a sweep takes longest over. */
static struct zone *cr_largest_zone(void)
{
	struct zone *zone, *best = NULL;

	for_each_populated_zone(zone)
		if (!best || zone->spanned_pages > best->spanned_pages)
			best = zone;
	return best;
}

/*
 * Only a fully synchronous run may block on a folio.  Sync-light runs
 * (kcompactd, proactive, the middle direct priority) isolate only what can
 * move without blocking, so the isolation helpers get
 * ISOLATE_ASYNC_MIGRATE from them as from async runs.  An engine that
 * gives it to async runs only isolates folios under writeback in
 * kcompactd, which can only fail to move.
 */
static void compaction_rules_nonblocking_isolation(struct kunit *test)
{
	struct compact_control cc = { };

	cc.req.mode = MIGRATE_ASYNC;
	KUNIT_EXPECT_TRUE(test, run_isolate_mode(&cc) & ISOLATE_ASYNC_MIGRATE);
	cc.req.mode = MIGRATE_SYNC_LIGHT;
	KUNIT_EXPECT_TRUE(test, run_isolate_mode(&cc) & ISOLATE_ASYNC_MIGRATE);
	cc.req.mode = MIGRATE_SYNC;
	KUNIT_EXPECT_FALSE(test, run_isolate_mode(&cc) & ISOLATE_ASYNC_MIGRATE);
}

/*
 * A sweep over pageblocks the migrate scanner may not use still looks for
 * a reason to stop.  Every pageblock of the largest zone gets the skip
 * hint, so a sync-light run for an allocation (which honours hints) has
 * nothing to isolate anywhere; with a fatal signal pending it must stop
 * within COMPACT_SWEEP_CHECK_EVERY blocks.  An engine that steps over
 * such blocks without a check crosses the whole zone first:
 *
 *   zone   [S][S][S][S] ... [S][S][S]   S = skip hint set
 *           ^start, stop before ^start + 32 blocks
 *
 * The hints are cleared again (as kswapd does after a direct run).
 */
static void compaction_rules_sweep_stops(struct kunit *test)
{
	struct zone *zone = cr_largest_zone();
	struct compact_control cc = { };
	struct cpol_span span;
	unsigned long pfn, swept;
	int err;

	if (!zone)
		kunit_skip(test, "no populated zone");
	span = zone_span(zone);
	if ((span.end - span.start) >> pageblock_order <
	    4 * COMPACT_SWEEP_CHECK_EVERY)
		kunit_skip(test, "zone %s has too few pageblocks", zone->name);

	for (pfn = span.start; pfn < span.end; pfn = pageblock_end_pfn(pfn)) {
		struct page *page = pfn_to_online_page(pfn);

		if (page && page_zone(page) == zone)
			set_pageblock_skip(page);
	}

	cc.req = (struct compact_request) {
		.zone = zone,
		.gfp_mask = GFP_KERNEL,
		.order = pageblock_order,
		.migratetype = MIGRATE_MOVABLE,
		.highest_zoneidx = zone_idx(zone),
		.mode = MIGRATE_SYNC_LIGHT,
		.reason = COMPACT_REASON_DIRECT,
		.flags = COMPACT_F_NO_SET_SKIP,
	};
	INIT_LIST_HEAD(&cc.migratepages);
	free_lists_init(&cc);
	cc.cur.migrate_pfn = span.start;
	cc.cur.free_pfn = cpol_free_scanner_start(&span);
	cc.cur.free_next = cc.cur.free_pfn;

	allow_signal(SIGKILL);
	send_sig(SIGKILL, current, 1);
	KUNIT_EXPECT_TRUE(test, fatal_signal_pending(current));
	err = run_isolate(&cc);
	flush_signals(current);
	disallow_signal(SIGKILL);
	zone_forget_hints(zone);

	swept = (cc.cur.migrate_pfn - span.start) >> pageblock_order;
	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, cc.nr_migratepages, 0U);
	KUNIT_EXPECT_TRUE(test, cc.stats.contended);
	KUNIT_EXPECT_LE_MSG(test, swept, (unsigned long)COMPACT_SWEEP_CHECK_EVERY,
			    "swept %lu blocks of %lu with a fatal signal pending",
			    swept, (span.end - span.start) >> pageblock_order);
}

/* --- a page that refuses to move, owned by a driver of our own --- */

static bool cr_isolate(struct page *page, isolate_mode_t mode)
{
	return true;
}

static int cr_migrate(struct page *dst, struct page *src,
		      enum migrate_mode mode)
{
	return -EBUSY;
}

static void cr_putback(struct page *page)
{
}

static const struct movable_operations cr_stuck_mops = {
	.isolate_page = cr_isolate,
	.migrate_page = cr_migrate,
	.putback_page = cr_putback,
};

/*
 * A batch whose pages fail to move leaves the cached migrate position at
 * the block it began in, so the next run looks at that block again;
 * only blocks that yielded nothing are passed for good (upstream caches a
 * block only when nothing was isolated from it).  The batch is one page
 * of a driver that takes it out and never lets it move; the free scanner
 * has met the migrate scanner, so there is no target either:
 *
 *   block B   [p.........]   p isolated, fails to move
 *   cached    before the batch: end of B  ->  after: start of B
 *
 * An engine that keeps the position it had reached skips B until the
 * scanners wrap around.
 */
static void compaction_rules_failed_block_revisited(struct kunit *test)
{
	struct compact_control cc = { };
	unsigned long pfn, bstart, bend, saved[2];
	struct page *page;
	struct zone *zone;

	page = alloc_page(GFP_KERNEL);
	if (!page)
		kunit_skip(test, "no page");
	lock_page(page);
	__SetPageMovable(page, &cr_stuck_mops);
	unlock_page(page);

	pfn = page_to_pfn(page);
	zone = page_zone(page);
	bstart = max(pageblock_start_pfn(pfn), zone->zone_start_pfn);
	bend = min(pageblock_end_pfn(pfn), zone_end_pfn(zone));
	cc.req = (struct compact_request) {
		.zone = zone,
		.gfp_mask = GFP_KERNEL,
		.order = pageblock_order,
		.migratetype = MIGRATE_MOVABLE,
		.highest_zoneidx = zone_idx(zone),
		.mode = MIGRATE_SYNC_LIGHT,
		.reason = COMPACT_REASON_DIRECT,
	};
	INIT_LIST_HEAD(&cc.migratepages);
	free_lists_init(&cc);
	cc.cur.migrate_pfn = bend;
	cc.cur.free_pfn = bstart;
	cc.cur.free_next = bstart;
	cc.cur.batch_pfn = bstart;

	KUNIT_ASSERT_TRUE(test, isolate_movable_page(page, run_isolate_mode(&cc)));
	take_onto_list(&cc, &page->lru, 1);

	saved[0] = zone->compact_cached_migrate_pfn[0];
	saved[1] = zone->compact_cached_migrate_pfn[1];
	zone->compact_cached_migrate_pfn[0] = bend;
	zone->compact_cached_migrate_pfn[1] = bend;
	run_migrate(&cc);
	KUNIT_EXPECT_EQ(test, cc.stats.migrated, 0UL);
	KUNIT_EXPECT_EQ(test, cc.stats.failed, 1UL);
	KUNIT_EXPECT_EQ(test, zone->compact_cached_migrate_pfn[0], bstart);
	KUNIT_EXPECT_EQ(test, zone->compact_cached_migrate_pfn[1], bstart);
	zone->compact_cached_migrate_pfn[0] = saved[0];
	zone->compact_cached_migrate_pfn[1] = saved[1];

	/* putback_movable_pages() gave the page back; it is ours again. */
	KUNIT_EXPECT_FALSE(test, PageIsolated(page));
	KUNIT_EXPECT_EQ(test, page_count(page), 1);
	lock_page(page);
	__ClearPageMovable(page);
	unlock_page(page);
	__free_page(page);
}

/*
 * Place @cc's scanners by hand, its request already set: the migrate
 * scanner at @migrate_pfn, the free scanner at the start of block
 * @free_pfn, no free page held; with @lists_off, the free-list search is
 * not tried (the walk is what a case looks at).
 */
static void ct_place_scanners(struct compact_control *cc, unsigned long migrate_pfn,
			      unsigned long free_pfn, bool lists_off)
{
	INIT_LIST_HEAD(&cc->migratepages);
	free_lists_init(cc);
	cc->cur.migrate_pfn = migrate_pfn;
	cc->cur.free_pfn = free_pfn;
	cc->cur.free_next = free_pfn;
	cc->cur.free_lists_off = lists_off;
}

/* Tries of compaction_rules_free_scanner_resumes() at its block. */
#define CT_RESUME_TRIES	3

/* A pageblock of our own, all free but its first page; NULL if none. */
static struct page *ct_block_but_first(void)
{
	struct page *head;
	unsigned long i;

	head = alloc_pages(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN | __GFP_NORETRY,
			   pageblock_order);
	if (!head)
		return NULL;
	split_page(head, pageblock_order);
	for (i = 1; i < pageblock_nr_pages; i++)
		__free_page(head + i);
	/* Freed pages wait on per-CPU lists: give them to the buddy. */
	drain_all_pages(page_zone(head));
	return head;
}

/*
 * The free scanner resumes inside a pageblock where it stopped: a refill
 * that needs more pages goes on from cursor.free_next and never looks at a
 * pfn twice.  The block is one of our own, all free but its first page:
 *
 *   block B   [K ffff ffff ... ffff]   K = kept, f = free
 *              ^B    ^B+32 (first refill stops here, 31 pages taken)
 *
 * A scanner that starts the block over on every call takes no page twice
 * (taken pages are no longer free) but counts B..B+31 again: the run's
 * free_scanned then exceeds the pfns it crossed.
 *
 * The block's free pages are the buddy allocator's between the calls: at
 * boot another CPU's allocations once split and took them, and the second
 * refill rightly walked the rest of B and stepped down to the block below.
 * So the pfns crossed are counted from wherever the scanner stands: every
 * block from B down to its current one walked whole, then the current one
 * up to free_next.  Once they were all gone before the first refill, which
 * took nothing in B and walked on to the zone's start; the case then sets
 * its block up again (CT_RESUME_TRIES in all) and judges the last try.
 */
static void compaction_rules_free_scanner_resumes(struct kunit *test)
{
	struct compact_control cc;
	struct cpol_span span;
	struct page *head;
	unsigned long b, first, crossed;
	int try;

	for (try = 1; ; try++) {
		head = ct_block_but_first();
		if (!head)
			kunit_skip(test, "no free pageblock");
		b = page_to_pfn(head);
		memset(&cc, 0, sizeof(cc));
		cc.req = whole_zone_request(page_zone(head), COMPACT_REASON_MANUAL);
		cc.req.flags |= COMPACT_F_NO_SET_SKIP;
		span = zone_span(cc.req.zone);
		/* the walk, not the search of the free lists that comes first */
		ct_place_scanners(&cc, span.start, b, true);

		cc.nr_migratepages = 1;
		free_scanner_refill(&cc, 0);
		first = cc.nr_freepages;
		if ((first && cc.cur.free_pfn == b) || try == CT_RESUME_TRIES)
			break;
		kunit_info(test, "block 0x%lx lost its free pages before the first refill (%lu taken, scanner at 0x%lx): again",
			   b, first, cc.cur.free_pfn);
		cc.nr_migratepages = 0;
		free_lists_release(&cc);
		__free_page(head);
	}
	KUNIT_EXPECT_EQ(test, cc.cur.free_pfn, b);
	KUNIT_EXPECT_GT(test, cc.cur.free_next, b);
	cc.nr_migratepages = first + 8;
	free_scanner_refill(&cc, 0);
	KUNIT_EXPECT_GE(test, cc.nr_freepages, first + 8);
	KUNIT_EXPECT_LE(test, cc.cur.free_pfn, b);
	if (cc.cur.free_pfn != b)
		kunit_info(test, "block 0x%lx ran out of free pages to other allocators: the scanner went on to 0x%lx",
			   b, cc.cur.free_pfn);
	crossed = (b - cc.cur.free_pfn) + (cc.cur.free_next - cc.cur.free_pfn);
	KUNIT_EXPECT_EQ_MSG(test, cc.stats.free_scanned, crossed,
			    "free scanner: pfns of block 0x%lx visited twice or passed over", b);

	cc.nr_migratepages = 0;
	free_lists_release(&cc);
	__free_page(head);
}

/* Does the run hold a free page from [@start, @end)? */
static bool ct_holds_page_in(struct compact_control *cc, unsigned long start,
			     unsigned long end)
{
	struct page *page;
	unsigned int o;

	for (o = 0; o < NR_PAGE_ORDERS; o++)
		list_for_each_entry(page, &cc->freepages[o], lru)
			if (page_to_pfn(page) >= start && page_to_pfn(page) < end)
				return true;
	return false;
}

/* Is every free page the run holds at or above @pfn? */
static bool ct_holds_only_above(struct compact_control *cc, unsigned long pfn)
{
	return !ct_holds_page_in(cc, 0, pfn);
}

/*
 * A search of the free lists takes targets only where the migrate scanner
 * never goes: with the migrate scanner in the block right below the free
 * scanner's, only the free scanner's pageblock and those above.  Our block
 * B, all free but its first page, has its free pages on the lists of
 * orders 0 to 8:
 *
 *   block B   [K f ff ffff ... (256)]   K = kept
 *
 * With the free scanner at B, they may be taken (the search begins at the
 * lists' tails, so others may be taken first); with it just above B, none
 * of them (a run would fill a block its migrate scanner is about to
 * empty).  Each search looks at a bounded number of list
 * entries.
 */
static void compaction_rules_free_lists_search_stays_above(struct kunit *test)
{
	struct compact_control cc = { };
	struct page *head;
	unsigned long b;
	int pass;

	head = ct_block_but_first();
	if (!head)
		kunit_skip(test, "no free pageblock");
	b = page_to_pfn(head);

	for (pass = 0; pass < 2; pass++) {
		unsigned long floor = pass ? b + pageblock_nr_pages : b;

		cc.req = whole_zone_request(page_zone(head), COMPACT_REASON_MANUAL);
		cc.req.flags |= COMPACT_F_NO_SET_SKIP;
		memset(&cc.stats, 0, sizeof(cc.stats));
		/* the migrate scanner just below: the search's floor is @floor */
		ct_place_scanners(&cc, floor - pageblock_nr_pages, floor, false);
		cc.nr_migratepages = 2 * COMPACT_BATCH;

		free_lists_search(&cc, 0);
		KUNIT_EXPECT_TRUE_MSG(test, ct_holds_only_above(&cc, floor),
				      "a target below the free scanner's block 0x%lx", floor);
		KUNIT_EXPECT_GE(test, cc.cur.free_pfn, floor);
		KUNIT_EXPECT_LE(test, cc.stats.list_scanned, FREE_LIST_LOOK_MAX);
		KUNIT_EXPECT_EQ(test, cc.stats.free_scanned, 0UL);
		if (pass)
			KUNIT_EXPECT_FALSE(test, ct_holds_page_in(&cc, b, b + pageblock_nr_pages));
		cc.nr_migratepages = 0;
		free_lists_release(&cc);
	}
	__free_page(head);
}

/*
 * A direct compactor's free scanner passes a pageblock it has walked
 * through without finding a free page: it sets the block's skip hint and
 * heeds it in the runs after, as long as they honour hints.  Our block F
 * is allocated whole (split, every page kept):
 *
 *   block F   [KKKK KKKK ... KKKK]   K = kept
 *
 * A direct run's free scanner walks it (512 pfns, nothing taken); the next
 * direct run's passes it without reading a pfn; a manual run, which
 * ignores hints, walks it again.  Without the hint every failing THP fault
 * walked the same full blocks at the top of the zone.
 */
static void compaction_rules_free_scanner_marks_full(struct kunit *test)
{
	static const unsigned long want[] = { 1, 0, 1 };	/* blocks walked */
	struct page *head;
	unsigned long b, i;
	int pass;

	head = alloc_pages(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN | __GFP_NORETRY,
			   pageblock_order);
	if (!head)
		kunit_skip(test, "no free pageblock");
	split_page(head, pageblock_order);
	b = page_to_pfn(head);
	clear_pageblock_skip(head);

	for (pass = 0; pass < 3; pass++) {
		struct compact_control cc = { };
		struct cpol_span span;

		cc.req = whole_zone_request(page_zone(head), pass < 2 ?
					    COMPACT_REASON_DIRECT : COMPACT_REASON_MANUAL);
		if (pass < 2) {
			/* a THP fault's run: hints heeded and set */
			cc.req.order = pageblock_order;
			cc.req.mode = MIGRATE_SYNC_LIGHT;
			cc.req.flags = 0;
		} else {
			cc.req.flags |= COMPACT_F_NO_SET_SKIP;
		}
		span = zone_span(cc.req.zone);
		ct_place_scanners(&cc, span.start, b, true);
		cc.nr_migratepages = 1;

		free_scanner_work_block(&cc, &span, 0);
		KUNIT_EXPECT_EQ_MSG(test, cc.stats.free_scanned, want[pass] * pageblock_nr_pages,
				    "pass %d: pfns of full block 0x%lx read", pass, b);
		KUNIT_EXPECT_EQ(test, cc.nr_freepages, 0U);
		KUNIT_EXPECT_TRUE_MSG(test, get_pageblock_skip(head),
				      "pass %d: no skip hint on full block 0x%lx", pass, b);
		cc.nr_migratepages = 0;
		free_lists_release(&cc);
	}
	clear_pageblock_skip(head);
	for (i = 0; i < pageblock_nr_pages; i++)
		__free_page(head + i);
}

/* Free every odd page of the split pageblock at @head. */
static void ct_free_odd(struct page *head)
{
	unsigned long i;

	for (i = 1; i < pageblock_nr_pages; i += 2)
		__free_page(head + i);
	drain_all_pages(page_zone(head));
}

/* Free every even page of the split pageblock at @head. */
static void ct_free_even(struct page *head)
{
	unsigned long i;

	for (i = 0; i < pageblock_nr_pages; i += 2)
		__free_page(head + i);
}

/*
 * The free-list search reads each list from both ends.  Memory freed in
 * one sweep leaves its lowest holes near the tail and its highest near the
 * head; an unplanned run may take only those above its floor.  Two split
 * pageblocks L below H, their odd pages freed (order-0 holes that cannot
 * merge), L's first:
 *
 *   order-0 list:  head -> [H's 256 holes][L's 256 holes][older ...] <- tail
 *
 * With the floor at H, only H's holes may be taken, and a search that
 * reads from the tail alone spends its whole budget on older entries and
 * L's holes: it takes nothing, and the free scanner walks instead.
 */
static void compaction_rules_free_lists_search_reads_head(struct kunit *test)
{
	gfp_t gfp = GFP_HIGHUSER_MOVABLE | __GFP_NOWARN | __GFP_NORETRY;
	struct compact_control cc = { };
	struct page *low, *high;
	unsigned long floor;

	low = alloc_pages(gfp, pageblock_order);
	high = alloc_pages(gfp, pageblock_order);
	if (!low || !high || page_zone(low) != page_zone(high)) {
		if (low)
			__free_pages(low, pageblock_order);
		if (high)
			__free_pages(high, pageblock_order);
		kunit_skip(test, "no two free pageblocks of one zone");
	}
	if (page_to_pfn(low) > page_to_pfn(high))
		swap(low, high);
	split_page(low, pageblock_order);
	split_page(high, pageblock_order);
	ct_free_odd(low);
	ct_free_odd(high);
	floor = page_to_pfn(high);

	cc.req = whole_zone_request(page_zone(high), COMPACT_REASON_MANUAL);
	cc.req.flags |= COMPACT_F_NO_SET_SKIP;
	/* the migrate scanner right below H: the floor is H's first pfn */
	ct_place_scanners(&cc, floor - pageblock_nr_pages, floor, false);
	cc.nr_migratepages = COMPACT_BATCH;

	free_lists_search(&cc, 0);
	KUNIT_EXPECT_TRUE_MSG(test, ct_holds_page_in(&cc, floor, floor + pageblock_nr_pages),
			      "no hole of block 0x%lx taken (%u pages taken, %lu entries looked at)",
			      floor, cc.nr_freepages, cc.stats.list_scanned);
	KUNIT_EXPECT_TRUE(test, ct_holds_only_above(&cc, floor));
	KUNIT_EXPECT_LE(test, cc.stats.list_scanned, FREE_LIST_LOOK_MAX);
	KUNIT_EXPECT_FALSE(test, cc.cur.free_lists_off);

	cc.nr_migratepages = 0;
	free_lists_release(&cc);
	ct_free_even(low);
	ct_free_even(high);
}

static struct kunit_case compaction_rules_cases[] = {
	KUNIT_CASE(compaction_rules_nonblocking_isolation),
	KUNIT_CASE(compaction_rules_sweep_stops),
	KUNIT_CASE(compaction_rules_failed_block_revisited),
	KUNIT_CASE(compaction_rules_free_scanner_resumes),
	KUNIT_CASE(compaction_rules_free_lists_search_stays_above),
	KUNIT_CASE(compaction_rules_free_lists_search_reads_head),
	KUNIT_CASE(compaction_rules_free_scanner_marks_full),
	{}
};

static struct kunit_suite compaction_rules_suite = {
	.name = "compaction-rules",
	.test_cases = compaction_rules_cases,
};

kunit_test_suite(compaction_rules_suite);

#endif /* _MM_TESTS_COMPACTION_RULES_KUNIT_H */
