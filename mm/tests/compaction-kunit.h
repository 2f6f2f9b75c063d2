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
 * see every isolation, move and putback.  With a pageblock of 512 pages:
 *
 *   block k:  K.......K.......K....  ...K.......   K = kept (8 of 512)
 *             ^0      ^64     ^128      ^448          . = free
 *
 * No block is free as a whole before compaction; a correct engine moves
 * the kept pages out and frees every block.
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
 * nothing is freed, which is how two-scanner compaction behaves.  With 48
 * target blocks of 511 free pages above them, the free scanner never gets
 * down to a source block, so a correct engine's answer is exact: every
 * kept page moves once (128 moves) and all 16 blocks come free.
 *
 * What each case must give back (ct_finish(), ct_expect_given_back()):
 * with the zone's per-CPU lists drained and held empty while counting,
 * the zone's NR_FREE_PAGES and the node's NR_ISOLATED_ANON/FILE read the
 * same after the teardown as before the layout was built; every page the
 * layout held is free again; and every isolation of a kept page ended in
 * a move or a putback.  For the count to be exact, nothing else may come
 * or go meanwhile: what the case allocates itself is taken before the
 * first count (the KUnit arrays, the capture case's task) or after the
 * last (log lines); the initramfs, which the kernel may still be
 * unpacking while built-in KUnit runs, is waited for; so are the stacks
 * of exited tasks (KUnit's threads for the previous case), which come
 * back after an RCU grace period, and the workqueue workers the case's
 * lru_add_drain_all() may start.  The guest is otherwise idle during
 * KUnit: its QEMU has no PS/2 controller (harness/boot.sh), whose mouse
 * the kernel probed on a worker while the cases ran (once, the mouse's
 * input device took a page in the middle of a case).  Idle is not quiet
 * while the kernel boots, though: a worker still starting up, a delayed
 * work that creates a thread, can take pages of the zone in the middle of
 * a case (seen: 8 pages, once in about ten boots, with the clocksource's
 * late calibration running at the time).  So the count is exact only
 * when nobody else allocated from a zone of its kind meanwhile: the
 * page allocator's PGALLOC event for the zone's index, less what the
 * case allocated itself, bounds what others can have taken
 * (ct_others_allocated()), and the shortfall may be at most that.  The
 * other allowance is page_owner's (ct_free_slack()).
 */
#ifndef _MM_TESTS_COMPACTION_KUNIT_H
#define _MM_TESTS_COMPACTION_KUNIT_H

#include <kunit/test.h>
#include <linux/highmem.h>
#include <linux/initrd.h>
#include <linux/page_owner.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/signal.h>
#include <linux/sort.h>
#include <linux/stackdepot.h>
#include <linux/workqueue.h>

#define CT_NR_BLOCKS	16
#define CT_POOL		64
#define CT_KEEP_STRIDE	64
#define CT_PER_BLOCK	(pageblock_nr_pages / CT_KEEP_STRIDE)
/* No kept page refuses to move. */
#define CT_NONE		ULONG_MAX

/* How the layout's blocks are allocated. */
#define CT_GFP		(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN | __GFP_NORETRY | \
			 __GFP_THISNODE)

/**
 * struct ct_tally - what a case must give back.
 * @free:          the zone's NR_FREE_PAGES.
 * @isolated_anon: the node's NR_ISOLATED_ANON.
 * @isolated_file: the node's NR_ISOLATED_FILE.
 * @allocated:     pages allocated from zones of the zone's index, every
 *                 node's, since boot (PGALLOC; 0 without the counters).
 *
 * Read with the zone's per-CPU lists drained and every CPU's pending
 * counter deltas folded in.
 */
struct ct_tally {
	unsigned long free;
	long isolated_anon;
	long isolated_file;
	unsigned long allocated;
};

/**
 * struct ct_end - the state after a case's teardown.
 * @tally:    the counters.
 * @not_free: pages the layout held that are not free again.
 */
struct ct_end {
	struct ct_tally tally;
	unsigned long not_free;
};

/**
 * struct ct_layout - the fragmented layout of a test case.
 * @zone:       the zone all blocks came from.
 * @block:      first pfn of each source block.
 * @page:       where each kept page is now (moves update it).
 * @nr:         kept pages.
 * @pinned:     first page of each target block, held to the end.
 * @nr_pinned:  target blocks.
 * @held:       free blocks taken whole (capture case), linked by lru.
 * @nr_held:    blocks on @held.
 * @refuse:     index of the kept page whose migration fails, or CT_NONE.
 * @isolations: kept pages isolated by the engine so far.
 * @moves:      kept pages moved.
 * @refusals:   migrations of @refuse refused.
 * @putbacks:   kept pages put back after isolation.
 * @allocated:  pages the case allocated from the zone itself after
 *              @before was read (the pool, the held blocks, the new frames
 *              of the pages alloc_contig_range() moves).
 * @before:     the counters before the layout was built.
 */
struct ct_layout {
	struct zone *zone;
	unsigned long block[CT_NR_BLOCKS];
	struct page **page;
	unsigned long nr;
	struct page *pinned[CT_POOL];
	unsigned int nr_pinned;
	struct list_head held;
	unsigned int nr_held;
	unsigned long refuse;
	atomic_t isolations;
	atomic_t moves;
	atomic_t refusals;
	atomic_t putbacks;
	unsigned long allocated;
	struct ct_tally before;
};

/* The layout the movable_operations callbacks work on; one case at a time. */
static struct ct_layout *ct_now;

/* ===================================================================== */
/* Counting                                                              */
/* ===================================================================== */

/* A node counter with every CPU's pending delta folded in. */
static long ct_node_state(pg_data_t *pgdat, enum node_stat_item item)
{
	long x = atomic_long_read(&pgdat->vm_stat[item]);
#ifdef CONFIG_SMP
	int cpu;

	for_each_online_cpu(cpu)
		x += per_cpu_ptr(pgdat->per_cpu_nodestats, cpu)->vm_node_stat_diff[item];
#endif
	return x;
}

/*
 * Pages allocated so far from the zones of @zone's index (every node's):
 * the PGALLOC event the page allocator counts for each allocation, single
 * pages, higher orders and bulk alike.  Compaction's own isolation of
 * free pages is not counted there.
 */
static unsigned long ct_allocated(struct zone *zone)
{
#ifdef CONFIG_VM_EVENT_COUNTERS
	int item = PGALLOC_NORMAL - ZONE_NORMAL + zone_idx(zone);
	unsigned long n = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		n += per_cpu(vm_event_states, cpu).event[item];
	return n;
#else
	return 0;
#endif
}

/* Read the counters; the caller holds the zone's per-CPU lists disabled. */
static void ct_read_tally(struct zone *zone, struct ct_tally *t)
{
	t->free = zone_page_state_snapshot(zone, NR_FREE_PAGES);
	t->isolated_anon = ct_node_state(zone->zone_pgdat, NR_ISOLATED_ANON);
	t->isolated_file = ct_node_state(zone->zone_pgdat, NR_ISOLATED_FILE);
	t->allocated = ct_allocated(zone);
}

/*
 * Pages on per-CPU lists are not counted as free: drain them, and keep
 * the lists off while reading so that no CPU refills one meanwhile.
 */
static void ct_tally(struct zone *zone, struct ct_tally *t)
{
	zone_pcp_disable(zone);
	ct_read_tally(zone, t);
	zone_pcp_enable(zone);
}

/*
 * The counters before a layout, once the zone has settled: kernel stacks
 * and slabs of tasks that exited (such as KUnit's threads for the previous
 * case) are freed after an RCU grace period, and would otherwise come back
 * to the zone in the middle of the case.  Wait for them until a grace
 * period passes without a change.
 */
static void ct_tally_settled(struct zone *zone, struct ct_tally *t)
{
	unsigned long last;
	int tries = 0;

	ct_tally(zone, t);
	do {
		last = t->free;
		rcu_barrier();
		ct_tally(zone, t);
	} while (t->free != last && ++tries < 10);
}

/*
 * Pages the zone may lose during a case without a leak.  None, except
 * with page_owner on: every page allocated or freed records its stack,
 * and the stack depot takes a whole pool from the page allocator each
 * time it fills one, which the new stacks of a case's first run can do
 * (seen: 14 pages under KASAN and page_owner=on).  Return: the allowance,
 * in pages.
 */
static unsigned long ct_free_slack(void)
{
#ifdef CONFIG_PAGE_OWNER
	if (static_branch_unlikely(&page_owner_inited))
		return 8UL << DEPOT_POOL_ORDER;
#endif
	return 0;
}

/*
 * Is @pfn part of a free page of at least @min_order?  The free page may
 * start before it.  Context: zone->lock held.
 */
static bool ct_pfn_free(unsigned long pfn, unsigned int min_order)
{
	unsigned int order;

	for (order = min_order; order < NR_PAGE_ORDERS; order++) {
		struct page *head = pfn_to_page(round_down(pfn, 1UL << order));

		if (PageBuddy(head) && buddy_order(head) >= order)
			return true;
	}
	return false;
}

/* How many pfns of [@pfn, @pfn + @nr) are free? */
static unsigned long ct_range_free(struct zone *zone, unsigned long pfn,
				   unsigned long nr)
{
	unsigned long flags, end = pfn + nr, n = 0;

	spin_lock_irqsave(&zone->lock, flags);
	for (; pfn < end; pfn++)
		n += ct_pfn_free(pfn, 0);
	spin_unlock_irqrestore(&zone->lock, flags);
	return n;
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

/* How many of the layout's blocks are part of one free page now? */
static unsigned int ct_blocks_freed(struct ct_layout *l)
{
	unsigned long flags;
	unsigned int b, n = 0;

	spin_lock_irqsave(&l->zone->lock, flags);
	for (b = 0; b < CT_NR_BLOCKS; b++)
		n += ct_pfn_free(l->block[b], pageblock_order);
	spin_unlock_irqrestore(&l->zone->lock, flags);
	return n;
}

/*
 * Is there a free page of a pageblock or more that an allocation could
 * take, as the watermark check and the end of a run for an allocation
 * see them (the highatomic reserve and isolated blocks do not count)?
 */
static bool ct_zone_has_free_block(struct zone *zone)
{
	unsigned long flags;
	unsigned int order;
	bool found = false;
	int mt;

	spin_lock_irqsave(&zone->lock, flags);
	for (order = pageblock_order; order < NR_PAGE_ORDERS; order++) {
		struct free_area *area = &zone->free_area[order];

		for (mt = 0; mt < MIGRATE_PCPTYPES; mt++)
			found |= !free_area_empty(area, mt);
#ifdef CONFIG_CMA
		found |= !free_area_empty(area, MIGRATE_CMA);
#endif
	}
	spin_unlock_irqrestore(&zone->lock, flags);
	return found;
}

/* ===================================================================== */
/* The kept pages                                                        */
/* ===================================================================== */

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
	atomic_inc(&ct_now->isolations);
	return true;
}

static const struct movable_operations ct_mops;

/*
 * Both pages are locked by the migration core.  The page at ct_now->refuse
 * refuses, as a driver does whose page is busy.
 */
static int ct_migrate(struct page *dst, struct page *src,
		      enum migrate_mode mode)
{
	unsigned long idx = page_private(src);

	if (idx == ct_now->refuse) {
		atomic_inc(&ct_now->refusals);
		return -EBUSY;
	}
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

/* The page stays where it is; the migration core clears its isolation. */
static void ct_putback(struct page *page)
{
	atomic_inc(&ct_now->putbacks);
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

static unsigned long ct_count_intact(struct ct_layout *l)
{
	unsigned long i, good = 0;

	for (i = 0; i < l->nr; i++)
		good += ct_intact(l->page[i], i);
	return good;
}

/* ===================================================================== */
/* Building and tearing down                                             */
/* ===================================================================== */

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
 * The node the live tests build on: this CPU's, or, when this CPU's node
 * has no memory (a node of CPUs only: QEMU's -numa gives one), the first
 * node with memory.  CT_GFP's __GFP_THISNODE has no zone to offer on a
 * node without memory: ct_zone() would be NULL there.
 */
static int ct_node(void)
{
	int nid = numa_node_id();

	return node_state(nid, N_MEMORY) ? nid : first_node(node_states[N_MEMORY]);
}

/* The zone CT_GFP allocates from first on node @nid. */
static struct zone *ct_zone(int nid)
{
	struct zonelist *zl = node_zonelist(nid, CT_GFP);

	return zonelist_zone(first_zones_zonelist(zl, gfp_zone(CT_GFP), NULL));
}

/*
 * Build the layout of the file comment in the zone ct_zone() names, after
 * counting what the zone has.  Return: 0, or -ENOMEM if not enough whole
 * blocks were free there.
 */
static int ct_build(struct kunit *test, struct ct_layout *l)
{
	int nid = ct_node();
	struct page **pool;
	unsigned int b, got = 0;

	memset(l, 0, sizeof(*l));
	INIT_LIST_HEAD(&l->held);
	l->refuse = CT_NONE;
	l->page = kunit_kcalloc(test, CT_NR_BLOCKS * CT_PER_BLOCK,
				sizeof(*l->page), GFP_KERNEL);
	pool = kunit_kcalloc(test, CT_POOL, sizeof(*pool), GFP_KERNEL);
	if (!l->page || !pool)
		return -ENOMEM;
	/* Built-in KUnit may run while the kernel unpacks the initramfs. */
	wait_for_initramfs();
	/*
	 * The first lru_add_drain_all() on a CPU may have its workqueue pool
	 * start a spare worker, whose stack would come out of the count.
	 */
	lru_add_drain_all();
	l->zone = ct_zone(nid);
	ct_tally_settled(l->zone, &l->before);
	ct_now = l;

	while (got < CT_POOL) {
		struct page *head = alloc_pages_node(nid, CT_GFP, pageblock_order);

		if (!head)
			break;
		if (page_zone(head) != l->zone) {
			__free_pages(head, pageblock_order);
			break;
		}
		pool[got++] = head;
		l->allocated += pageblock_nr_pages;
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

/*
 * Take every free block of the layout's zone that an allocation could
 * get, with the per-CPU lists off so that none is left cached there.
 * Without __GFP_RECLAIM this neither wakes kswapd nor compacts.
 */
static void ct_hold_free_blocks(struct ct_layout *l)
{
	gfp_t gfp = (GFP_HIGHUSER_MOVABLE & ~__GFP_RECLAIM) | __GFP_NOWARN |
		    __GFP_THISNODE;
	int nid = zone_to_nid(l->zone);

	zone_pcp_disable(l->zone);
	for (;;) {
		struct page *page = alloc_pages_node(nid, gfp, pageblock_order);

		if (!page)
			break;
		if (page_zone(page) != l->zone) {
			__free_pages(page, pageblock_order);
			break;
		}
		list_add(&page->lru, &l->held);
		l->nr_held++;
		l->allocated += pageblock_nr_pages;
	}
	zone_pcp_enable(l->zone);
}

/* Give every page back, wherever it is now; keep the record for ct_finish(). */
static void ct_teardown(struct ct_layout *l)
{
	struct page *page, *next;
	unsigned long i;

	for (i = 0; i < l->nr; i++) {
		page = l->page[i];
		lock_page(page);
		__ClearPageMovable(page);
		unlock_page(page);
		set_page_private(page, 0);
		put_page(page);
	}
	for (i = 0; i < l->nr_pinned; i++)
		__free_page(l->pinned[i]);
	list_for_each_entry_safe(page, next, &l->held, lru) {
		list_del(&page->lru);
		__free_pages(page, pageblock_order);
	}
	ct_now = NULL;
}

/* Of the pages the layout held at its teardown, how many are not free? */
static unsigned long ct_count_not_free(struct ct_layout *l)
{
	unsigned long flags, i, n = 0;

	spin_lock_irqsave(&l->zone->lock, flags);
	for (i = 0; i < l->nr; i++)
		n += !ct_pfn_free(page_to_pfn(l->page[i]), 0);
	for (i = 0; i < l->nr_pinned; i++)
		n += !ct_pfn_free(page_to_pfn(l->pinned[i]), 0);
	spin_unlock_irqrestore(&l->zone->lock, flags);
	return n;
}

/* Tear the layout down and look at what came back. */
static void ct_finish(struct ct_layout *l, struct ct_end *end)
{
	ct_teardown(l);
	memset(end, 0, sizeof(*end));
	if (!l->zone)
		return;
	zone_pcp_disable(l->zone);
	end->not_free = ct_count_not_free(l);
	ct_read_tally(l->zone, &end->tally);
	zone_pcp_enable(l->zone);
}

/*
 * Pages others allocated from zones of the layout's kind between the
 * first count and the last: every such allocation, less the case's own.
 * An upper bound on what they can have taken from the layout's zone.
 */
static long ct_others_allocated(const struct ct_layout *l,
				const struct ct_end *end)
{
	long others = (long)(end->tally.allocated - l->before.allocated) -
		      (long)l->allocated;

	return max(others, 0L);
}

/*
 * Everything the case took is back: a leaked isolated page keeps a
 * reference (not free, and the zone one page short); a leaked isolated
 * free page is missing from the zone's count; a folio left off the LRU
 * stays in the node's isolated count.
 */
static void ct_expect_given_back(struct kunit *test, struct ct_layout *l,
				 const struct ct_end *end)
{
	long gained = (long)end->tally.free - (long)l->before.free;
	long others = ct_others_allocated(l, end);

	KUNIT_EXPECT_EQ_MSG(test, end->not_free, 0UL,
			    "pages of the layout still in use after its teardown");
	/*
	 * Exact, but for the stack depot's pools (see ct_free_slack()) and
	 * what other tasks allocated meanwhile, if any did.
	 */
	KUNIT_EXPECT_LE_MSG(test, gained, 0L,
			    "zone free pages gained from before the layout to after its teardown (before %lu)",
			    l->before.free);
	KUNIT_EXPECT_GE_MSG(test, gained, -(long)ct_free_slack() - others,
			    "zone free pages gained from before the layout to after its teardown (before %lu, others allocated %ld)",
			    l->before.free, others);
	if (others)
		kunit_info(test, "others allocated %ld pages from zones of this kind during the case; zone free pages gained %ld",
			   others, gained);
	KUNIT_EXPECT_EQ(test, end->tally.isolated_anon, l->before.isolated_anon);
	KUNIT_EXPECT_EQ(test, end->tally.isolated_file, l->before.isolated_file);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&l->isolations),
			    atomic_read(&l->moves) + atomic_read(&l->putbacks),
			    "every isolated kept page was moved or put back");
}

/* A manual run over @zone; *@cc keeps its cursor and statistics. */
static enum compact_result
ct_compact_zone_manually(struct zone *zone, struct compact_control *cc)
{
	*cc = (struct compact_control) {
		.req = whole_zone_request(zone, COMPACT_REASON_MANUAL),
	};
	lru_add_drain_all();
	return compact_zone(cc, NULL);
}

/*
 * Each scanner looks at a pfn at most once in a run: what it counts as
 * scanned fits in the stretch it crossed, from the zone's end down to the
 * free scanner's last block, and from the zone's start up to the migrate
 * scanner's position; in a planned run, the migrate scanner's fits in the
 * blocks the plan chose, and the census's in the zone.  A scanner that
 * starts a block over on every call counts pfns twice.
 */
static void ct_expect_each_pfn_once(struct kunit *test, struct zone *zone,
				    const struct compact_control *cc)
{
	unsigned long migrate_span = cc->cur.migrate_pfn - zone->zone_start_pfn;

	if (cc->plan.nr_sources)
		migrate_span = min(migrate_span, (unsigned long)cc->plan.nr_sources *
						 pageblock_nr_pages);
	KUNIT_EXPECT_LE_MSG(test, cc->stats.free_scanned,
			    zone_end_pfn(zone) - cc->cur.free_pfn,
			    "free scanner: free_scanned counts pfns visited twice");
	KUNIT_EXPECT_LE_MSG(test, cc->stats.migrate_scanned, migrate_span,
			    "migrate scanner: migrate_scanned counts pfns visited twice");
	KUNIT_EXPECT_LE_MSG(test, cc->stats.census_scanned,
			    zone_end_pfn(zone) - zone->zone_start_pfn,
			    "census: census_scanned counts pfns visited twice");
}

/* ===================================================================== */
/* Cases                                                                 */
/* ===================================================================== */

/*
 * A manual run over the zone frees every fragmented block, moves every
 * kept page exactly once, and every kept page keeps its contents.
 */
static void compaction_live_frees_fragmented_blocks(struct kunit *test)
{
	static struct ct_layout l;
	unsigned long before, after, intact;
	unsigned int freed, freed_first;
	struct compact_control cc;
	enum compact_result res;
	struct ct_end end;

	if (ct_build(test, &l)) {
		ct_finish(&l, &end);
		kunit_skip(test, "could not take %d free pageblocks from one zone",
			   2 * CT_NR_BLOCKS);
	}
	freed_first = ct_blocks_freed(&l);
	before = ct_free_blocks(l.zone);

	res = ct_compact_zone_manually(l.zone, &cc);
	/* Pages freed on per-CPU lists have not merged yet. */
	drain_all_pages(l.zone);

	after = ct_free_blocks(l.zone);
	freed = ct_blocks_freed(&l);
	intact = ct_count_intact(&l);
	ct_finish(&l, &end);

	kunit_info(test, "result %d, moved %d of %lu (isolated %d, put back %d), blocks freed %u of %d, zone free blocks %lu -> %lu",
		   res, atomic_read(&l.moves), l.nr, atomic_read(&l.isolations),
		   atomic_read(&l.putbacks), freed, CT_NR_BLOCKS, before, after);
	KUNIT_EXPECT_EQ(test, l.nr, (unsigned long)CT_NR_BLOCKS * CT_PER_BLOCK);
	KUNIT_EXPECT_EQ(test, freed_first, 0U);
	KUNIT_EXPECT_EQ(test, res, COMPACT_COMPLETE);
	KUNIT_EXPECT_EQ(test, atomic_read(&l.moves), (int)l.nr);
	KUNIT_EXPECT_EQ(test, atomic_read(&l.putbacks), 0);
	KUNIT_EXPECT_EQ(test, freed, CT_NR_BLOCKS);
	/* Moving pages other than ours may free more blocks of the zone. */
	KUNIT_EXPECT_GE(test, after, before + CT_NR_BLOCKS);
	KUNIT_EXPECT_EQ(test, intact, l.nr);
	ct_expect_each_pfn_once(test, l.zone, &cc);
	ct_expect_given_back(test, &l, &end);
}

/*
 * A kept page whose migration fails goes back where it was, no longer
 * isolated and intact; its block stays in use, the others come free.
 */
static void compaction_live_failed_page_goes_back(struct kunit *test)
{
	static struct ct_layout l;
	unsigned long intact;
	struct compact_control cc;
	bool isolated, stayed;
	enum compact_result res;
	struct page *refused;
	unsigned int freed;
	struct ct_end end;

	if (ct_build(test, &l)) {
		ct_finish(&l, &end);
		kunit_skip(test, "could not take %d free pageblocks from one zone",
			   2 * CT_NR_BLOCKS);
	}
	/* The middle page of the middle block. */
	l.refuse = CT_NR_BLOCKS / 2 * CT_PER_BLOCK + CT_PER_BLOCK / 2;
	refused = l.page[l.refuse];

	res = ct_compact_zone_manually(l.zone, &cc);
	drain_all_pages(l.zone);

	freed = ct_blocks_freed(&l);
	isolated = PageIsolated(refused);
	stayed = l.page[l.refuse] == refused;
	intact = ct_count_intact(&l);
	ct_finish(&l, &end);

	kunit_info(test, "result %d, moved %d of %lu, refused %d, put back %d, isolated %d, blocks freed %u of %d",
		   res, atomic_read(&l.moves), l.nr, atomic_read(&l.refusals),
		   atomic_read(&l.putbacks), atomic_read(&l.isolations), freed,
		   CT_NR_BLOCKS);
	KUNIT_EXPECT_EQ(test, res, COMPACT_COMPLETE);
	KUNIT_EXPECT_GE(test, atomic_read(&l.refusals), 1);
	KUNIT_EXPECT_GE(test, atomic_read(&l.putbacks), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&l.moves), (int)l.nr - 1);
	KUNIT_EXPECT_EQ(test, freed, CT_NR_BLOCKS - 1U);
	KUNIT_EXPECT_FALSE_MSG(test, isolated, "the refused page is still isolated");
	KUNIT_EXPECT_TRUE(test, stayed);
	KUNIT_EXPECT_EQ(test, intact, l.nr);
	ct_expect_each_pfn_once(test, l.zone, &cc);
	ct_expect_given_back(test, &l, &end);
}

/*
 * A source block whose neighbours are source blocks too, so that a range
 * scanner running past either end of the range moves kept pages it should
 * not; the middle one if there is none.
 */
static unsigned int ct_contig_block(struct ct_layout *l)
{
	unsigned int b;

	for (b = CT_NR_BLOCKS / 2; b + 1 < CT_NR_BLOCKS; b++)
		if (l->block[b - 1] + pageblock_nr_pages == l->block[b] &&
		    l->block[b] + pageblock_nr_pages == l->block[b + 1])
			return b;
	for (b = 1; b < CT_NR_BLOCKS / 2; b++)
		if (l->block[b - 1] + pageblock_nr_pages == l->block[b] &&
		    l->block[b] + pageblock_nr_pages == l->block[b + 1])
			return b;
	return CT_NR_BLOCKS / 2;
}

/*
 * alloc_contig_range() over one fragmented block: the engine's range
 * scanners move exactly the block's kept pages out (no more: the range
 * ends there) and hand over the whole block.
 */
static void compaction_live_contig_range(struct kunit *test)
{
	static struct ct_layout l;
	unsigned long start, i, inside = 0, intact;
	bool framed;
	int err, count = 0;
	unsigned int b;
	struct ct_end end;

	if (!IS_ENABLED(CONFIG_CONTIG_ALLOC))
		kunit_skip(test, "CONFIG_CONTIG_ALLOC is off");
	if (ct_build(test, &l)) {
		ct_finish(&l, &end);
		kunit_skip(test, "could not take %d free pageblocks from one zone",
			   2 * CT_NR_BLOCKS);
	}
	b = ct_contig_block(&l);
	start = l.block[b];
	framed = l.block[b - 1] + pageblock_nr_pages == start &&
		 start + pageblock_nr_pages == l.block[b + 1];
#ifdef CONFIG_CONTIG_ALLOC
	err = alloc_contig_range(start, start + pageblock_nr_pages,
				 MIGRATE_MOVABLE, GFP_KERNEL);
#else
	err = -EOPNOTSUPP;
#endif
	/* It takes a new frame for each page it moves from the allocator. */
	l.allocated += atomic_read(&l.moves);
	if (!err) {
		/* Every page of the block is ours now, none is a kept page. */
		for (i = 0; i < l.nr; i++) {
			unsigned long pfn = page_to_pfn(l.page[i]);

			inside += pfn >= start && pfn < start + pageblock_nr_pages;
		}
		count = page_count(pfn_to_page(start));
		free_contig_range(start, pageblock_nr_pages);
	}
	intact = ct_count_intact(&l);
	ct_finish(&l, &end);

	kunit_info(test, "block %u (between source blocks: %s), err %d, moved %d, isolated %d",
		   b, framed ? "yes" : "no", err, atomic_read(&l.moves),
		   atomic_read(&l.isolations));
	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, inside, 0UL);
	KUNIT_EXPECT_EQ(test, count, err ? 0 : 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&l.moves), (int)CT_PER_BLOCK);
	KUNIT_EXPECT_EQ(test, intact, l.nr);
	ct_expect_given_back(test, &l, &end);
}

/* --- capture --- */

/* What the capture case asks for: a THP, as a page fault does. */
#define CT_CAPTURE_GFP		GFP_TRANSHUGE
#define CT_CAPTURE_ALLOC	(ALLOC_WMARK_MIN | ALLOC_CMA)

/**
 * struct ct_capture_run - what the capture case's task did and saw.
 * @test:        the case.
 * @l:           its layout.
 * @built:       ct_build()'s result.
 * @task_flags:  the task's flags (PF_KTHREAD must be clear).
 * @block_left:  a free pageblock was left in the zone after the hold.
 * @res:         compact_zone_for_alloc()'s result.
 * @pfn:         the captured page's pfn, 0 if none.
 * @still_free:  pfns of the captured block still on the free lists.
 * @free_before: the zone's free pages before the run.
 * @free_after:  and after it, the captured page not yet given back.
 * @intact:      kept pages with their contents.
 * @end:         the state after the teardown.
 */
struct ct_capture_run {
	struct kunit *test;
	struct ct_layout *l;
	int built;
	unsigned int task_flags;
	bool block_left;
	enum compact_result res;
	unsigned long pfn;
	unsigned long still_free;
	unsigned long free_before;
	unsigned long free_after;
	unsigned long intact;
	struct ct_end end;
};

/* The compaction an order-9 allocation's slow path would do, in @run's zone. */
static void ct_capture(struct ct_capture_run *run)
{
	struct zone *zone = run->l->zone;
	struct page *page = NULL;
	unsigned int noreclaim;
	struct ct_tally t;

	ct_tally(zone, &t);
	run->free_before = t.free;
	/* As __alloc_pages_direct_compact(): no reclaim from inside. */
	noreclaim = memalloc_noreclaim_save();
	run->res = compact_zone_for_alloc(zone, pageblock_order, CT_CAPTURE_GFP,
					  DEF_COMPACT_PRIORITY, CT_CAPTURE_ALLOC,
					  gfp_zone(CT_CAPTURE_GFP), &page);
	memalloc_noreclaim_restore(noreclaim);
	ct_tally(zone, &t);
	run->free_after = t.free;
	if (!page)
		return;
	run->pfn = page_to_pfn(page);
	run->still_free = ct_range_free(zone, run->pfn, pageblock_nr_pages);
	/* Ours now: give it back as the engine gives back isolated pages. */
	free_page_take(page, pageblock_order);
	__free_pages(page, pageblock_order);
}

/*
 * The capture case's task.  The buddy allocator hands a merged page to a
 * direct compactor only when that is not a kernel thread (task_capc()),
 * and KUnit runs each case in one: so the case runs here, in a task of its
 * own made with user_mode_thread(), as the usermode helper's are before
 * they exec.  It stays on one CPU: the engine flushes the pages migration
 * freed from this CPU's lists, and a move to another CPU in between would
 * leave the block unmerged there, a miss that is not the engine's.
 * Never returns: a user_mode_thread() function that returns goes to user
 * space.
 */
static int ct_capture_task(void *arg)
{
	struct ct_capture_run *run = arg;
	struct ct_layout *l = run->l;

	set_task_comm(current, "ct_capture");
	set_cpus_allowed_ptr(current, cpumask_of(raw_smp_processor_id()));
	run->task_flags = current->flags;
	run->built = ct_build(run->test, l);
	if (!run->built) {
		/* A fresh start: no skip hints, scanners at the zone's ends. */
		zone_forget_hints(l->zone);
		ct_hold_free_blocks(l);
		run->block_left = ct_zone_has_free_block(l->zone);
		if (!run->block_left)
			ct_capture(run);
		run->intact = ct_count_intact(l);
	}
	ct_finish(l, &run->end);
	if (l->zone)
		zone_forget_hints(l->zone);
	do_exit(0);
}

/*
 * Capture in isolation.  The layout of the file comment, then every other
 * free block of the zone taken whole, so that no page of the order is
 * free and the first source block is the first one a run can free:
 *
 *   [ used ... ][K...K...][K...K...] ... [P......] ... [H][H] ... [ used ]
 *               ^ block[0]                              H = held whole
 *
 * A direct compaction for order 9 (the default priority, which THP faults
 * use; the zone's skip hints forgotten first) must move block[0]'s 8 kept
 * pages, have the free path hand it the merged block, and stop: it returns
 * that page, once (none of its pfns stays on the free lists), the zone's
 * free pages drop by exactly the block, and nothing else moves.  Without
 * capture the block would land on the free lists instead: no page, and
 * the free pages unchanged.  kcompactd's proactive work is kept out while
 * the zone has no free block, which scores as fully fragmented.
 */
static void compaction_live_capture(struct kunit *test)
{
	static struct ct_layout l;
	struct ct_capture_run run = { .test = test, .l = &l };
	unsigned int proactiveness = READ_ONCE(sysctl_compaction_proactiveness);
	__sighandler_t sigchld = current->sighand->action[SIGCHLD - 1].sa.sa_handler;
	int status = 0;
	pid_t pid;

	WRITE_ONCE(sysctl_compaction_proactiveness, 0);
	/* Reap the task ourselves: with SIGCHLD ignored it would reap itself. */
	kernel_sigaction(SIGCHLD, SIG_DFL);
	pid = user_mode_thread(ct_capture_task, &run, SIGCHLD);
	if (pid > 0)
		kernel_wait(pid, &status);
	kernel_sigaction(SIGCHLD, sigchld);
	WRITE_ONCE(sysctl_compaction_proactiveness, proactiveness);

	KUNIT_ASSERT_GT_MSG(test, pid, 0, "no task to compact from");
	if (run.built)
		kunit_skip(test, "could not take %d free pageblocks from one zone",
			   2 * CT_NR_BLOCKS);
	kunit_info(test, "held %u free blocks, result %d, captured pfn %#lx (block[0] %#lx), free pages %lu -> %lu, moved %d, isolated %d",
		   l.nr_held, run.res, run.pfn, l.block[0], run.free_before,
		   run.free_after, atomic_read(&l.moves),
		   atomic_read(&l.isolations));
	KUNIT_EXPECT_FALSE(test, run.task_flags & PF_KTHREAD);
	KUNIT_ASSERT_FALSE_MSG(test, run.block_left,
			       "a free pageblock was left after taking %u",
			       l.nr_held);
	KUNIT_EXPECT_EQ(test, run.res, COMPACT_SUCCESS);
	KUNIT_EXPECT_EQ_MSG(test, run.pfn, l.block[0],
			    "captured not the block the run emptied");
	KUNIT_EXPECT_EQ(test, run.still_free, 0UL);
	/* Exactly the block, but for the stack depot (see ct_free_slack()). */
	KUNIT_EXPECT_GE(test, (long)run.free_before - (long)run.free_after,
			(long)pageblock_nr_pages);
	KUNIT_EXPECT_LE(test, (long)run.free_before - (long)run.free_after,
			(long)(pageblock_nr_pages + ct_free_slack()));
	KUNIT_EXPECT_EQ(test, atomic_read(&l.moves), (int)CT_PER_BLOCK);
	KUNIT_EXPECT_EQ(test, run.intact, l.nr);
	ct_expect_given_back(test, &l, &run.end);
}

/* --- isolation room --- */

/* How long the isolation case lets a run wait before it lifts the crowd. */
#define CT_CROWD_PATIENCE	(20 * HZ)

/**
 * struct ct_crowd - isolated pages the isolation case pretends others hold.
 * @lift:     the watchdog: takes the crowd away after CT_CROWD_PATIENCE.
 * @pgdat:    the node whose isolated count holds them.
 * @pages:    how many.
 * @lifted:   1 once they are gone from the count (by whoever came first).
 * @by_watchdog: the watchdog lifted them, the run had not ended by then.
 */
struct ct_crowd {
	struct delayed_work lift;
	pg_data_t *pgdat;
	long pages;
	atomic_t lifted;
	bool by_watchdog;
};

/* Take the crowd out of the count, once.  Return: true if this call did. */
static bool ct_crowd_lift(struct ct_crowd *c)
{
	if (atomic_xchg(&c->lifted, 1))
		return false;
	mod_node_page_state(c->pgdat, NR_ISOLATED_ANON, -c->pages);
	return true;
}

static void ct_crowd_watchdog(struct work_struct *work)
{
	struct ct_crowd *c = container_of(to_delayed_work(work),
					  struct ct_crowd, lift);

	if (ct_crowd_lift(c))
		WRITE_ONCE(c->by_watchdog, true);
}

/*
 * A synchronous run that finds the node crowded with isolated pages it
 * does not hold waits a while, then gives up: they may be held by a task
 * waiting for pages this run's own caller holds isolated (memory offline
 * against migrate_pages(2), each on the other's node), and an endless wait
 * would be a deadlock.  The crowd is made up: twice the node's LRU pages
 * and more added to its isolated count, more than any run may wait for.
 * The manual run over the layout must end contended, having isolated
 * nothing, long before the watchdog takes the crowd away; an engine that
 * waits until then goes on and compacts the layout, too late.
 */
static void compaction_live_isolation_wait_ends(struct kunit *test)
{
	static struct ct_layout l;
	static struct ct_crowd crowd;
	struct compact_control cc;
	enum compact_result res;
	unsigned long lru;
	long crowded;
	struct ct_end end;

	if (ct_build(test, &l)) {
		ct_finish(&l, &end);
		kunit_skip(test, "could not take %d free pageblocks from one zone",
			   2 * CT_NR_BLOCKS);
	}
	crowd = (struct ct_crowd) { .pgdat = l.zone->zone_pgdat };
	lru = node_page_state(crowd.pgdat, NR_ACTIVE_ANON) +
	      node_page_state(crowd.pgdat, NR_INACTIVE_ANON) +
	      node_page_state(crowd.pgdat, NR_ACTIVE_FILE) +
	      node_page_state(crowd.pgdat, NR_INACTIVE_FILE);
	crowd.pages = 2 * lru + 1024;
	INIT_DELAYED_WORK(&crowd.lift, ct_crowd_watchdog);
	/* So large a change goes straight to the node's count. */
	mod_node_page_state(crowd.pgdat, NR_ISOLATED_ANON, crowd.pages);
	crowded = node_page_state(crowd.pgdat, NR_ISOLATED_ANON);
	schedule_delayed_work(&crowd.lift, CT_CROWD_PATIENCE);

	res = ct_compact_zone_manually(l.zone, &cc);

	cancel_delayed_work_sync(&crowd.lift);
	ct_crowd_lift(&crowd);
	ct_finish(&l, &end);

	kunit_info(test, "lru %lu, isolated count %ld with the crowd of %ld; result %d, contended %d, lifted by the watchdog %d, isolated %d, moved %d",
		   lru, crowded, crowd.pages, res, cc.stats.contended,
		   crowd.by_watchdog, atomic_read(&l.isolations),
		   atomic_read(&l.moves));
	KUNIT_ASSERT_GE(test, crowded, crowd.pages);
	KUNIT_EXPECT_FALSE_MSG(test, crowd.by_watchdog,
			       "the run waited for the isolated pages for %d s",
			       CT_CROWD_PATIENCE / HZ);
	KUNIT_EXPECT_EQ(test, res, COMPACT_CONTENDED);
	KUNIT_EXPECT_TRUE(test, cc.stats.contended);
	KUNIT_EXPECT_EQ(test, atomic_read(&l.isolations), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&l.moves), 0);
	ct_expect_given_back(test, &l, &end);
}

/*
 * The zone side of deferral: the fields page_alloc.c and the tracepoints
 * read follow the policy (window doubles per failure, reset on success).
 */
static void compaction_live_deferral_on_zone(struct kunit *test)
{
	pg_data_t *pgdat = NODE_DATA(ct_node());
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
	KUNIT_CASE(compaction_live_failed_page_goes_back),
	KUNIT_CASE(compaction_live_contig_range),
	KUNIT_CASE(compaction_live_capture),
	KUNIT_CASE(compaction_live_isolation_wait_ends),
	{}
};

static struct kunit_suite compaction_live_suite = {
	.name = "compaction-live",
	.test_cases = compaction_live_cases,
};

kunit_test_suite(compaction_live_suite);

#endif /* _MM_TESTS_COMPACTION_KUNIT_H */
