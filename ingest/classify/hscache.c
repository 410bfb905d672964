/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hscache.c - cached hs_compile_multi; see hscache.h.
 *
 * Files are written to a temporary name and renamed, so a reader never
 * sees half a database; concurrent writers race harmlessly.
 */
#include "classify/hscache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Two FNV-1a lanes with different offsets: a 128-bit key. */
typedef struct key {
	uint64_t a, b;
} key_t_;

static void mix(key_t_ *k, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++) {
		k->a = (k->a ^ s[i]) * 1099511628211ULL;
		k->b = (k->b ^ s[i]) * 1099511628211ULL;
		k->b ^= k->b >> 29;
	}
}

/* The cache directory into out; 0, or -1 when caching is off. */
static int cache_dir(char *out, size_t size)
{
	const char *d = getenv("REPLYSCAN_CACHE_DIR");
	const char *x = getenv("XDG_CACHE_HOME");
	const char *h = getenv("HOME");
	int n;

	if (d != NULL) {
		if (d[0] == '\0') {
			return -1;
		}
		n = snprintf(out, size, "%s", d);
	} else if (x != NULL && x[0] == '/') {
		n = snprintf(out, size, "%s/replyscan", x);
	} else if (h != NULL && h[0] == '/') {
		n = snprintf(out, size, "%s/.cache/replyscan", h);
	} else {
		return -1;
	}
	return n > 0 && (size_t)n < size ? 0 : -1;
}

/* Make dir and its parent (one level is enough for ~/.cache/replyscan). */
static void make_dirs(const char *dir)
{
	char parent[4096];
	char *slash;

	if (mkdir(dir, 0700) == 0 || errno == EEXIST) {
		return;
	}
	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (slash != NULL && slash != parent) {
		*slash = '\0';
		mkdir(parent, 0700);
		mkdir(dir, 0700);
	}
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

/*
 * hs_deserialize_database, with the database's pages faulted in by one
 * call before the copy instead of one fault per page during it (11 MB:
 * 6.1 -> 4.8 ms). The memory is malloc'd as Hyperscan's default allocator
 * does, so hs_free_database frees it; a kernel without the advice just
 * faults as before.
 */
static hs_error_t deserialize(const char *bytes, size_t len, hs_database_t **db)
{
	size_t size;
	char *mem;
	uintptr_t from, to;
	hs_error_t err = hs_serialized_database_size(bytes, len, &size);

	if (err != HS_SUCCESS) {
		return err;
	}
	mem = malloc(size);
	if (mem == NULL) {
		return HS_NOMEM;
	}
	from = ((uintptr_t)mem + 4095) & ~(uintptr_t)4095;
	to = ((uintptr_t)mem + size) & ~(uintptr_t)4095;
	if (to > from) {
		(void)madvise((void *)from, to - from, MADV_POPULATE_WRITE);
	}
	err = hs_deserialize_database_at(bytes, len, (hs_database_t *)mem);
	if (err != HS_SUCCESS) {
		free(mem);
		return err;
	}
	*db = (hs_database_t *)mem;
	return HS_SUCCESS;
}

/*
 * Deserialize the database cached at path; 0, or -1 when it is absent,
 * unreadable or not a database of this Hyperscan. The file is mapped, not
 * read: a read into fresh memory cost as much again as the deserializing
 * copy (11 MB for the bundled rules: 12 ms against 6 ms, every start).
 * The mapping is safe from the SIGBUS a shrinking file would raise
 * because a cache file is never changed in place: write_file renames a
 * new one over it, and this mapping keeps the old one.
 */
static int load_cached(const char *path, hs_database_t **db)
{
	struct stat st;
	void *map;
	hs_error_t err;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		return -1;
	}
	if (fstat(fd, &st) != 0 || st.st_size <= 0 ||
	    st.st_size > 256 * 1024 * 1024) {
		close(fd);
		return -1;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		return -1;
	}
	err = deserialize(map, (size_t)st.st_size, db);
	munmap(map, (size_t)st.st_size);
	return err == HS_SUCCESS ? 0 : -1;
}

/* Write the serialized database under path (temp file, then rename). */
static void write_file(const char *dir, const char *path, const char *bytes,
                       size_t len)
{
	char tmp[4300];
	int fd;
	size_t done = 0;

	make_dirs(dir);
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		return;
	}
	while (done < len) {
		ssize_t w = write(fd, bytes + done, len - done);
		if (w <= 0) {
			break;
		}
		done += (size_t)w;
	}
	if (close(fd) != 0 || done != len || rename(tmp, path) != 0) {
		unlink(tmp);
	}
}

hs_error_t rs_hscache_compile(const char *const *exprs, const unsigned *flags,
                              const unsigned *ids, unsigned n, unsigned mode,
                              hs_database_t **db, hs_compile_error_t **cerr)
{
	key_t_ k = {14695981039346656037ULL, 0x6c62272e07bb0142ULL};
	const char *ver = hs_version();
	hs_platform_info_t plat;
	char dir[4096], path[4200];
	hs_error_t err;

	mix(&k, ver, strlen(ver) + 1);
	mix(&k, &mode, sizeof(mode));
	/* The CPU the database is built for: one built where Hyperscan saw
	 * fewer features (another machine, or valgrind) loads here too, and
	 * would be kept and scanned with instead of this CPU's own. */
	memset(&plat, 0, sizeof(plat));
	if (hs_populate_platform(&plat) == HS_SUCCESS) {
		mix(&k, &plat.tune, sizeof(plat.tune));
		mix(&k, &plat.cpu_features, sizeof(plat.cpu_features));
	}
	mix(&k, &n, sizeof(n));
	for (unsigned i = 0; i < n; i++) {
		mix(&k, exprs[i], strlen(exprs[i]) + 1);
		mix(&k, &flags[i], sizeof(flags[i]));
		mix(&k, &ids[i], sizeof(ids[i]));
	}
	if (cache_dir(dir, sizeof(dir)) == 0) {
		snprintf(path, sizeof(path), "%s/%016llx%016llx.hsdb", dir,
		         (unsigned long long)k.a, (unsigned long long)k.b);
		if (load_cached(path, db) == 0) {
			return HS_SUCCESS;
		}
	} else {
		dir[0] = '\0';
	}
	err = hs_compile_multi(exprs, flags, ids, n, mode, NULL, db, cerr);
	if (err == HS_SUCCESS && dir[0] != '\0') {
		char *ser = NULL;
		size_t slen = 0;
		if (hs_serialize_database(*db, &ser, &slen) == HS_SUCCESS) {
			write_file(dir, path, ser, slen);
			free(ser);
		}
	}
	return err;
}
