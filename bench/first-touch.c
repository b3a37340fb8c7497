// What this machine charges for the first write to a page, the way the audit journal appends: records of 730 bytes
// (an Encrypt's journal line) copied into a shared mapping of a file whose blocks are already written.
// Build and run: gcc -O2 -o /tmp/first-touch bench/first-touch.c && /tmp/first-touch [directory]  (default /tmp)
// Prints ns per record for: pwrite() of each record; the copy into fresh pages of the mapping; the same pages again;
// after MADV_POPULATE_WRITE; after touching each page first with a compare-and-swap of zero; anonymous memory.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

enum { Record = 730, Page = 4096 };
static const size_t Size = 64u << 20;

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static double copy_records(char *to, const char *record)
{
    size_t n = Size / Record;
    double begin = now_ns();
    for (size_t i = 0; i < n; i++) memcpy(to + i * Record, record, Record);
    return (now_ns() - begin) / n;
}

int main(int argc, char **argv)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/first-touch.%d", argc > 1 ? argv[1] : "/tmp", getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) { perror(path); return 1; }
    unlink(path);
    static char zeros[1 << 20], record[Record];
    memset(record, 'x', sizeof record);
    for (size_t at = 0; at < Size; at += sizeof zeros)
        if (pwrite(fd, zeros, sizeof zeros, at) != sizeof zeros) { perror("pwrite"); return 1; }
    fsync(fd);

    size_t n = Size / Record;
    double begin = now_ns();
    for (size_t i = 0; i < n; i++)
        if (pwrite(fd, record, Record, i * Record) != Record) { perror("pwrite"); return 1; }
    printf("pwrite of each record:                      %6.0f ns/record\n", (now_ns() - begin) / n);

    char *map = mmap(NULL, Size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) { perror("mmap"); return 1; }
    printf("copy into fresh pages of the mapping:       %6.0f ns/record\n", copy_records(map, record));
    printf("copy into the same pages again:             %6.0f ns/record\n", copy_records(map, record));

    madvise(map, Size, MADV_DONTNEED);
    int populated = madvise(map, Size, MADV_POPULATE_WRITE) == 0;
    printf("copy after MADV_POPULATE_WRITE%s %6.0f ns/record\n", populated ? ":            " : " (refused):  ",
           copy_records(map, record));

    madvise(map, Size, MADV_DONTNEED);
    begin = now_ns();
    for (size_t at = 0; at < Size; at += Page) __sync_val_compare_and_swap((int *)(map + at), 0, 0);
    double touch = (now_ns() - begin) / (Size / Page);
    printf("touch each page (compare-and-swap of zero): %6.0f ns/page\n", touch);
    printf("copy after the touch:                       %6.0f ns/record\n", copy_records(map, record));

    char *anonymous = mmap(NULL, Size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (anonymous == MAP_FAILED) { perror("mmap"); return 1; }
    printf("copy into fresh anonymous memory:           %6.0f ns/record\n", copy_records(anonymous, record));
    printf("copy into the same anonymous memory again:  %6.0f ns/record\n", copy_records(anonymous, record));
    return 0;
}
