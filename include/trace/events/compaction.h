/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Trace events of the compaction engine (mm/compaction.c).
 *
 * They let ftrace, perf and trace-cmd follow compaction from the request to
 * its result: whether a zone is worth compacting at all (suitability,
 * deferral), what each scanner looked at and isolated, how many pages
 * migration moved, how a run over a zone started and ended, and when
 * kcompactd is woken and goes back to sleep.
 *
 * ABI: the system name, the event names and, for every event, the field
 * names, their types and order and the TP_printk() output are what tools
 * read from /sys/kernel/tracing/events/compaction/<event>/format.  They are
 * upstream Linux 6.12's, quirks included (the "consider=" and "limit=" of
 * the deferral events, the comma before "mode=", kcompactd's
 * "classzone_idx="), and must stay so.  The class names are kept as well:
 * BTF names each record "struct trace_event_raw_<class>".
 *
 * The prototypes say what the engine hands over and are ours to choose.
 * They are upstream's except mm_compaction_begin and mm_compaction_end,
 * which take scalars instead of the engine's control struct, so that the
 * struct can change without touching this file or the format files.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM compaction

#if !defined(_TRACE_COMPACTION_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_COMPACTION_H

#include <linux/types.h>
#include <linux/tracepoint.h>
#include <trace/events/mmflags.h>

/* ===================================================================== */
/* The scanners                                                          */
/* ===================================================================== */

/*
 * One pass of a scanner over a pfn range: @nr_scanned pfns looked at,
 * @nr_taken pages isolated.  The linear scanners also run without
 * CONFIG_COMPACTION, when CONFIG_CMA builds them for alloc_contig_range(),
 * so this class and its events sit outside the guard below.
 */
DECLARE_EVENT_CLASS(mm_compaction_isolate_template,

	TP_PROTO(unsigned long start_pfn, unsigned long end_pfn,
		 unsigned long nr_scanned, unsigned long nr_taken),

	TP_ARGS(start_pfn, end_pfn, nr_scanned, nr_taken),

	TP_STRUCT__entry(
		__field(unsigned long,	start_pfn)
		__field(unsigned long,	end_pfn)
		__field(unsigned long,	nr_scanned)
		__field(unsigned long,	nr_taken)
	),

	TP_fast_assign(
		__entry->start_pfn	= start_pfn;
		__entry->end_pfn	= end_pfn;
		__entry->nr_scanned	= nr_scanned;
		__entry->nr_taken	= nr_taken;
	),

	TP_printk("range=(0x%lx ~ 0x%lx) nr_scanned=%lu nr_taken=%lu",
		__entry->start_pfn,
		__entry->end_pfn,
		__entry->nr_scanned,
		__entry->nr_taken)
);

/* Migrate scanner: the range it scanned, pages isolated for migration. */
DEFINE_EVENT(mm_compaction_isolate_template, mm_compaction_isolate_migratepages,

	TP_PROTO(unsigned long start_pfn, unsigned long end_pfn,
		 unsigned long nr_scanned, unsigned long nr_taken),

	TP_ARGS(start_pfn, end_pfn, nr_scanned, nr_taken)
);

/* Free scanner, linear walk: the range it scanned, free pages taken. */
DEFINE_EVENT(mm_compaction_isolate_template, mm_compaction_isolate_freepages,

	TP_PROTO(unsigned long start_pfn, unsigned long end_pfn,
		 unsigned long nr_scanned, unsigned long nr_taken),

	TP_ARGS(start_pfn, end_pfn, nr_scanned, nr_taken)
);

/*
 * Free scanner, free-list search: the range is the lowest acceptable pfn and
 * the free scanner's position, nr_scanned counts free-list entries looked at.
 */
DEFINE_EVENT(mm_compaction_isolate_template, mm_compaction_fast_isolate_freepages,

	TP_PROTO(unsigned long start_pfn, unsigned long end_pfn,
		 unsigned long nr_scanned, unsigned long nr_taken),

	TP_ARGS(start_pfn, end_pfn, nr_scanned, nr_taken)
);

#ifdef CONFIG_COMPACTION

/* ===================================================================== */
/* Migration and a run over one zone                                     */
/* ===================================================================== */

/*
 * After each batch handed to migrate_pages(): of @nr_migratepages isolated
 * pages, @nr_succeeded moved; the record keeps the moved and failed counts.
 */
TRACE_EVENT(mm_compaction_migratepages,

	TP_PROTO(unsigned int nr_migratepages, unsigned int nr_succeeded),

	TP_ARGS(nr_migratepages, nr_succeeded),

	TP_STRUCT__entry(
		__field(unsigned long,	nr_migrated)
		__field(unsigned long,	nr_failed)
	),

	TP_fast_assign(
		__entry->nr_migrated	= nr_succeeded;
		__entry->nr_failed	= nr_migratepages - nr_succeeded;
	),

	TP_printk("nr_migrated=%lu nr_failed=%lu",
		__entry->nr_migrated,
		__entry->nr_failed)
);

/*
 * A run over one zone starts, whoever asked for it (direct compaction,
 * kcompactd, proactive or manual compaction): the zone's pfn span, where the
 * migrate and free scanners start, and whether migration may block.
 */
TRACE_EVENT(mm_compaction_begin,

	TP_PROTO(unsigned long zone_start, unsigned long migrate_pfn,
		 unsigned long free_pfn, unsigned long zone_end, bool sync),

	TP_ARGS(zone_start, migrate_pfn, free_pfn, zone_end, sync),

	TP_STRUCT__entry(
		__field(unsigned long,	zone_start)
		__field(unsigned long,	migrate_pfn)
		__field(unsigned long,	free_pfn)
		__field(unsigned long,	zone_end)
		__field(bool,		sync)
	),

	TP_fast_assign(
		__entry->zone_start	= zone_start;
		__entry->migrate_pfn	= migrate_pfn;
		__entry->free_pfn	= free_pfn;
		__entry->zone_end	= zone_end;
		__entry->sync		= sync;
	),

	TP_printk(
		"zone_start=0x%lx migrate_pfn=0x%lx free_pfn=0x%lx zone_end=0x%lx, mode=%s",
		__entry->zone_start,
		__entry->migrate_pfn,
		__entry->free_pfn,
		__entry->zone_end,
		__entry->sync ? "sync" : "async")
);

/*
 * The same run ends: where the scanners stopped, and why it ended (@status,
 * an enum compact_result).
 */
TRACE_EVENT(mm_compaction_end,

	TP_PROTO(unsigned long zone_start, unsigned long migrate_pfn,
		 unsigned long free_pfn, unsigned long zone_end, bool sync,
		 int status),

	TP_ARGS(zone_start, migrate_pfn, free_pfn, zone_end, sync, status),

	TP_STRUCT__entry(
		__field(unsigned long,	zone_start)
		__field(unsigned long,	migrate_pfn)
		__field(unsigned long,	free_pfn)
		__field(unsigned long,	zone_end)
		__field(bool,		sync)
		__field(int,		status)
	),

	TP_fast_assign(
		__entry->zone_start	= zone_start;
		__entry->migrate_pfn	= migrate_pfn;
		__entry->free_pfn	= free_pfn;
		__entry->zone_end	= zone_end;
		__entry->sync		= sync;
		__entry->status		= status;
	),

	TP_printk(
		"zone_start=0x%lx migrate_pfn=0x%lx free_pfn=0x%lx zone_end=0x%lx, mode=%s status=%s",
		__entry->zone_start,
		__entry->migrate_pfn,
		__entry->free_pfn,
		__entry->zone_end,
		__entry->sync ? "sync" : "async",
		__print_symbolic(__entry->status, COMPACTION_STATUS))
);

/* ===================================================================== */
/* Direct compaction and the per-zone verdicts                           */
/* ===================================================================== */

/*
 * Direct compaction is entered from the page allocator's slow path, once per
 * attempt, before any zone is tried; @prio is an enum compact_priority.
 */
TRACE_EVENT(mm_compaction_try_to_compact_pages,

	TP_PROTO(int order, gfp_t gfp_mask, int prio),

	TP_ARGS(order, gfp_mask, prio),

	TP_STRUCT__entry(
		__field(int,		order)
		__field(unsigned long,	gfp_mask)
		__field(int,		prio)
	),

	TP_fast_assign(
		__entry->order		= order;
		__entry->gfp_mask	= (__force unsigned long)gfp_mask;
		__entry->prio		= prio;
	),

	TP_printk("order=%d gfp_mask=%s priority=%d",
		__entry->order,
		show_gfp_flags(__entry->gfp_mask),
		__entry->prio)
);

/* A verdict on one zone for one order; @ret is an enum compact_result. */
DECLARE_EVENT_CLASS(mm_compaction_suitable_template,

	TP_PROTO(struct zone *zone, int order, int ret),

	TP_ARGS(zone, order, ret),

	TP_STRUCT__entry(
		__field(int,		nid)
		__field(enum zone_type,	idx)
		__field(int,		order)
		__field(int,		ret)
	),

	TP_fast_assign(
		__entry->nid	= zone_to_nid(zone);
		__entry->idx	= zone_idx(zone);
		__entry->order	= order;
		__entry->ret	= ret;
	),

	TP_printk("node=%d zone=%-8s order=%d ret=%s",
		__entry->nid,
		__print_symbolic(__entry->idx, ZONE_TYPE),
		__entry->order,
		__print_symbolic(__entry->ret, COMPACTION_STATUS))
);

/* Each step of a run: may it stop (a page of the order is free) or go on? */
DEFINE_EVENT(mm_compaction_suitable_template, mm_compaction_finished,

	TP_PROTO(struct zone *zone, int order, int ret),

	TP_ARGS(zone, order, ret)
);

/* Before a run: are free pages and fragmentation such that it can help? */
DEFINE_EVENT(mm_compaction_suitable_template, mm_compaction_suitable,

	TP_PROTO(struct zone *zone, int order, int ret),

	TP_ARGS(zone, order, ret)
);

/* ===================================================================== */
/* Deferral: backing off from a zone where compaction keeps failing      */
/* ===================================================================== */

/*
 * The zone's backoff state, read from struct zone just after the decision
 * changed it: requests considered since the last failure, the window
 * (printed as limit=, 1 << defer_shift) and the lowest order that failed.
 */
DECLARE_EVENT_CLASS(mm_compaction_defer_template,

	TP_PROTO(struct zone *zone, int order),

	TP_ARGS(zone, order),

	TP_STRUCT__entry(
		__field(int,		nid)
		__field(enum zone_type,	idx)
		__field(int,		order)
		__field(unsigned int,	considered)
		__field(unsigned int,	defer_shift)
		__field(int,		order_failed)
	),

	TP_fast_assign(
		__entry->nid		= zone_to_nid(zone);
		__entry->idx		= zone_idx(zone);
		__entry->order		= order;
		__entry->considered	= zone->compact_considered;
		__entry->defer_shift	= zone->compact_defer_shift;
		__entry->order_failed	= zone->compact_order_failed;
	),

	TP_printk("node=%d zone=%-8s order=%d order_failed=%d consider=%u limit=%lu",
		__entry->nid,
		__print_symbolic(__entry->idx, ZONE_TYPE),
		__entry->order,
		__entry->order_failed,
		__entry->considered,
		1UL << __entry->defer_shift)
);

/* The zone is skipped for this request: it is still inside its window. */
DEFINE_EVENT(mm_compaction_defer_template, mm_compaction_deferred,

	TP_PROTO(struct zone *zone, int order),

	TP_ARGS(zone, order)
);

/* Compaction of the zone failed: the window grows. */
DEFINE_EVENT(mm_compaction_defer_template, mm_compaction_defer_compaction,

	TP_PROTO(struct zone *zone, int order),

	TP_ARGS(zone, order)
);

/* Compaction, or an allocation after it, succeeded for @order: backoff eases. */
DEFINE_EVENT(mm_compaction_defer_template, mm_compaction_defer_reset,

	TP_PROTO(struct zone *zone, int order),

	TP_ARGS(zone, order)
);

/* ===================================================================== */
/* kcompactd                                                             */
/* ===================================================================== */

/* kcompactd of node @nid has nothing to do and goes to sleep. */
TRACE_EVENT(mm_compaction_kcompactd_sleep,

	TP_PROTO(int nid),

	TP_ARGS(nid),

	TP_STRUCT__entry(
		__field(int,	nid)
	),

	TP_fast_assign(
		__entry->nid	= nid;
	),

	TP_printk("nid=%d", __entry->nid)
);

/*
 * A request for kcompactd of node @nid: make a page of @order allocatable
 * in zones up to @highest_zoneidx (order -1: proactive compaction).
 */
DECLARE_EVENT_CLASS(kcompactd_wake_template,

	TP_PROTO(int nid, int order, enum zone_type highest_zoneidx),

	TP_ARGS(nid, order, highest_zoneidx),

	TP_STRUCT__entry(
		__field(int,		nid)
		__field(int,		order)
		__field(enum zone_type,	highest_zoneidx)
	),

	TP_fast_assign(
		__entry->nid		= nid;
		__entry->order		= order;
		__entry->highest_zoneidx = highest_zoneidx;
	),

	/* "classzone_idx" is the field's old name, kept in the output as ABI. */
	TP_printk("nid=%d order=%d classzone_idx=%-8s",
		__entry->nid,
		__entry->order,
		__print_symbolic(__entry->highest_zoneidx, ZONE_TYPE))
);

/* Someone (kswapd, the allocator, a sysctl write) wakes kcompactd. */
DEFINE_EVENT(kcompactd_wake_template, mm_compaction_wakeup_kcompactd,

	TP_PROTO(int nid, int order, enum zone_type highest_zoneidx),

	TP_ARGS(nid, order, highest_zoneidx)
);

/* kcompactd is awake and starts compacting for the request it collected. */
DEFINE_EVENT(kcompactd_wake_template, mm_compaction_kcompactd_wake,

	TP_PROTO(int nid, int order, enum zone_type highest_zoneidx),

	TP_ARGS(nid, order, highest_zoneidx)
);

#endif /* CONFIG_COMPACTION */

#endif /* _TRACE_COMPACTION_H */

/* This part must be outside protection */
#include <trace/define_trace.h>
