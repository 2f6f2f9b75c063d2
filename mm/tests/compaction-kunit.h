/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests of the compaction engine on a live zone.
 *
 * Included at the end of mm/compaction.c (CONFIG_COMPACTION_KUNIT_TEST) so
 * that the tests reach the engine's static functions.  The pure policy has
 * its own suite (compaction-policy-kunit.h); these cases run the mechanics
 * in the booted guest.
 *
 * The layout every case builds: NR_BLOCKS pageblocks taken whole from one
 * zone, each split into single pages of which only every KEEP_STRIDE-th is
 * kept; the rest go back to the buddy allocator.  The kept pages carry a
 * pattern and are registered with movable_operations of our own, so the
 * engine can isolate and migrate them (as it does zsmalloc's pages) and we
 * see every move.  With a pageblock of 512 pages:
 *
 *   block k:  K.......K.......K....  ...K.......   K = kept (8 of 512)
 *             ^0      ^64     ^128      ^448          . = free
 *
 * No block is free as a whole before compaction; a correct engine moves
 * the few kept pages out and frees most blocks.
 *
 * Where they go: the blocks are the lowest CT_NR_BLOCKS of a pool of
 * CT_POOL whole blocks; each block of the rest keeps only its first page
 * (a plain allocation, which does not move) and gives the other 511 back:
 *
 *   low pfns   [K...K...][K...K...] ... | [P.......][P.......] ...  high
 *              sources (16)             | targets (the rest)     P = pinned
 *
 * Like upstream's, our free scanner walks down from the zone's end and does
 * not fill blocks that are wholly free (that would cost a free block for
 * each one it empties), so targets must be partly used blocks above the
 * sources: otherwise the sources themselves become the targets and
 * nothing is freed, which is how two-scanner compaction behaves.
 */
#ifndef _MM_TESTS_COMPACTION_KUNIT_H
#define _MM_TESTS_COMPACTION_KUNIT_H

#include <kunit/test.h>
#include <linux/highmem.h>
#include <linux/sort.h>

#define CT_NR_BLOCKS	16
#define CT_POOL		64
#define CT_KEEP_STRIDE	64
#define CT_PER_BLOCK	(pageblock_nr_pages / CT_KEEP_STRIDE)

/**
 * struct ct_layout - the fragmented layout of a test case.
 * @zone:    the zone all blocks came from.
 * @block:   first pfn of each source block.
 * @page:    where each kept page is now (moves update it).
 * @nr:      kept pages.
 * @pinned:  first page of each target block, held to the end.
 * @nr_pinned: target blocks.
 * @moves:   pages moved by the engine so far.
 */
struct ct_layout {
	struct zone *zone;
	unsigned long block[CT_NR_BLOCKS];
	struct page **page;
	unsigned long nr;
	struct page *pinned[CT_POOL];
	unsigned int nr_pinned;
	atomic_t moves;
};

/* The layout the movable_operations callbacks work on; one case at a time. */
static struct ct_layout *ct_now;

static u32 ct_word(unsigned long idx, unsigned int w)
{
	return (u32)(idx * 2654435761UL) ^ (w * 40503U) ^ 0x5a5a5a5aU;
}

static void ct_fill(struct page *page, unsigned long idx)
{
	u32 *p = kmap_local_page(page);
	unsigned int w;

	for (w = 0; w < PAGE_SIZE / sizeof(u32); w++)
		p[w] = ct_word(idx, w);
	kunmap_local(p);
}

static bool ct_intact(struct page *page, unsigned long idx)
{
	u32 *p = kmap_local_page(page);
	bool ok = true;
	unsigned int w;

	for (w = 0; w < PAGE_SIZE / sizeof(u32) && ok; w++)
		ok = p[w] == ct_word(idx, w);
	kunmap_local(p);
	return ok;
}

/* --- movable_operations: a tiny driver owning the kept pages --- */

static bool ct_isolate(struct page *page, isolate_mode_t mode)
{
	return true;
}

static const struct movable_operations ct_mops;

/* Both pages are locked by the migration core. */
static int ct_migrate(struct page *dst, struct page *src,
		      enum migrate_mode mode)
{
	unsigned long idx = page_private(src);

	copy_highpage(dst, src);
	set_page_private(dst, idx);
	__SetPageMovable(dst, &ct_mops);
	get_page(dst);			/* the driver's reference moves over */
	WRITE_ONCE(ct_now->page[idx], dst);
	__ClearPageMovable(src);
	set_page_private(src, 0);
	put_page(src);
	atomic_inc(&ct_now->moves);
	return MIGRATEPAGE_SUCCESS;
}

static void ct_putback(struct page *page)
{
}

static const struct movable_operations ct_mops = {
	.isolate_page = ct_isolate,
	.migrate_page = ct_migrate,
	.putback_page = ct_putback,
};

static void ct_keep(struct ct_layout *l, struct page *page)
{
	unsigned long idx = l->nr++;

	ct_fill(page, idx);
	set_page_private(page, idx);
	lock_page(page);
	__SetPageMovable(page, &ct_mops);
	unlock_page(page);
	l->page[idx] = page;
}

static int ct_cmp_page(const void *a, const void *b)
{
	unsigned long pa = page_to_pfn(*(struct page * const *)a);
	unsigned long pb = page_to_pfn(*(struct page * const *)b);

	return pa < pb ? -1 : pa > pb;
}

/* Split one whole pageblock and keep every CT_KEEP_STRIDE-th page. */
static void ct_fragment_block(struct ct_layout *l, unsigned int b,
			      struct page *head)
{
	unsigned int i;

	l->block[b] = page_to_pfn(head);
	split_page(head, pageblock_order);
	for (i = 0; i < pageblock_nr_pages; i++) {
		if (i % CT_KEEP_STRIDE == 0)
			ct_keep(l, head + i);
		else
			__free_page(head + i);
	}
}

/* Keep only the first page of a whole pageblock: a target block. */
static void ct_target_block(struct ct_layout *l, struct page *head)
{
	unsigned int i;

	split_page(head, pageblock_order);
	l->pinned[l->nr_pinned++] = head;
	for (i = 1; i < pageblock_nr_pages; i++)
		__free_page(head + i);
}

/*
 * Build the layout of the file comment in the zone of the first block
 * allocated.  Return: 0, or -ENOMEM if not enough whole blocks were free.
 */
static int ct_build(struct kunit *test, struct ct_layout *l)
{
	gfp_t gfp = GFP_HIGHUSER_MOVABLE | __GFP_NOWARN | __GFP_NORETRY |
		    __GFP_THISNODE;
	int nid = numa_node_id();
	struct page **pool;
	unsigned int b, got = 0;

	memset(l, 0, sizeof(*l));
	l->page = kunit_kcalloc(test, CT_NR_BLOCKS * CT_PER_BLOCK,
				sizeof(*l->page), GFP_KERNEL);
	pool = kunit_kcalloc(test, CT_POOL, sizeof(*pool), GFP_KERNEL);
	if (!l->page || !pool)
		return -ENOMEM;
	ct_now = l;

	while (got < CT_POOL) {
		struct page *head = alloc_pages_node(nid, gfp, pageblock_order);

		if (!head)
			break;
		if (!l->zone)
			l->zone = page_zone(head);
		if (page_zone(head) != l->zone) {
			__free_pages(head, pageblock_order);
			break;
		}
		pool[got++] = head;
	}
	sort(pool, got, sizeof(*pool), ct_cmp_page, NULL);
	for (b = 0; b < got; b++) {
		if (b < CT_NR_BLOCKS)
			ct_fragment_block(l, b, pool[b]);
		else
			ct_target_block(l, pool[b]);
	}
	return got < 2 * CT_NR_BLOCKS ? -ENOMEM : 0;
}

/* Give every kept page back, wherever it is now. */
static void ct_teardown(struct ct_layout *l)
{
	unsigned long i;

	for (i = 0; i < l->nr; i++) {
		struct page *page = l->page[i];

		lock_page(page);
		__ClearPageMovable(page);
		unlock_page(page);
		set_page_private(page, 0);
		put_page(page);
	}
	l->nr = 0;
	for (i = 0; i < l->nr_pinned; i++)
		__free_page(l->pinned[i]);
	l->nr_pinned = 0;
	ct_now = NULL;
}

static unsigned long ct_count_intact(struct ct_layout *l)
{
	unsigned long i, good = 0;

	for (i = 0; i < l->nr; i++)
		good += ct_intact(l->page[i], i);
	return good;
}

/* Free pages of at least a pageblock in the zone, counted in pageblocks. */
static unsigned long ct_free_blocks(struct zone *zone)
{
	unsigned long flags, n = 0;
	unsigned int order;

	spin_lock_irqsave(&zone->lock, flags);
	for (order = pageblock_order; order < NR_PAGE_ORDERS; order++)
		n += zone->free_area[order].nr_free << (order - pageblock_order);
	spin_unlock_irqrestore(&zone->lock, flags);
	return n;
}

/* How many of the layout's blocks are one free page now? */
static unsigned int ct_blocks_freed(struct ct_layout *l)
{
	unsigned long flags;
	unsigned int b, n = 0;

	spin_lock_irqsave(&l->zone->lock, flags);
	for (b = 0; b < CT_NR_BLOCKS; b++) {
		unsigned long pfn = l->block[b];
		unsigned int order;

		/* The free page holding the block may start before it. */
		for (order = pageblock_order; order < NR_PAGE_ORDERS; order++) {
			struct page *head = pfn_to_page(round_down(pfn, 1UL << order));

			if (PageBuddy(head) && buddy_order(head) >= order) {
				n++;
				break;
			}
		}
	}
	spin_unlock_irqrestore(&l->zone->lock, flags);
	return n;
}

static enum compact_result ct_compact_zone_manually(struct zone *zone)
{
	struct compact_control cc = {
		.req = whole_zone_request(zone, COMPACT_REASON_MANUAL),
	};

	lru_add_drain_all();
	return compact_zone(&cc, NULL);
}

/*
 * A manual run over the zone frees most fragmented blocks and every kept
 * page keeps its contents.
 */
static void compaction_live_frees_fragmented_blocks(struct kunit *test)
{
	static struct ct_layout l;
	unsigned long before, after;
	enum compact_result res;
	unsigned int freed;

	if (ct_build(test, &l)) {
		ct_teardown(&l);
		kunit_skip(test, "could not take %d free pageblocks from one zone",
			   2 * CT_NR_BLOCKS);
	}
	KUNIT_ASSERT_EQ(test, l.nr, (unsigned long)CT_NR_BLOCKS * CT_PER_BLOCK);
	KUNIT_EXPECT_EQ(test, ct_blocks_freed(&l), 0U);
	before = ct_free_blocks(l.zone);

	res = ct_compact_zone_manually(l.zone);
	/* Pages freed on other CPUs' lists have not merged yet. */
	drain_all_pages(l.zone);

	after = ct_free_blocks(l.zone);
	freed = ct_blocks_freed(&l);
	kunit_info(test, "result %d, moved %d of %lu, blocks freed %u of %d, zone free blocks %lu -> %lu",
		   res, atomic_read(&l.moves), l.nr, freed, CT_NR_BLOCKS,
		   before, after);
	KUNIT_EXPECT_EQ(test, res, COMPACT_COMPLETE);
	KUNIT_EXPECT_GE(test, atomic_read(&l.moves), (int)(l.nr / 2));
	KUNIT_EXPECT_GE(test, freed, CT_NR_BLOCKS / 2U);
	KUNIT_EXPECT_GE(test, after, before + CT_NR_BLOCKS / 2);
	KUNIT_EXPECT_EQ(test, ct_count_intact(&l), l.nr);
	ct_teardown(&l);
}

/*
 * alloc_contig_range() over one fragmented block: the engine's range
 * scanners move the kept pages out and hand over the whole block.
 */
static void compaction_live_contig_range(struct kunit *test)
{
	static struct ct_layout l;
	unsigned long start, i;
	int err;

	if (!IS_ENABLED(CONFIG_CONTIG_ALLOC))
		kunit_skip(test, "CONFIG_CONTIG_ALLOC is off");
	if (ct_build(test, &l)) {
		ct_teardown(&l);
		kunit_skip(test, "could not take %d free pageblocks from one zone",
			   2 * CT_NR_BLOCKS);
	}
	start = l.block[CT_NR_BLOCKS / 2];
#ifdef CONFIG_CONTIG_ALLOC
	err = alloc_contig_range(start, start + pageblock_nr_pages,
				 MIGRATE_MOVABLE, GFP_KERNEL);
#else
	err = -EOPNOTSUPP;
#endif
	KUNIT_EXPECT_EQ(test, err, 0);
	if (!err) {
		/* Every page of the block is ours now, none is a kept page. */
		for (i = 0; i < l.nr; i++) {
			unsigned long pfn = page_to_pfn(l.page[i]);

			KUNIT_EXPECT_TRUE(test, pfn < start ||
					  pfn >= start + pageblock_nr_pages);
		}
		KUNIT_EXPECT_EQ(test, page_count(pfn_to_page(start)), 1);
		free_contig_range(start, pageblock_nr_pages);
	}
	KUNIT_EXPECT_GE(test, atomic_read(&l.moves), (int)CT_PER_BLOCK);
	KUNIT_EXPECT_EQ(test, ct_count_intact(&l), l.nr);
	ct_teardown(&l);
}

/*
 * The zone side of deferral: the fields page_alloc.c and the tracepoints
 * read follow the policy (window doubles per failure, reset on success).
 */
static void compaction_live_deferral_on_zone(struct kunit *test)
{
	pg_data_t *pgdat = NODE_DATA(numa_node_id());
	struct zone *zone = NULL;
	struct cpol_backoff saved;
	int i;

	for (i = MAX_NR_ZONES - 1; i >= 0 && !zone; i--)
		if (populated_zone(&pgdat->node_zones[i]))
			zone = &pgdat->node_zones[i];
	if (!zone)
		kunit_skip(test, "no populated zone to test on");
	saved = zone_backoff(zone);

	compaction_defer_reset(zone, 9, true);
	KUNIT_EXPECT_EQ(test, zone->compact_defer_shift, 0U);
	defer_compaction(zone, 9);
	defer_compaction(zone, 9);
	KUNIT_EXPECT_EQ(test, zone->compact_defer_shift, 2U);
	KUNIT_EXPECT_EQ(test, zone->compact_order_failed, 9);
	/* Window of 4: three requests held back, the fourth goes through. */
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_TRUE(test, compaction_deferred(zone, 9));
	KUNIT_EXPECT_FALSE(test, compaction_deferred(zone, 9));
	/* Lower orders are never held back. */
	KUNIT_EXPECT_FALSE(test, compaction_deferred(zone, 3));
	compaction_defer_reset(zone, 9, true);
	KUNIT_EXPECT_EQ(test, zone->compact_defer_shift, 0U);
	KUNIT_EXPECT_EQ(test, zone->compact_order_failed, 10);

	zone_backoff_store(zone, &saved);
}

static struct kunit_case compaction_live_cases[] = {
	KUNIT_CASE(compaction_live_deferral_on_zone),
	KUNIT_CASE(compaction_live_frees_fragmented_blocks),
	KUNIT_CASE(compaction_live_contig_range),
	{}
};

static struct kunit_suite compaction_live_suite = {
	.name = "compaction-live",
	.test_cases = compaction_live_cases,
};

kunit_test_suite(compaction_live_suite);

#endif /* _MM_TESTS_COMPACTION_KUNIT_H */
