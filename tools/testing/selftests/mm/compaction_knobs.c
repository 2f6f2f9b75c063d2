// SPDX-License-Identifier: GPL-2.0
/*
 * compaction_knobs - the compaction knobs keep upstream's ABI: what each
 * accepts, what it rejects, and that a rejected write changes nothing.
 *
 *   knob                                   range  mode  handler (6.12)
 *   /proc/sys/vm/compaction_proactiveness  0..100 0644  proc_dointvec_minmax
 *   /proc/sys/vm/extfrag_threshold         0..1000 0644 proc_dointvec_minmax
 *   /proc/sys/vm/compact_unevictable_allowed 0..1 0644  proc_dointvec_minmax
 *   /proc/sys/vm/compact_memory            "1"    0200  proc_dointvec, then != 1
 *   /sys/devices/system/node/nodeN/compact any    0200  sysfs store
 *
 * For each of the three readable knobs: good values (both ends of the
 * range, one inside, with the whitespace and the 0x prefix that
 * proc_dointvec takes) are accepted whole by write(2) and read back; bad
 * ones - out of range (min - 1, max + 1, INT_MIN), malformed ("abc", an empty
 * line, "5x", "1.5"), too big for an int (2^32) or for a long (20 digits) -
 * fail with EINVAL and leave the value that was there (a sentinel written
 * first) in place.  A zero-length write may return 0 or EINVAL but must not
 * change the value either.
 *
 * compact_memory is write-only (mode 0200, reading fails even for root),
 * takes "1" and "1\n" and rejects everything else with EINVAL.  Upstream
 * stores a rejected value before it rejects it ("2" is kept in the
 * variable, then EINVAL); nothing can read it, so only errno is checked.
 * (Upstream also runs a compaction for a zero-length write when the stored
 * value is 1; we do not test that write here.)  Each nodeN/compact file is
 * write-only and a write of "1" succeeds.
 *
 * Every knob is saved first and restored at exit, and the last case checks
 * that the readable ones are back.  Each case is one TAP line; a knob that
 * is absent has its cases reported as skipped.  Needs root.  Takes well
 * under a second in a 1 GiB QEMU/TCG guest (each accepted compact write
 * compacts all memory, but memory is idle).
 *
 * A second write(2) on the same open file, at a non-zero offset, is
 * ignored as by every integer sysctl (kernel.sysctl_writes_strict=1): it
 * returns without an error and changes nothing.  (Our engine once failed
 * it with EINVAL after storing the first value.)
 *
 * Access, as upstream 6.12 checks it (the checks are the VFS's, before any
 * handler of ours runs, so ours must give the same answers):
 *   - /proc/sys checks a sysctl's mode against the euid only
 *     (fs/proc/proc_sysctl.c test_perm(): owner bits for euid 0, other
 *     bits for anyone else; no capability is consulted), at open() and
 *     again at each read() or write() (-EPERM then);
 *   - sysfs (kernfs) checks the file's mode at open() only, with the usual
 *     DAC rules: the owner is root.
 * So, for every knob and nodeN/compact:
 *   uid 65534 (no capabilities)  opening for writing fails with EACCES, the
 *       value stays; the 0644 knobs still read back the same value, the
 *       0200 files cannot be opened for reading (EACCES);
 *   a file opened by root, written after setresuid(65534)  a sysctl fails
 *       with EPERM and changes nothing (compact_memory compacts nothing:
 *       compact_migrate_scanned, compact_free_scanned and compact_isolated
 *       do not move); nodeN/compact takes the write, as upstream's does;
 *   uid 0 with every capability dropped  writes are taken (euid 0 is what
 *       both check), and read back.
 *
 * To see it fail: build with -DBREAK_ACCEPT_101, which lists "101" among
 * compaction_proactiveness's good values, or -DBREAK_SECOND_WRITE, which
 * takes every second write for failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>

#include "../kselftest.h"
#include "compaction_util.h"

#define MAX_NODES	64

struct ranged_knob {
	const char *path;
	long min, max;
	long sentinel;	/* a good value in place while the bad ones are tried */
};

static const struct ranged_knob ranged[] = {
	{ VM_PROACTIVENESS,		0, 100,  37 },
	{ VM_EXTFRAG_THRESHOLD,		0, 1000, 512 },
	{ VM_UNEVICTABLE_ALLOWED,	0, 1,    1 },
};

/* Inputs every ranged knob rejects, whatever its range. */
static const char * const malformed[] = {
	"abc", "\n", "5x", "1.5", "4294967296", "99999999999999999999",
};

#define NR_GOOD		5	/* see good_inputs() */
#define NR_BAD_RANGE	3	/* min - 1, max + 1, INT_MIN */
#define NR_ZERO_LEN	1
#define NR_SECOND	1	/* see test_second_write() */
#define NR_RANGED_CASES	(NR_GOOD + NR_BAD_RANGE + ARRAY_SIZE(malformed) + NR_ZERO_LEN + \
			 NR_SECOND)

static const char * const memory_good[] = { "1", "1\n" };
static const char * const memory_bad[] = {
	"0", "2", "-1", "abc", "\n", "5x", "99999999999999999999",
};

#define NR_MEMORY_CASES	(2 + ARRAY_SIZE(memory_good) + ARRAY_SIZE(memory_bad) + NR_SECOND)
#define NR_NODE_CASES	3
#define NR_ACCESS_RANGED 4	/* see test_access_ranged() */
#define NR_ACCESS_MEMORY 3	/* see test_access_write_only() */
#define NR_ACCESS_NODE	 3
#define NOBODY		65534

/* "1\n" -> "1\\n", for the TAP line */
static const char *shown(const char *in)
{
	static char buf[4][64];
	static int n;
	char *out = buf[n++ % 4], *o = out;

	for (; *in && o < out + sizeof(buf[0]) - 3; in++) {
		if (*in == '\n' || *in == '\t') {
			*o++ = '\\';
			*o++ = *in == '\n' ? 'n' : 't';
		} else {
			*o++ = *in;
		}
	}
	*o = '\0';
	return out;
}

static const char *knob_name(const char *path)
{
	return strrchr(path, '/') + 1;
}

/* write(2) result as "ok" or the errno's name, for the TAP line */
static const char *outcome(int ret)
{
	return ret ? strerror(-ret) : "ok";
}

/*
 * Good inputs of @k and what reads back: both ends, a value inside, and
 * the forms proc_dointvec parses (leading blanks, trailing newline, 0x).
 */
static int good_inputs(const struct ranged_knob *k, char in[][32], long *expect)
{
	long mid = (k->min + k->max) / 2, n = 0;

	long inner = k->max - 1 > k->min ? k->max - 1 : k->max;

	expect[n] = k->min;
	snprintf(in[n++], 32, "%ld", k->min);
	expect[n] = k->max;
	snprintf(in[n++], 32, "%ld", k->max);
	expect[n] = mid;
	snprintf(in[n++], 32, "%ld\n", mid);
	expect[n] = inner;
	snprintf(in[n++], 32, " \t%ld\n", inner);
	expect[n] = k->max;
	snprintf(in[n++], 32, "0x%lx", k->max);
#ifdef BREAK_ACCEPT_101
	if (k->max == 100) {
		expect[n - 1] = 101;
		snprintf(in[n - 1], 32, "101");
	}
#endif
	return n;
}

static void skip_cases(int n, const char *why)
{
	while (n--)
		ksft_test_result_skip("%s\n", why);
}

static void test_good(const char *path, const char *in, long expect)
{
	long got = LONG_MIN;
	int ret = knob_write(path, in);

	if (knob_read_long(path, &got) && !ret)
		ret = -EIO;
	ksft_test_result(!ret && got == expect,
			 "%s: \"%s\" accepted, reads back %ld (%s, read %ld)\n",
			 knob_name(path), shown(in), expect, outcome(ret), got);
}

/* Write @len bytes of @in; want EINVAL (or, if @zero_ok, also 0) and no change. */
static void test_bad(const char *path, const char *in, size_t len,
		     long sentinel, bool zero_ok)
{
	long got = LONG_MIN;
	ssize_t n = knob_write_raw(path, in, len);
	int err = n < 0 ? errno : 0;
	bool rejected = (n < 0 && err == EINVAL) || (zero_ok && n == 0);

	if (knob_read_long(path, &got))
		got = LONG_MIN;
	ksft_test_result(rejected && got == sentinel,
			 "%s: \"%s\" (%zu byte%s) %s, value stays %ld (write: %zd %s, read %ld)\n",
			 knob_name(path), shown(in), len, len == 1 ? "" : "s",
			 zero_ok ? "rejected or ignored" : "rejected with EINVAL",
			 sentinel, n, err ? strerror(err) : "", got);
}

/*
 * Two write(2)s on one open file: the first ("@first") is taken; the second
 * comes at a non-zero file position, which every integer sysctl ignores
 * under the default kernel.sysctl_writes_strict=1 - it must neither fail
 * nor change the value.  When @expect is LONG_MIN the file is write-only
 * and only the second write's result is checked.
 */
static void test_second_write(const char *path, const char *first,
			      const char *second, long expect)
{
	ssize_t n1 = -1, n2 = -1;
	long got = LONG_MIN;
	int fd, err = 0;

	fd = open(path, O_WRONLY);
	if (fd >= 0) {
		n1 = write(fd, first, strlen(first));
		n2 = write(fd, second, strlen(second));
		if (n2 < 0)
			err = errno;
		close(fd);
	}
#ifdef BREAK_SECOND_WRITE
	n2 = -1;
#endif
	if (expect != LONG_MIN && knob_read_long(path, &got))
		got = LONG_MIN;
	ksft_test_result(n1 == (ssize_t)strlen(first) && n2 >= 0 &&
			 (expect == LONG_MIN || got == expect),
			 "%s: \"%s\" then \"%s\" at offset %zu: the second is ignored "
			 "(writes: %zd, %zd %s; value %ld)\n", knob_name(path), first,
			 second, strlen(first), n1, n2, err ? strerror(err) : "", got);
}

static void test_ranged(const struct ranged_knob *k)
{
	char in[NR_GOOD][32], num[32];
	long expect[NR_GOOD], bad_range[NR_BAD_RANGE];
	int i, n, ret;

	if (access(k->path, F_OK)) {
		skip_cases(NR_RANGED_CASES, k->path);
		return;
	}
	n = good_inputs(k, in, expect);
	for (i = 0; i < n; i++)
		test_good(k->path, in[i], expect[i]);

	snprintf(num, sizeof(num), "%ld", k->sentinel);
	ret = knob_write(k->path, num);
	if (ret)
		ksft_print_msg("%s: cannot write the sentinel %ld: %s\n",
			       knob_name(k->path), k->sentinel, strerror(-ret));

	bad_range[0] = k->min - 1;
	bad_range[1] = k->max + 1;
	bad_range[2] = INT_MIN;
	for (i = 0; i < NR_BAD_RANGE; i++) {
		snprintf(num, sizeof(num), "%ld", bad_range[i]);
		test_bad(k->path, num, strlen(num), k->sentinel, false);
	}
	for (i = 0; i < (int)ARRAY_SIZE(malformed); i++)
		test_bad(k->path, malformed[i], strlen(malformed[i]), k->sentinel, false);
	test_bad(k->path, "", 0, k->sentinel, true);
	snprintf(num, sizeof(num), "%ld", k->min);
	test_second_write(k->path, num, "1", k->min);
}

static void test_write_only(const char *path)
{
	struct stat st;
	char buf[16];
	ssize_t n = 0;
	int fd, err = 0;

	ksft_test_result(!stat(path, &st) && (st.st_mode & 0777) == 0200,
			 "%s: mode 0200 (%o)\n", path, st.st_mode & 0777);
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		err = errno;
	} else {
		n = read(fd, buf, sizeof(buf));
		if (n < 0)
			err = errno;
		close(fd);
	}
	ksft_test_result(err != 0, "%s: reading fails (%s)\n", path,
			 err ? strerror(err) : "read succeeded");
}

static void test_compact_memory(void)
{
	unsigned int i;
	int ret;

	if (access(VM_COMPACT_MEMORY, F_OK)) {
		skip_cases(NR_MEMORY_CASES, VM_COMPACT_MEMORY);
		return;
	}
	test_write_only(VM_COMPACT_MEMORY);
	for (i = 0; i < ARRAY_SIZE(memory_good); i++) {
		ret = knob_write(VM_COMPACT_MEMORY, memory_good[i]);
		ksft_test_result(!ret, "compact_memory: \"%s\" accepted (%s)\n",
				 shown(memory_good[i]), outcome(ret));
	}
	for (i = 0; i < ARRAY_SIZE(memory_bad); i++) {
		ret = knob_write(VM_COMPACT_MEMORY, memory_bad[i]);
		ksft_test_result(ret == -EINVAL,
				 "compact_memory: \"%s\" rejected with EINVAL (%s)\n",
				 shown(memory_bad[i]), outcome(ret));
	}
	test_second_write(VM_COMPACT_MEMORY, "1", "1", LONG_MIN);
}

/* === Access: who may read and write === */

enum who { NOBODY_UID, ROOT_NO_CAPS };

/* Become @who: uid and gid 65534 (which drops every capability), or stay
 * uid 0 and drop every capability.  Return: 0 or -errno. */
static int become(enum who who)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = { { 0 } };

	if (who == NOBODY_UID)
		return setresgid(NOBODY, NOBODY, NOBODY) || setresuid(NOBODY, NOBODY, NOBODY) ?
		       -errno : 0;
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

/*
 * Run one access in a child that became @who: open @path with @flags
 * (or use @fd, opened by root before the fork, if >= 0), then write @val
 * or read.  Return: 0 or -errno of the step that failed (-ECHILD if the
 * child could not drop its privileges).
 */
static int access_as(enum who who, const char *path, int fd, int flags, const char *val)
{
	int status, ret;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (!pid) {
		char buf[64];
		ssize_t n;

		if (become(who))
			_exit(255);
		if (fd < 0)
			fd = open(path, flags);
		if (fd < 0)
			_exit(errno);
		n = val ? write(fd, val, strlen(val)) : read(fd, buf, sizeof(buf));
		_exit(n < 0 ? errno : 0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -ECHILD;
	ret = WEXITSTATUS(status);
	return ret == 255 ? -ECHILD : -ret;
}

/* access_as() through a file root opened for writing before the fork. */
static int write_after_drop(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ret;

	if (fd < 0)
		return -errno;
	ret = access_as(NOBODY_UID, path, fd, 0, val);
	close(fd);
	return ret;
}

static const char *errname(int ret)
{
	return ret == -ECHILD ? "could not drop privileges" : ret ? strerror(-ret) : "ok";
}

/* Four cases for a readable knob; @k's sentinel is in place around them. */
static void test_access_ranged(const struct ranged_knob *k)
{
	const char *name = knob_name(k->path);
	char val[32], other[32];
	long got = LONG_MIN;
	int ret;

	if (access(k->path, F_OK)) {
		skip_cases(NR_ACCESS_RANGED, k->path);
		return;
	}
	snprintf(val, sizeof(val), "%ld", k->sentinel);
	snprintf(other, sizeof(other), "%ld", k->sentinel == k->min ? k->max : k->min);
	knob_write(k->path, val);

	ret = access_as(NOBODY_UID, k->path, -1, O_WRONLY, other);
	knob_read_long(k->path, &got);
	ksft_test_result(ret == -EACCES && got == k->sentinel,
			 "%s: uid %d cannot open it for writing: EACCES, value stays %ld "
			 "(%s, value %ld)\n", name, NOBODY, k->sentinel, errname(ret), got);

	ret = access_as(NOBODY_UID, k->path, -1, O_RDONLY, NULL);
	ksft_test_result(!ret, "%s: uid %d may read it (mode 0644) (%s)\n", name, NOBODY,
			 errname(ret));

	ret = write_after_drop(k->path, other);
	got = LONG_MIN;
	knob_read_long(k->path, &got);
	ksft_test_result(ret == -EPERM && got == k->sentinel,
			 "%s: opened by root, written as uid %d: EPERM, value stays %ld "
			 "(%s, value %ld)\n", name, NOBODY, k->sentinel, errname(ret), got);

	ret = access_as(ROOT_NO_CAPS, k->path, -1, O_WRONLY, other);
	got = LONG_MIN;
	knob_read_long(k->path, &got);
	ksft_test_result(!ret && got == strtol(other, NULL, 10),
			 "%s: uid 0 without capabilities writes %s, read back (%s, value %ld)\n",
			 name, other, errname(ret), got);
	knob_write(k->path, val);
}

static unsigned long compaction_work(void)
{
	static const char * const names[] = {
		"compact_migrate_scanned", "compact_free_scanned", "compact_isolated",
	};
	unsigned long v[3] = { 0 };

	vmstat_read(names, v, 3);
	return v[0] + v[1] + v[2];
}

/*
 * Three cases for a write-only file (compact_memory or nodeN/compact):
 * uid 65534 cannot open it at all; a file root opened, written as uid
 * 65534 (@sysctl: EPERM and nothing compacted; sysfs: taken); uid 0
 * without capabilities writes "1".
 */
static void test_access_write_only(const char *path, bool sysctl)
{
	unsigned long before;
	int ret, ret2;

	ret = access_as(NOBODY_UID, path, -1, O_WRONLY, "1");
	ret2 = access_as(NOBODY_UID, path, -1, O_RDONLY, NULL);
	ksft_test_result(ret == -EACCES && ret2 == -EACCES,
			 "%s: uid %d can open it neither for writing nor for reading: "
			 "EACCES (%s, %s)\n", path, NOBODY, errname(ret), errname(ret2));

	before = compaction_work();
	ret = write_after_drop(path, "1");
	if (sysctl)
		ksft_test_result(ret == -EPERM && compaction_work() == before,
				 "%s: opened by root, written as uid %d: EPERM, nothing "
				 "compacted (%s, %lu pages scanned or isolated)\n", path, NOBODY,
				 errname(ret), compaction_work() - before);
	else
		ksft_test_result(!ret, "%s: opened by root, written as uid %d: taken, "
				 "as upstream's sysfs file takes it (%s)\n", path, NOBODY,
				 errname(ret));

	ret = access_as(ROOT_NO_CAPS, path, -1, O_WRONLY, "1");
	ksft_test_result(!ret, "%s: uid 0 without capabilities writes \"1\" (%s)\n",
			 path, errname(ret));
}

static void test_node_compact(const int *nodes, int nr)
{
	char path[128];
	int i, ret;

	if (!nr) {
		skip_cases(NR_NODE_CASES, "no /sys/devices/system/node/node*/compact");
		return;
	}
	for (i = 0; i < nr; i++) {
		snprintf(path, sizeof(path), NODE_COMPACT_FMT, nodes[i]);
		test_write_only(path);
		ret = knob_write(path, "1");
		ksft_test_result(!ret, "%s: \"1\" accepted (%s)\n", path, outcome(ret));
	}
}

int main(void)
{
	long before[ARRAY_SIZE(ranged)], now;
	int nodes[MAX_NODES], nr_nodes, i, failed, ret;
	bool any = false;
	double t0 = now_s();

	ksft_print_header();
	if (geteuid())
		ksft_exit_skip("needs root\n");
	for (i = 0; i < (int)ARRAY_SIZE(ranged); i++)
		any |= !access(ranged[i].path, F_OK);
	if (!any && access(VM_COMPACT_MEMORY, F_OK))
		ksft_exit_skip("no compaction knobs (CONFIG_COMPACTION=n?)\n");
	nr_nodes = node_compact_files(nodes, MAX_NODES);
	ksft_set_plan(ARRAY_SIZE(ranged) * (NR_RANGED_CASES + NR_ACCESS_RANGED) +
		      NR_MEMORY_CASES + NR_ACCESS_MEMORY +
		      (nr_nodes ? nr_nodes : 1) * (NR_NODE_CASES + NR_ACCESS_NODE) + 1);

	for (i = 0; i < (int)ARRAY_SIZE(ranged); i++) {
		before[i] = LONG_MIN;
		if (access(ranged[i].path, F_OK))
			continue;
		ret = knob_save(ranged[i].path);
		if (!ret)
			ret = knob_read_long(ranged[i].path, &before[i]);
		if (ret)
			ksft_exit_fail_msg("%s: cannot read: %s\n", ranged[i].path,
					   strerror(-ret));
		ksft_print_msg("%s was %ld\n", knob_name(ranged[i].path), before[i]);
	}

	for (i = 0; i < (int)ARRAY_SIZE(ranged); i++)
		test_ranged(&ranged[i]);
	test_compact_memory();
	test_node_compact(nodes, nr_nodes);

	for (i = 0; i < (int)ARRAY_SIZE(ranged); i++)
		test_access_ranged(&ranged[i]);
	if (access(VM_COMPACT_MEMORY, F_OK))
		skip_cases(NR_ACCESS_MEMORY, VM_COMPACT_MEMORY);
	else
		test_access_write_only(VM_COMPACT_MEMORY, true);
	for (i = 0; i < nr_nodes; i++) {
		char path[128];

		snprintf(path, sizeof(path), NODE_COMPACT_FMT, nodes[i]);
		test_access_write_only(path, false);
	}
	if (!nr_nodes)
		skip_cases(NR_ACCESS_NODE, "no /sys/devices/system/node/node*/compact");

	failed = knobs_restore();
	for (i = 0; i < (int)ARRAY_SIZE(ranged); i++)
		if (before[i] != LONG_MIN &&
		    (knob_read_long(ranged[i].path, &now) || now != before[i]))
			failed++;
	ksft_test_result(!failed, "every knob restored to its value before the test (%d not)\n",
			 failed);
	ksft_print_msg("total %.1f s\n", now_s() - t0);
	ksft_finished();
}
