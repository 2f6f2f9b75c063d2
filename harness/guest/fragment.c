// SPDX-License-Identifier: GPL-2.0
/*
 * fragment - leave anonymous memory so fragmented that no 2 MiB block is
 * free, hold it while the caller compacts, then check that every page kept
 * its contents.
 *
 * usage: fragment PERCENT READYFILE
 *
 * Maps PERCENT of MemFree as private anonymous memory, writes a per-page
 * pattern into every page, then frees every other 4 KiB page with
 * MADV_DONTNEED, so each 2 MiB block keeps half its pages.  It then creates
 * READYFILE and waits for SIGUSR1, checks every kept page and exits 0 if all
 * are intact, 1 otherwise.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096UL

static volatile sig_atomic_t woken;

static void on_usr1(int sig)
{
	(void)sig;
	woken = 1;
}

static unsigned long memfree_kib(void)
{
	char line[256];
	unsigned long kib = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %lu kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static uint64_t pattern(unsigned long i)
{
	return 0x9e3779b97f4a7c15ULL * (i + 1);
}

int main(int argc, char **argv)
{
	unsigned long pct, len, npages, i, bad = 0;
	sigset_t set, old;
	char *mem;
	FILE *ready;

	if (argc != 3 || (pct = strtoul(argv[1], NULL, 10)) == 0 || pct > 95) {
		fprintf(stderr, "usage: fragment PERCENT(1-95) READYFILE\n");
		return 2;
	}
	len = memfree_kib() * 1024 / 100 * pct;
	len &= ~((2UL << 20) - 1);
	npages = len / PAGE;
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	madvise(mem, len, MADV_NOHUGEPAGE);
	for (i = 0; i < npages; i++)
		*(uint64_t *)(mem + i * PAGE) = pattern(i);
	for (i = 1; i < npages; i += 2)
		madvise(mem + i * PAGE, PAGE, MADV_DONTNEED);
	printf("fragment: %lu MiB mapped, every other page freed\n", len >> 20);
	fflush(stdout);

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	signal(SIGUSR1, on_usr1);
	ready = fopen(argv[2], "w");
	if (ready)
		fclose(ready);
	while (!woken)
		sigsuspend(&old);

	for (i = 0; i < npages; i += 2)
		if (*(uint64_t *)(mem + i * PAGE) != pattern(i))
			bad++;
	printf("fragment: %lu of %lu kept pages intact\n",
	       npages / 2 - bad, (npages + 1) / 2);
	return bad ? 1 : 0;
}
