/* owners.c - which processes hold which sockets: the links in
 * /proc/<pid>/fd ("socket:[inode]") and the name in /proc/<pid>/comm, as
 * netstat -p and ss -p find them.  Processes come and go during the walk:
 * one that vanishes or cannot be read is skipped and counted. */
#include "kparse.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wirestat/kernel.h"

void kernel_owners_init(struct kernel_owners *o, size_t max, size_t max_procs)
{
	memset(o, 0, sizeof(*o));
	o->max = max;
	o->max_procs = max_procs;
}

void kernel_owners_free(struct kernel_owners *o)
{
	free(o->v);
	o->v = NULL;
	o->n = o->alloc = 0;
}

bool kernel_parse_socket_link(const char *link, size_t len, uint64_t *inode)
{
	static const char prefix[] = "socket:[";
	const size_t plen = sizeof(prefix) - 1;
	char digits[24];
	if (len < plen + 2 || memcmp(link, prefix, plen) != 0 ||
	    link[len - 1] != ']')
		return false;
	size_t n = len - plen - 1;
	if (n >= sizeof(digits))
		return false;
	memcpy(digits, link + plen, n);
	digits[n] = '\0';
	return kparse_dec(digits, UINT64_MAX, inode);
}

bool kernel_parse_comm(const char *buf, size_t len, char comm[KERNEL_COMM_LEN])
{
	comm[0] = '\0';
	if (len == 0 || buf[len - 1] != '\n' || len > KERNEL_COMM_LEN)
		return false;
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] == '\n')
			return false;
		if (buf[i] >= ' ' && buf[i] <= '~')
			comm[i] = buf[i];
		else
			comm[i] = '?';
	}
	comm[len - 1] = '\0';
	return true;
}

/* A directory name that is a process id. */
static bool pid_name(const char *s, int32_t *pid)
{
	uint64_t v;
	if (!kparse_dec(s, INT32_MAX, &v) || v == 0 || s[0] == '0')
		return false;
	*pid = (int32_t)v;
	return true;
}

static void read_comm(int procfd, int32_t pid, char comm[KERNEL_COMM_LEN])
{
	char path[64], buf[KERNEL_COMM_LEN + 1];
	comm[0] = '\0';
	snprintf(path, sizeof(path), "%" PRId32 "/comm", pid);
	int fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n > 0)
		kernel_parse_comm(buf, (size_t)n, comm);
}

/* The sockets of one process, appended to o as (inode, pid) entries. */
static void walk_process(int procfd, int32_t pid, struct kernel_owners *o)
{
	char path[64], link[64];
	size_t first = o->n;
	snprintf(path, sizeof(path), "%" PRId32 "/fd", pid);
	int fd = openat(procfd, path,
			O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		o->counters[errno == EACCES || errno == EPERM
				    ? KR_PROC_NOT_PERMITTED
				    : KR_PROC_VANISHED]++;
		return;
	}
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		o->counters[KR_PROC_VANISHED]++;
		return;
	}
	const struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		uint64_t inode;
		if (de->d_name[0] == '.')
			continue;
		ssize_t n = readlinkat(dirfd(d), de->d_name, link,
				       sizeof(link));
		if (n <= 0 || (size_t)n >= sizeof(link) ||
		    !kernel_parse_socket_link(link, (size_t)n, &inode))
			continue; /* closed meanwhile, or not a socket */
		struct kernel_owner *v = kroom(o->v, &o->alloc, o->n, o->max,
					       sizeof(*o->v), o->counters);
		if (!v)
			continue;
		o->v = v;
		memset(&o->v[o->n], 0, sizeof(o->v[0]));
		o->v[o->n].inode = inode;
		o->v[o->n].pid = pid;
		o->v[o->n].npids = 1;
		o->n++;
	}
	closedir(d);
	if (o->n == first)
		return;
	char comm[KERNEL_COMM_LEN];
	read_comm(procfd, pid, comm);
	for (size_t i = first; i < o->n; i++)
		memcpy(o->v[i].comm, comm, sizeof(comm));
}

static int owner_cmp(const void *a, const void *b)
{
	const struct kernel_owner *x = a, *y = b;
	if (x->inode != y->inode)
		return x->inode < y->inode ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return 0;
}

/* Sorted (inode, pid) entries to one entry per inode: the lowest pid and
 * the number of distinct pids. */
static void merge(struct kernel_owners *o)
{
	size_t out = 0;
	if (o->n == 0)
		return;
	qsort(o->v, o->n, sizeof(o->v[0]), owner_cmp);
	for (size_t i = 1; i < o->n; i++) {
		struct kernel_owner *cur = &o->v[out];
		if (o->v[i].inode != cur->inode) {
			o->v[++out] = o->v[i];
			continue;
		}
		if (o->v[i].pid != o->v[i - 1].pid)
			cur->npids++;
	}
	o->n = out + 1;
}

int kernel_read_owners(const char *root, struct kernel_owners *o,
		       char *errbuf)
{
	const char *r = root ? root : KERNEL_PROC_ROOT;
	size_t procs = 0;
	o->n = 0;
	DIR *proc = opendir(r);
	if (!proc)
		return ws_error(errbuf, "%s: %s", r, strerror(errno));
	const struct dirent *de;
	while ((de = readdir(proc)) != NULL) {
		int32_t pid;
		if (!pid_name(de->d_name, &pid))
			continue;
		if (procs >= o->max_procs) {
			o->counters[KR_PROC_OVER_CAP]++;
			continue;
		}
		procs++;
		walk_process(dirfd(proc), pid, o);
	}
	closedir(proc);
	merge(o);
	o->counters[KR_RECORDS] += o->n;
	return 0;
}

const struct kernel_owner *kernel_owner_find(const struct kernel_owners *o,
					     uint64_t inode)
{
	size_t lo = 0, hi = o->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (o->v[mid].inode == inode)
			return &o->v[mid];
		if (o->v[mid].inode < inode)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
