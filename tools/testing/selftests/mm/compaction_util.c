// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the compaction selftests (compaction_events,
 * compaction_fragment, compaction_integrity, compaction_kinds, compaction_knobs,
 * compaction_proactive, compaction_suitability, compaction_thp); the
 * header says what each does.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "compaction_util.h"

/* === Knobs === */

ssize_t knob_write_raw(const char *path, const void *buf, size_t len)
{
	ssize_t ret;
	int fd, err;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ret = write(fd, buf, len);
	err = errno;
	close(fd);
	errno = err;
	return ret;
}

int knob_write(const char *path, const char *val)
{
	size_t len = strlen(val);
	ssize_t ret = knob_write_raw(path, val, len);

	if (ret < 0)
		return -errno;
	return (size_t)ret == len ? 0 : -EIO;
}

int knob_read(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

int knob_read_long(const char *path, long *val)
{
	char buf[64], *end;
	int ret = knob_read(path, buf, sizeof(buf));

	if (ret)
		return ret;
	errno = 0;
	*val = strtol(buf, &end, 10);
	if (end == buf || *end || errno)
		return -EINVAL;
	return 0;
}

#define MAX_SAVED 32

/* The values knobs_restore() writes back; plain arrays, for the signal handler. */
static struct {
	char path[128];
	char val[64];
} saved[MAX_SAVED];
static int nr_saved;

static void restore_on_signal(int sig)
{
	knobs_restore();
	trace_stop();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void restore_at_exit(void)
{
	knobs_restore();
}

/* "always [madvise] never" -> "madvise"; a plain value is kept as it is. */
static void selected_word(char *val)
{
	char *open = strchr(val, '['), *close;

	if (!open)
		return;
	close = strchr(open, ']');
	if (!close)
		return;
	*close = '\0';
	memmove(val, open + 1, strlen(open + 1) + 1);
}

int knob_save(const char *path)
{
	static bool hooked;
	char val[64];
	int i, ret;

	for (i = 0; i < nr_saved; i++)
		if (!strcmp(saved[i].path, path))
			return 0;	/* the first value seen is the one to restore */
	if (nr_saved == MAX_SAVED || strlen(path) >= sizeof(saved[0].path))
		return -ENOSPC;
	ret = knob_read(path, val, sizeof(val));
	if (ret)
		return ret;
	selected_word(val);
	snprintf(saved[nr_saved].path, sizeof(saved[0].path), "%s", path);
	snprintf(saved[nr_saved].val, sizeof(saved[0].val), "%s", val);
	nr_saved++;
	if (!hooked) {
		hooked = true;
		atexit(restore_at_exit);
		signal(SIGTERM, restore_on_signal);
		signal(SIGINT, restore_on_signal);
		signal(SIGHUP, restore_on_signal);
	}
	return 0;
}

/* Only open/write/close: this also runs in a signal handler. */
int knobs_restore(void)
{
	int i, failed = 0;

	for (i = nr_saved - 1; i >= 0; i--) {
		ssize_t len = strlen(saved[i].val);

		if (knob_write_raw(saved[i].path, saved[i].val, len) != len)
			failed++;
	}
	return failed;
}

int knob_set(const char *path, const char *val)
{
	int ret = knob_save(path);

	return ret ? ret : knob_write(path, val);
}

bool knob_selected(const char *path, const char *word)
{
	char buf[256], want[64];

	snprintf(want, sizeof(want), "[%s]", word);
	return !knob_read(path, buf, sizeof(buf)) && strstr(buf, want);
}

/* === Counters === */

long meminfo_kb(const char *field)
{
	char line[256], name[64];
	size_t flen = strlen(field);
	long kb = -1, v;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63[^:]: %ld", name, &v) == 2 &&
		    strlen(name) == flen && !strcmp(name, field)) {
			kb = v;
			break;
		}
	}
	fclose(f);
	return kb;
}

int vmstat_get(const char *name, unsigned long *val)
{
	char key[64];
	unsigned long v;
	int ret = -1;
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lu", key, &v) == 2) {
		if (!strcmp(key, name)) {
			*val = v;
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

int vmstat_read(const char *const *names, unsigned long *val, int n)
{
	char key[64];
	unsigned long v;
	int i, missing = n;
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return -1;
	while (missing && fscanf(f, "%63s %lu", key, &v) == 2) {
		for (i = 0; i < n; i++) {
			if (strcmp(key, names[i]))
				continue;
			val[i] = v;
			missing--;
			break;	/* /proc/vmstat names each counter once */
		}
	}
	fclose(f);
	return missing;
}

long free_2m_blocks(bool skip_dma)
{
	return node_free_2m_blocks(-1, skip_dma);
}

long node_free_2m_blocks(int nid, bool skip_dma)
{
	char line[512], zone[32];
	long blocks = 0;
	int node, off;
	FILE *f = fopen("/proc/buddyinfo", "r");

	if (!f)
		return -1;
	/* "Node 0, zone    DMA32      3      1 ...": counts of order 0, 1, ... */
	while (fgets(line, sizeof(line), f)) {
		char *p;
		long n;
		int order = 0;

		if (sscanf(line, "Node %d, zone %31s%n", &node, zone, &off) != 2)
			continue;
		if (nid >= 0 && node != nid)
			continue;
		if (skip_dma && !strcmp(zone, "DMA"))
			continue;
		for (p = line + off; ; order++) {
			char *end;

			n = strtol(p, &end, 10);
			if (end == p)
				break;
			if (order >= 9)
				blocks += n << (order - 9);
			p = end;
		}
	}
	fclose(f);
	return blocks;
}

int node_compact_files(int *nodes, int max)
{
	char path[128];
	int nid, n = 0;

	for (nid = 0; nid < 1024 && n < max; nid++) {
		snprintf(path, sizeof(path), NODE_COMPACT_FMT, nid);
		if (!access(path, F_OK))
			nodes[n++] = nid;
	}
	return n;
}

long node_free_kb(int nid)
{
	char path[128], line[256];
	long kb = -1;
	int n;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/meminfo", nid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Node %d MemFree: %ld kB", &n, &kb) == 2)
			break;
	fclose(f);
	return kb;
}

#define MPOL_BIND_MODE	2	/* uapi linux/mempolicy.h MPOL_BIND */

int node_bind(void *mem, size_t len, int nid)
{
	unsigned long mask;

	if (nid < 0 || nid >= 64)
		return -EINVAL;
	mask = 1UL << nid;
	if (syscall(SYS_mbind, mem, len, MPOL_BIND_MODE, &mask, 64UL, 0U))
		return -errno;
	return 0;
}

int page_node(void *addr)
{
	int status = -1;

	if (syscall(SYS_move_pages, 0, 1UL, &addr, NULL, &status, 0))
		return -1;
	return status;
}

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* === Memory layouts === */

char *map_2m(size_t len, int advice)
{
	char *raw, *mem;
	size_t head;

	raw = mmap(NULL, len + BLOCK_2M, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	mem = (char *)(((uintptr_t)raw + BLOCK_2M - 1) & ~(BLOCK_2M - 1));
	/* give back the slack on both sides, so only [mem, mem + len) is ours */
	head = mem - raw;
	if (head)
		munmap(raw, head);
	if (BLOCK_2M - head)
		munmap(mem + len, BLOCK_2M - head);
	if (advice >= 0 && madvise(mem, len, advice)) {
		munmap(mem, len);
		return NULL;
	}
	return mem;
}

uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* word j of page idx: base + j * K, base a mix of seed and idx (cheap under TCG) */
#define WORD_STEP 0x9e3779b97f4a7c15ULL

static uint64_t page_base(uint64_t seed, unsigned long idx)
{
	return mix64(seed ^ mix64(idx + 1));
}

void fill_page(void *page, uint64_t seed, unsigned long idx)
{
	uint64_t *w = page, v = page_base(seed, idx);
	unsigned long j;

	for (j = 0; j < PAGE_4K / 8; j++, v += WORD_STEP)
		w[j] = v;
}

long check_page(const void *page, uint64_t seed, unsigned long idx)
{
	const uint64_t *w = page;
	uint64_t v = page_base(seed, idx);
	unsigned long j, b;

	for (j = 0; j < PAGE_4K / 8; j++, v += WORD_STEP) {
		if (w[j] == v)
			continue;
		for (b = 0; b < 8; b++)
			if (((const unsigned char *)&w[j])[b] !=
			    ((const unsigned char *)&v)[b])
				break;
		return j * 8 + b;
	}
	return -1;
}

uint64_t page_csum(const void *page)
{
	const uint64_t *w = page;
	uint64_t h = 0xcbf29ce484222325ULL;
	unsigned long j;

	for (j = 0; j < PAGE_4K / 8; j++)
		h = (h ^ w[j]) * 0x100000001b3ULL;
	return h;
}

long punch(char *mem, unsigned long npages,
	   bool (*keep)(unsigned long i, void *arg), void *arg)
{
	unsigned long i, start;
	long freed = 0;

	for (i = 0; i < npages; i++) {
		if (keep(i, arg))
			continue;
		start = i;
		while (i + 1 < npages && !keep(i + 1, arg))
			i++;
		if (madvise(mem + start * PAGE_4K, (i - start + 1) * PAGE_4K,
			    MADV_DONTNEED))
			return -1;
		freed += i - start + 1;
	}
	return freed;
}

#define PM_PRESENT	(1ULL << 63)
#define PM_PFN_MASK	((1ULL << 55) - 1)

int page_frames(const void *addr, unsigned long npages, uint64_t *pfn)
{
	off_t off = (uintptr_t)addr / PAGE_4K * 8;
	size_t want = npages * 8, got = 0;
	unsigned long i;
	int fd, err;

	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0)
		return -errno;
	while (got < want) {
		ssize_t n = pread(fd, (char *)pfn + got, want - got, off + got);

		if (n <= 0) {
			err = n < 0 ? errno : EIO;
			close(fd);
			return -err;
		}
		got += n;
	}
	close(fd);
	for (i = 0; i < npages; i++)
		pfn[i] = (pfn[i] & PM_PRESENT) ? (pfn[i] & PM_PFN_MASK) : 0;
	return 0;
}

int page_flags(const uint64_t *pfn, unsigned long n, uint64_t *flags)
{
	unsigned long i, run;
	int fd, err;

	fd = open("/proc/kpageflags", O_RDONLY);
	if (fd < 0)
		return -errno;
	for (i = 0; i < n; i += run) {
		ssize_t want, got;

		if (!pfn[i]) {
			flags[i] = 0;
			run = 1;
			continue;
		}
		/* one read for a run of consecutive frames */
		for (run = 1; i + run < n && pfn[i + run] == pfn[i] + run; run++)
			;
		want = run * sizeof(*flags);
		got = pread(fd, &flags[i], want, pfn[i] * sizeof(*flags));
		if (got != want) {
			err = got < 0 ? errno : EIO;
			close(fd);
			return -err;
		}
	}
	close(fd);
	return 0;
}

#define KPF_HEAD_BIT	15	/* KPF_COMPOUND_HEAD */
#define KPF_TAIL_BIT	16	/* KPF_COMPOUND_TAIL */

int is_whole_folio(uint64_t pfn, unsigned long npages)
{
	uint64_t *pfns, *flags;
	unsigned long i;
	int ret = 1;

	if (!pfn || pfn % npages)
		return 0;
	pfns = calloc(npages + 1, sizeof(*pfns));
	flags = calloc(npages + 1, sizeof(*flags));
	if (!pfns || !flags) {
		free(pfns);
		free(flags);
		return -ENOMEM;
	}
	for (i = 0; i <= npages; i++)
		pfns[i] = pfn + i;
	if (page_flags(pfns, npages, flags)) {
		ret = -EIO;
		goto out;
	}
	/* the frame after may be past the end of memory: then it is no tail */
	if (page_flags(&pfns[npages], 1, &flags[npages]))
		flags[npages] = 0;
	if (!(flags[0] >> KPF_HEAD_BIT & 1) || (flags[npages] >> KPF_TAIL_BIT & 1))
		ret = 0;
	for (i = 1; i < npages && ret == 1; i++)
		if (!(flags[i] >> KPF_TAIL_BIT & 1))
			ret = 0;
out:
	free(pfns);
	free(flags);
	return ret;
}

int lru_drain_this_cpu(void)
{
	char *page = mmap(NULL, PAGE_4K, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int ret = 0;

	if (page == MAP_FAILED)
		return -errno;
	page[0] = 1;
	if (madvise(page, PAGE_4K, MADV_COLD))
		ret = -errno;
	munmap(page, PAGE_4K);
	return ret;
}

/* Is some kcompactd thread running (not sleeping)?  -1 if none was found. */
static int kcompactd_busy(void)
{
	char path[300], buf[512], *p;
	int found = 0, busy = 0;
	struct dirent *d;
	DIR *dir = opendir("/proc");

	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", d->d_name);
		if (knob_read(path, buf, sizeof(buf)))
			continue;
		/* "PID (comm) STATE ...": comm may hold spaces, so from the last ')' */
		if (!strstr(buf, "(kcompactd"))
			continue;
		p = strrchr(buf, ')');
		if (!p || p[1] != ' ')
			continue;
		found++;
		busy += p[2] != 'S' && p[2] != 'I';
	}
	closedir(dir);
	return found ? busy : -1;
}

double kcompactd_wait_idle(double max_s)
{
	double t0 = now_s();
	int quiet = 0;

	while (quiet < 3) {
		int busy = kcompactd_busy();

		if (busy < 0)
			return 0;	/* no kcompactd: nothing to wait for */
		quiet = busy ? 0 : quiet + 1;
		if (quiet < 3 && now_s() - t0 >= max_s)
			return -1;
		usleep(100000);
	}
	return now_s() - t0;
}

int stay_on_this_cpu(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	if (cpu < 0)
		return -errno;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return -errno;
	return cpu;
}

/* === Trace events === */

static char trace_dir[160];	/* our instance, while it exists */
static char trace_was[160];	/* ... and after trace_stop() */

static int trace_write(const char *file, const char *val)
{
	char path[320];

	snprintf(path, sizeof(path), "%s/%s", trace_dir, file);
	return knob_write(path, val);
}

static void trace_stop_at_exit(void)
{
	trace_stop();
}

int trace_start(const char *name, int kb)
{
	char val[32];

	snprintf(trace_dir, sizeof(trace_dir), TRACEFS "/instances/%s.%d", name, getpid());
	if (mkdir(trace_dir, 0700)) {
		int err = errno;

		trace_dir[0] = '\0';
		return -err;
	}
	snprintf(trace_was, sizeof(trace_was), "%s", trace_dir);
	atexit(trace_stop_at_exit);
	snprintf(val, sizeof(val), "%d", kb);
	trace_write("buffer_size_kb", val);
	return 0;
}

int trace_enable(const char *event)
{
	char file[160];

	snprintf(file, sizeof(file), "events/%s/enable", event);
	return trace_write(file, "1");
}

void trace_clear(void)
{
	char path[320];
	int fd;

	snprintf(path, sizeof(path), "%s/trace", trace_dir);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd >= 0)
		close(fd);
}

/* Only write, rmdir: this also runs from the signal handler. */
void trace_stop(void)
{
	if (!trace_dir[0])
		return;
	trace_write("events/enable", "0");
	rmdir(trace_dir);
	trace_dir[0] = '\0';
}

bool trace_gone(void)
{
	return !trace_dir[0] && trace_was[0] && access(trace_was, F_OK);
}

void trace_parse_line(const char *line, struct trace_event *e)
{
	const char *br = strchr(line, '['), *name = strstr(line, ": mm_");
	const char *dash, *s, *p;
	int len;

	memset(e, 0, sizeof(*e));
	e->order = -100;
	e->node = -100;
	e->order_failed = -100;
	if (!br || !name || name < br)
		return;
	/* "   comm-pid   [cpu] flags  time: event: fields" */
	for (dash = br; dash > line && *dash != '-'; dash--)
		;
	e->pid = atoi(dash + 1);
	for (s = line; *s == ' '; s++)
		;
	len = dash - s;
	if (len > (int)sizeof(e->comm) - 1)
		len = sizeof(e->comm) - 1;
	if (len > 0)
		memcpy(e->comm, s, len);
	name += 2;
	for (len = 0; name[len] && name[len] != ':' && len < (int)sizeof(e->name) - 1; len++)
		e->name[len] = name[len];
	p = name + len;
	s = strstr(p, " order=");
	if (s)
		sscanf(s, " order=%d", &e->order);
	s = strstr(p, "node=");
	if (s)
		sscanf(s, "node=%d", &e->node);
	s = strstr(p, "zone=");
	if (s)
		sscanf(s, "zone=%15s", e->zone);
	s = strstr(p, "ret=");
	if (s)
		sscanf(s, "ret=%23s", e->ret);
	s = strstr(p, "status=");
	if (s)
		sscanf(s, "status=%23s", e->ret);
	s = strstr(p, "mode=");
	if (s)
		sscanf(s, "mode=%7s", e->mode);
	s = strstr(p, "order_failed=");
	if (s)
		sscanf(s, "order_failed=%d", &e->order_failed);
	s = strstr(p, "consider=");
	if (s)
		sscanf(s, "consider=%lu limit=%lu", &e->consider, &e->limit);
	s = strstr(p, "zone_start=");
	if (s)
		sscanf(s, "zone_start=0x%lx migrate_pfn=0x%lx free_pfn=0x%lx zone_end=0x%lx",
		       &e->zone_start, &e->migrate_pfn, &e->free_pfn, &e->zone_end);
	s = strstr(p, "range=(");
	if (s)
		sscanf(s, "range=(0x%lx ~ 0x%lx) nr_scanned=%lu nr_taken=%lu",
		       &e->range_start, &e->range_end, &e->nr_scanned, &e->nr_taken);
}

int trace_read(struct trace_log *log)
{
	char path[320], *line = NULL;
	size_t cap = 0, size = 0;
	FILE *f;

	memset(log, 0, sizeof(*log));
	snprintf(path, sizeof(path), "%s/trace", trace_dir);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		if (line[0] == '#')
			continue;
		if (log->n == size) {
			struct trace_event *ev;

			size = size ? 2 * size : 1024;
			ev = realloc(log->ev, size * sizeof(*ev));
			if (!ev) {
				free(line);
				fclose(f);
				return -ENOMEM;
			}
			log->ev = ev;
		}
		trace_parse_line(line, &log->ev[log->n]);
		if (log->ev[log->n].name[0])
			log->n++;
		else
			log->unparsed++;
	}
	free(line);
	fclose(f);
	return 0;
}

void trace_log_free(struct trace_log *log)
{
	free(log->ev);
	log->ev = NULL;
	log->n = 0;
}

long move_away_and_back(char *mem, unsigned long n, unsigned long stride)
{
	void **pages = calloc(n, sizeof(*pages));
	int *node = calloc(n, sizeof(*node)), *status = calloc(n, sizeof(*status));
	int nodes[8], nn = node_compact_files(nodes, 8), pass;
	unsigned long i;
	long ret = -1;

	if (!pages || !node || !status || nn < 2)
		goto out;
	for (i = 0; i < n; i++)
		pages[i] = mem + i * stride;
	if (syscall(SYS_move_pages, 0, n, pages, NULL, status, 0))
		goto out;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < n; i++)
			node[i] = status[i] == nodes[0] ? nodes[1] : nodes[0];
		/* MPOL_MF_MOVE: move the pages */
		syscall(SYS_move_pages, 0, n, pages, node, status, 1 << 1);
	}
	ret = n;
out:
	free(pages);
	free(node);
	free(status);
	return ret;
}
