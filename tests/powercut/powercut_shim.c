// CONCEPT: what a power cut leaves on disk - the durable state of a file system, recorded as a
// server runs, so a test can throw away exactly what was never fsynced.
//
// kill -9 is a weak crash test for storage code: the process dies, but the kernel's page cache
// lives on, so every write() the server made reaches the disk eventually, fsync or not. A power
// cut loses the page cache. This library, loaded into a server with LD_PRELOAD, interposes the
// libc calls that change files and keeps, next to the server's data directory, a second picture of
// it: what the disk is *guaranteed* to hold.
//
//   server ──write()/pwrite()/writev()──▶ libc ──▶ page cache (what kill -9 leaves)
//      │                   │
//      │                   └─▶ pend/<id>  unsynced writes of that file, in order, with their bytes
//      ├──fsync(file)────────▶ data/<id>  := the file as it is now    (pend/<id> emptied)
//      ├──open(O_CREAT)/rename/unlink/mkdir ─▶ dpend/<dir id>  unsynced name changes, in order
//      └──fsync(directory)───▶ dir/<dir id> := the directory's entries now  (dpend emptied)
//
// At a "power cut" the test kills the server (tests/powercut/powercut.py) and rebuilds the data
// directory from this picture: every directory starts from its last fsynced listing, every file
// from its last fsynced content, and then - depending on the model the test picked - either
// nothing else survives ("drop") or a random prefix of the pending changes of each file and each
// directory does ("prefix": the disk wrote some of the queued work, in order, before the lights
// went out). What the model does not cover is written down in docs/architecture.md.
//
// Identity: files are known by an id the shim hands out (pid.counter), mapped from the inode
// number in ino/<inode> (a symlink to the id). Inode numbers are reused after an unlink; ids are
// not, so a durable directory entry keeps pointing at the content it had.
//
// State is kept in files, not in memory, because three kinds of actors share it: threads (the
// fsync thread of miniredis's everysec, minirabbit's journal thread), forked children (miniredis's
// BGSAVE / BGREWRITEAOF) and the test that rebuilds the directory after the process is gone. One
// lock serialises it all: a mutex between threads plus flock() on state/lock between processes.
//
// Environment: POWERCUT_DIR (the data directory), POWERCUT_STATE (an empty directory for the
// picture), optional POWERCUT_AFTER=N (cut the power from inside after N recorded operations -
// a cut at an exact point between a write and its fsync, which a timer rarely hits).
//
// READ NEXT: tests/powercut/powercut.py (the cut: rebuilding the directory), then
// tests/powercut/powercut_test.py (what is checked per server).
// One name per libc function: with _FILE_OFFSET_BITS=64 the headers would rename open() to open64()
// behind our back, and the shim defines both itself.
#undef _FILE_OFFSET_BITS
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

// Paths here are bounded (the state directory's length is checked at start, names by NAME_MAX, ids
// by 64): snprintf's truncation is a safety net, not a case to handle.
#pragma GCC diagnostic ignored "-Wformat-truncation"

// --- the real libc functions -------------------------------------------------------------------
// Looked up lazily with RTLD_NEXT: another library's constructor may open a file before ours runs.
#define REAL(name) static __typeof__(name)* real_##name
#define NEXT(name) ((__typeof__(name)*)next_symbol((void**)&real_##name, #name))
static void* next_symbol(void** slot, const char* name) {
    if (!*slot) *slot = dlsym(RTLD_NEXT, name);
    return *slot;
}
REAL(openat);
REAL(fopen);
REAL(write);
REAL(pwrite);
REAL(writev);
REAL(pwritev);
REAL(ftruncate);
REAL(truncate);
REAL(fallocate);
REAL(posix_fallocate);
REAL(fsync);
REAL(fdatasync);
REAL(renameat2);
REAL(unlinkat);
REAL(remove);
REAL(mkdirat);
REAL(mmap);
REAL(sendfile);
REAL(copy_file_range);

// --- configuration and the lock ----------------------------------------------------------------
static struct {
    int enabled;
    char state[512];  // POWERCUT_STATE (short: every state path is this plus a few dozen bytes)
    dev_t dev;        // the data directory's device: a cheap first filter in tracked()
    int lock_fd;
    long after;  // POWERCUT_AFTER: SIGKILL ourselves after this many recorded operations (0 = never)
} pc;
static atomic_long ops_done;
static atomic_ulong next_serial;
static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static __thread int inside;  // set while the shim itself runs: its own file calls pass straight through

// Two locks in one: the mutex orders this process's threads (flock() is per open file description,
// so two threads of one process sharing lock_fd would both "hold" it); the flock orders processes -
// a BGREWRITEAOF child records into the same picture as its parent. Everything that reads or
// changes the picture, and every interposed write, runs between lock() and unlock().
static void lock(void) {
    pthread_mutex_lock(&mutex);
    inside = 1;
    while (flock(pc.lock_fd, LOCK_EX) != 0 && errno == EINTR) {
    }
}

static void unlock(void) {
    flock(pc.lock_fd, LOCK_UN);
    inside = 0;
    pthread_mutex_unlock(&mutex);
}

static int active(void) { return pc.enabled && !inside; }

// One more recorded operation; with POWERCUT_AFTER, the lights go out here (called outside the lock,
// so the test never finds the picture half-updated by this process).
static void count_op(void) {
    long n = atomic_fetch_add(&ops_done, 1) + 1;
    if (pc.after > 0 && n >= pc.after) kill(getpid(), SIGKILL);
}

// --- small file helpers (all on the state directory, all through the real functions) -----------
static void state_path(char* out, const char* kind, const char* id) {
    snprintf(out, PATH_MAX, "%s/%s/%s", pc.state, kind, id);
}

static int write_all(int fd, const void* data, size_t n) {
    const char* p = data;
    while (n > 0) {
        ssize_t w = NEXT(write)(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void append_to(const char* kind, const char* id, const struct iovec* iov, int count) {
    char path[PATH_MAX];
    state_path(path, kind, id);
    int fd = NEXT(openat)(AT_FDCWD, path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return;
    for (int i = 0; i < count; ++i) write_all(fd, iov[i].iov_base, iov[i].iov_len);
    close(fd);
}

static void empty_file(const char* kind, const char* id) {
    char path[PATH_MAX];
    state_path(path, kind, id);
    int fd = NEXT(openat)(AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) close(fd);
}

static int exists(const char* kind, const char* id) {
    char path[PATH_MAX];
    state_path(path, kind, id);
    return access(path, F_OK) == 0;
}

// --- identity: inode -> id ---------------------------------------------------------------------
static int id_of_inode(ino_t ino, char* id) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/ino/%lu", pc.state, (unsigned long)ino);
    ssize_t n = readlink(path, id, 63);
    if (n <= 0) return 0;
    id[n] = 0;
    return 1;
}

// A new file or directory in the data directory gets a fresh id; the symlink is replaced with a
// rename so a concurrent reader sees the old id or the new one, never neither.
static void new_id(ino_t ino, char* id) {
    snprintf(id, 64, "%d.%lu", (int)getpid(), (unsigned long)atomic_fetch_add(&next_serial, 1));
    char link[PATH_MAX], temp[PATH_MAX];
    snprintf(link, sizeof link, "%s/ino/%lu", pc.state, (unsigned long)ino);
    snprintf(temp, sizeof temp, "%s.%s", link, id);
    symlink(id, temp);
    NEXT(renameat2)(AT_FDCWD, temp, AT_FDCWD, link, 0);
}

// Is this descriptor a file or directory inside the data directory? If so, its id.
static int tracked(int fd, struct stat* st, char* id) {
    if (fstat(fd, st) != 0 || st->st_dev != pc.dev) return 0;
    if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode)) return 0;
    return id_of_inode(st->st_ino, id);
}

// The directory a path lives in, if it is tracked: its id, and the path's last component.
static int parent_of(int dirfd, const char* path, char* parent_id, char* base) {
    char copy[PATH_MAX];
    snprintf(copy, sizeof copy, "%s", path);
    size_t len = strlen(copy);
    while (len > 1 && copy[len - 1] == '/') copy[--len] = 0;  // "dir/" names "dir"
    char* slash = strrchr(copy, '/');
    const char* dir = ".";
    if (slash == copy) {
        dir = "/";
        snprintf(base, NAME_MAX + 1, "%s", slash + 1);
    } else if (slash) {
        *slash = 0;
        dir = copy;
        snprintf(base, NAME_MAX + 1, "%s", slash + 1);
    } else {
        snprintf(base, NAME_MAX + 1, "%s", copy);
    }
    struct stat st;
    if (fstatat(dirfd, dir, &st, 0) != 0 || st.st_dev != pc.dev || !S_ISDIR(st.st_mode)) return 0;
    return id_of_inode(st.st_ino, parent_id);
}

// --- recording ---------------------------------------------------------------------------------
// Why keep the bytes of each write, not just where it went? The "prefix" model rebuilds the file as
// it was after the k-th unsynced write; by the time of the cut, the server may have overwritten
// that range (an index entry rewritten, a truncate and a re-append), so the file itself no longer
// has those bytes. Tests write megabytes, not gigabytes: the copy is affordable.
//
// pend/<id> holds records: kind 'W' (offset, length, bytes) or 'T' (new size, 0). A record cut
// short by the kill is ignored by the reader.
struct __attribute__((packed)) record {
    char kind;
    uint64_t offset;
    uint64_t length;
};

static void record_write(const char* id, off_t offset, const struct iovec* iov, int count, size_t done) {
    struct iovec parts[1 + IOV_MAX];
    struct record head = {'W', (uint64_t)offset, (uint64_t)done};
    parts[0] = (struct iovec){&head, sizeof head};
    int n = 1;
    for (int i = 0; i < count && done > 0 && n < 1 + IOV_MAX; ++i) {
        size_t take = iov[i].iov_len < done ? iov[i].iov_len : done;
        parts[n++] = (struct iovec){iov[i].iov_base, take};
        done -= take;
    }
    append_to("pend", id, parts, n);
}

static void record_size(const char* id, off_t size) {
    struct record head = {'T', (uint64_t)size, 0};
    struct iovec part = {&head, sizeof head};
    append_to("pend", id, &part, 1);
}

// A file also written by means the shim does not see record by record (stdio's internal write,
// a shared writable mapping, sendfile into it): its fsync copies the whole file instead.
// The marker holds the pid of the process whose hidden writes made the file opaque: stdio's buffer
// lives in that process, so once it is gone (miniredis's rewrite child exits after writing the new
// AOF), a full copy at the next fsync makes the file followable again (see sync_file).
static void mark_opaque(const char* id) {
    char pid[16];
    int n = snprintf(pid, sizeof pid, "%d", (int)getpid());
    struct iovec part = {pid, (size_t)n};
    empty_file("opaque", id);
    append_to("opaque", id, &part, 1);
}

static int opaque_writer_gone(const char* id) {
    char path[PATH_MAX], pid[16] = {0};
    state_path(path, "opaque", id);
    int fd = NEXT(openat)(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, pid, sizeof pid - 1);
    close(fd);
    return n > 0 && kill(atoi(pid), 0) != 0 && errno == ESRCH;
}

static void record_name(const char* dir_id, const char* line) {
    struct iovec part = {(void*)line, strlen(line)};
    append_to("dpend", dir_id, &part, 1);
}

// --- fsync: pending becomes durable ------------------------------------------------------------
static void copy_whole(int fd, const char* id) {
    char source[64], path[PATH_MAX], temp[PATH_MAX];
    snprintf(source, sizeof source, "/proc/self/fd/%d", fd);
    state_path(path, "data", id);
    snprintf(temp, sizeof temp, "%s.tmp", path);
    int in = NEXT(openat)(AT_FDCWD, source, O_RDONLY | O_CLOEXEC);
    int out = NEXT(openat)(AT_FDCWD, temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    char buffer[1 << 16];
    ssize_t n;
    while (in >= 0 && out >= 0 && (n = read(in, buffer, sizeof buffer)) > 0) write_all(out, buffer, (size_t)n);
    if (in >= 0) close(in);
    if (out >= 0) close(out);
    NEXT(renameat2)(AT_FDCWD, temp, AT_FDCWD, path, 0);
}

// Replays the file's pending records onto its durable copy: after fsync, the disk holds what the
// file holds now. The records are exactly the writes since the last fsync, so this costs what the
// writes cost, not the size of the file.
static void replay_pending(int fd, const char* id) {
    char path[PATH_MAX];
    state_path(path, "pend", id);
    int in = NEXT(openat)(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    state_path(path, "data", id);
    int out = NEXT(openat)(AT_FDCWD, path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (out < 0) {
        if (in >= 0) close(in);
        return;
    }
    if (in >= 0) {
        struct stat st;
        fstat(in, &st);
        char* log = st.st_size > 0 ? malloc((size_t)st.st_size) : NULL;
        ssize_t got = log ? pread(in, log, (size_t)st.st_size, 0) : 0;
        for (ssize_t at = 0; log && at + (ssize_t)sizeof(struct record) <= got;) {
            struct record r;
            memcpy(&r, log + at, sizeof r);
            at += (ssize_t)sizeof r;
            if (r.kind == 'T') {
                NEXT(ftruncate)(out, (off_t)r.offset);
            } else {
                if (at + (ssize_t)r.length > got) break;
                for (uint64_t w = 0; w < r.length;) {
                    ssize_t n = NEXT(pwrite)(out, log + at + w, r.length - w, (off_t)(r.offset + w));
                    if (n <= 0) break;
                    w += (uint64_t)n;
                }
                at += (ssize_t)r.length;
            }
        }
        free(log);
        close(in);
    }
    struct stat real;
    if (fstat(fd, &real) == 0) NEXT(ftruncate)(out, real.st_size);  // the size is durable too
    close(out);
}

static void sync_file(int fd, const char* id) {
    if (exists("opaque", id)) {
        copy_whole(fd, id);
        if (opaque_writer_gone(id)) {
            char path[PATH_MAX];
            state_path(path, "opaque", id);
            unlink(path);  // not interposed here: the shim is inside its lock
        }
    } else {
        replay_pending(fd, id);
    }
    empty_file("pend", id);
}

// fsync of a directory: its entries as they are now become its durable listing, one line each:
// "F <id> <name>" or "D <id> <name>" (entries the shim never saw created are left out).
// The listing is read from the real directory at the moment of the fsync rather than replayed from
// dpend: what an fsync of a directory makes durable is its state now, however it got there.
static void sync_directory(int fd, const char* id) {
    int dup_fd = NEXT(openat)(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR* dir = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (!dir) return;
    char path[PATH_MAX], temp[PATH_MAX];
    state_path(path, "dir", id);
    snprintf(temp, sizeof temp, "%s.tmp", path);
    FILE* out = NEXT(fopen)(temp, "w");
    for (struct dirent* e; out && (e = readdir(dir));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        struct stat st;
        char child[64];
        if (fstatat(dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (!(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) || !id_of_inode(st.st_ino, child)) continue;
        fprintf(out, "%c\t%s\t%s\n", S_ISDIR(st.st_mode) ? 'D' : 'F', child, e->d_name);
    }
    closedir(dir);
    if (out) {
        fclose(out);
        NEXT(renameat2)(AT_FDCWD, temp, AT_FDCWD, path, 0);
    }
    empty_file("dpend", id);
}

// --- start: the data directory as it is now is the durable starting point ----------------------
static void adopt_tree(int dirfd, char* id) {
    struct stat st;
    fstat(dirfd, &st);
    new_id(st.st_ino, id);
    int dup_fd = NEXT(openat)(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR* dir = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    for (struct dirent* e; dir && (e = readdir(dir));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        int child = NEXT(openat)(dirfd, e->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (child < 0) continue;
        char child_id[64];
        struct stat cst;
        fstat(child, &cst);
        if (S_ISDIR(cst.st_mode)) {
            adopt_tree(child, child_id);
        } else if (S_ISREG(cst.st_mode)) {
            new_id(cst.st_ino, child_id);
            copy_whole(child, child_id);
        }
        close(child);
    }
    if (dir) closedir(dir);
    sync_directory(dirfd, id);
}

// fork() while another thread holds the mutex would leave the child a mutex nobody unlocks: take it
// around the fork, as pthread_atfork(3) recommends.
static void after_fork_prepare(void) { pthread_mutex_lock(&mutex); }
static void after_fork_parent(void) { pthread_mutex_unlock(&mutex); }
static void after_fork_child(void) {
    // flock() belongs to the open file description, which the child shares with the parent:
    // the child needs its own, or it would "hold" the parent's lock. The power is cut by the
    // parent's count only.
    pthread_mutex_unlock(&mutex);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/lock", pc.state);
    int fd = NEXT(openat)(AT_FDCWD, path, O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        close(pc.lock_fd);
        pc.lock_fd = fd;
    }
    pc.after = 0;
}

__attribute__((constructor)) static void start(void) {
    const char* dir = getenv("POWERCUT_DIR");
    const char* state = getenv("POWERCUT_STATE");
    if (!dir || !state) return;
    if (strlen(state) >= sizeof pc.state) {
        fprintf(stderr, "powercut: POWERCUT_STATE is too long\n");
        return;
    }
    snprintf(pc.state, sizeof pc.state, "%s", state);
    const char* after = getenv("POWERCUT_AFTER");
    pc.after = after ? atol(after) : 0;
    static const char* kinds[] = {"ino", "data", "pend", "opaque", "dir", "dpend"};
    char path[PATH_MAX];
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; ++i) {
        snprintf(path, sizeof path, "%s/%s", state, kinds[i]);
        NEXT(mkdirat)(AT_FDCWD, path, 0755);
    }
    snprintf(path, sizeof path, "%s/lock", state);
    pc.lock_fd = NEXT(openat)(AT_FDCWD, path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    NEXT(mkdirat)(AT_FDCWD, dir, 0755);  // the server may create it itself; the shim needs it now
    int dirfd = NEXT(openat)(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct stat st;
    if (pc.lock_fd < 0 || dirfd < 0 || fstat(dirfd, &st) != 0) {
        fprintf(stderr, "powercut: cannot use %s / %s\n", dir, state);
        return;
    }
    pc.dev = st.st_dev;
    pc.enabled = 1;
    lock();
    snprintf(path, sizeof path, "%s/root", state);
    if (access(path, F_OK) != 0) {
        char root[64];
        adopt_tree(dirfd, root);
        symlink(root, path);  // the test starts rebuilding here
    }
    unlock();
    close(dirfd);
    pthread_atfork(after_fork_prepare, after_fork_parent, after_fork_child);
}

// --- interposed: creating, truncating ----------------------------------------------------------
static int shim_openat(int dirfd, const char* path, int flags, mode_t mode) {
    if (!active() || !(flags & (O_CREAT | O_TRUNC)) || (flags & O_TMPFILE) == O_TMPFILE)
        return NEXT(openat)(dirfd, path, flags, mode);
    // Did this open create the file? Only a stat before the call can tell (O_CREAT on an existing file
    // opens it). A created file starts empty in the picture and exists only as a pending name in its
    // directory; O_TRUNC on an existing file is a pending size change, like ftruncate.
    lock();
    struct stat before;
    int existed = fstatat(dirfd, path, &before, 0) == 0;
    int fd = NEXT(openat)(dirfd, path, flags, mode);
    int saved = errno;
    int recorded = 0;
    if (fd >= 0) {
        char id[64], parent[64], base[NAME_MAX + 1], line[PATH_MAX];
        struct stat st;
        if (!existed && parent_of(dirfd, path, parent, base) && fstat(fd, &st) == 0) {
            new_id(st.st_ino, id);
            empty_file("data", id);
            snprintf(line, sizeof line, "C\tF\t%s\t%s\n", id, base);
            record_name(parent, line);
            recorded = 1;
        } else if (existed && (flags & O_TRUNC) && before.st_size > 0 && tracked(fd, &st, id)) {
            record_size(id, 0);
            recorded = 1;
        }
    }
    unlock();
    if (recorded) count_op();
    errno = saved;
    return fd;
}

static mode_t mode_arg(int flags, va_list args) {
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(args, int) : 0;
}

EXPORT int open(const char* path, int flags, ...) {
    va_list args;
    va_start(args, flags);
    mode_t mode = mode_arg(flags, args);
    va_end(args);
    return shim_openat(AT_FDCWD, path, flags, mode);
}

EXPORT int open64(const char* path, int flags, ...) {
    va_list args;
    va_start(args, flags);
    mode_t mode = mode_arg(flags, args);
    va_end(args);
    return shim_openat(AT_FDCWD, path, flags, mode);
}

EXPORT int openat(int dirfd, const char* path, int flags, ...) {
    va_list args;
    va_start(args, flags);
    mode_t mode = mode_arg(flags, args);
    va_end(args);
    return shim_openat(dirfd, path, flags, mode);
}

EXPORT int openat64(int dirfd, const char* path, int flags, ...) {
    va_list args;
    va_start(args, flags);
    mode_t mode = mode_arg(flags, args);
    va_end(args);
    return shim_openat(dirfd, path, flags, mode);
}

EXPORT int creat(const char* path, mode_t mode) {
    return shim_openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

EXPORT int creat64(const char* path, mode_t mode) {
    return shim_openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

// stdio writes through libc's internal write(), which no LD_PRELOAD can see: such a file is
// "opaque" and its fsync copies it whole.
static FILE* shim_fopen(const char* path, const char* how) {
    if (!active() || (!strchr(how, 'w') && !strchr(how, 'a') && !strchr(how, '+'))) return NEXT(fopen)(path, how);
    lock();
    struct stat before;
    int existed = stat(path, &before) == 0;
    FILE* f = NEXT(fopen)(path, how);
    int saved = errno;
    char id[64], parent[64], base[NAME_MAX + 1], line[PATH_MAX];
    struct stat st;
    if (f && !existed && parent_of(AT_FDCWD, path, parent, base) && fstat(fileno(f), &st) == 0) {
        new_id(st.st_ino, id);
        empty_file("data", id);
        snprintf(line, sizeof line, "C\tF\t%s\t%s\n", id, base);
        record_name(parent, line);
    }
    if (f && tracked(fileno(f), &st, id)) {
        if (existed && strchr(how, 'w') && before.st_size > 0) record_size(id, 0);
        mark_opaque(id);
    }
    unlock();
    errno = saved;
    return f;
}

EXPORT FILE* fopen(const char* path, const char* how) { return shim_fopen(path, how); }
EXPORT FILE* fopen64(const char* path, const char* how) { return shim_fopen(path, how); }

// --- interposed: writing -----------------------------------------------------------------------
// With O_SYNC / O_DSYNC every write is its own fsync.
static void sync_if_o_sync(int fd, const char* id) {
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0 && (fl & (O_SYNC | O_DSYNC))) sync_file(fd, id);
}

// `offset` < 0: the descriptor's own position (write/writev, O_APPEND or not) - read back after
// the write, under the lock, so no other thread moved it meanwhile.
static ssize_t shim_write(int fd, const struct iovec* iov, int count, off_t offset, int which) {
    char id[64];
    struct stat st;
    if (!active() || !tracked(fd, &st, id) || !S_ISREG(st.st_mode)) {
        switch (which) {
            case 0:
                return NEXT(write)(fd, iov[0].iov_base, iov[0].iov_len);
            case 1:
                return NEXT(pwrite)(fd, iov[0].iov_base, iov[0].iov_len, offset);
            case 2:
                return NEXT(writev)(fd, iov, count);
            default:
                return NEXT(pwritev)(fd, iov, count, offset);
        }
    }
    // The real write runs under the lock, so that (1) the offset read back with lseek is the one this
    // write used, and (2) an fsync on another thread sees either the write and its record, or
    // neither: an fsync that returned after a write() returned always covers it.
    lock();
    ssize_t n;
    switch (which) {
        case 0:
            n = NEXT(write)(fd, iov[0].iov_base, iov[0].iov_len);
            break;
        case 1:
            n = NEXT(pwrite)(fd, iov[0].iov_base, iov[0].iov_len, offset);
            break;
        case 2:
            n = NEXT(writev)(fd, iov, count);
            break;
        default:
            n = NEXT(pwritev)(fd, iov, count, offset);
            break;
    }
    int saved = errno;
    if (n > 0) {
        off_t at = (which == 0 || which == 2) ? lseek(fd, 0, SEEK_CUR) - n : offset;
        record_write(id, at, iov, count, (size_t)n);
        sync_if_o_sync(fd, id);
    }
    unlock();
    if (n > 0) count_op();
    errno = saved;
    return n;
}

EXPORT ssize_t write(int fd, const void* buf, size_t n) {
    struct iovec one = {(void*)buf, n};
    return shim_write(fd, &one, 1, -1, 0);
}

EXPORT ssize_t pwrite(int fd, const void* buf, size_t n, off_t offset) {
    struct iovec one = {(void*)buf, n};
    return shim_write(fd, &one, 1, offset, 1);
}

EXPORT ssize_t pwrite64(int fd, const void* buf, size_t n, off_t offset) { return pwrite(fd, buf, n, offset); }

EXPORT ssize_t writev(int fd, const struct iovec* iov, int count) { return shim_write(fd, iov, count, -1, 2); }

EXPORT ssize_t pwritev(int fd, const struct iovec* iov, int count, off_t offset) {
    return shim_write(fd, iov, count, offset, 3);
}

EXPORT ssize_t pwritev64(int fd, const struct iovec* iov, int count, off_t offset) {
    return shim_write(fd, iov, count, offset, 3);
}

// A size change is a pending change like a write: ftruncate, and fallocate that grows the file.
static void after_resize(int fd, int result) {
    char id[64];
    struct stat st;
    if (result != 0 || !active() || !tracked(fd, &st, id) || !S_ISREG(st.st_mode)) return;
    lock();
    fstat(fd, &st);
    record_size(id, st.st_size);
    unlock();
    count_op();
}

EXPORT int ftruncate(int fd, off_t size) {
    int r = NEXT(ftruncate)(fd, size);
    int saved = errno;
    after_resize(fd, r);
    errno = saved;
    return r;
}

EXPORT int ftruncate64(int fd, off_t size) { return ftruncate(fd, size); }

EXPORT int truncate(const char* path, off_t size) {
    int r = NEXT(truncate)(path, size);
    int saved = errno;
    if (r == 0 && active()) {
        int fd = NEXT(openat)(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            after_resize(fd, 0);
            close(fd);
        }
    }
    errno = saved;
    return r;
}

EXPORT int fallocate(int fd, int mode, off_t offset, off_t length) {
    int r = NEXT(fallocate)(fd, mode, offset, length);
    int saved = errno;
    if (!(mode & FALLOC_FL_KEEP_SIZE)) after_resize(fd, r);
    errno = saved;
    return r;
}

EXPORT int fallocate64(int fd, int mode, off_t offset, off_t length) { return fallocate(fd, mode, offset, length); }

EXPORT int posix_fallocate(int fd, off_t offset, off_t length) {
    int r = NEXT(posix_fallocate)(fd, offset, length);
    after_resize(fd, r);
    return r;
}

EXPORT int posix_fallocate64(int fd, off_t offset, off_t length) { return posix_fallocate(fd, offset, length); }

// Writes the shim cannot follow byte by byte make the file opaque (see shim_fopen).
static void opaque_if_tracked(int fd) {
    char id[64];
    struct stat st;
    if (!active() || !tracked(fd, &st, id) || !S_ISREG(st.st_mode)) return;
    lock();
    mark_opaque(id);
    unlock();
}

EXPORT void* mmap(void* addr, size_t length, int prot, int flags, int fd, off_t offset) {
    if (fd >= 0 && (prot & PROT_WRITE) && (flags & MAP_SHARED)) opaque_if_tracked(fd);
    return NEXT(mmap)(addr, length, prot, flags, fd, offset);
}

EXPORT void* mmap64(void* addr, size_t length, int prot, int flags, int fd, off_t offset) {
    return mmap(addr, length, prot, flags, fd, offset);
}

EXPORT ssize_t sendfile(int out, int in, off_t* offset, size_t count) {
    opaque_if_tracked(out);  // minikafka sends *from* segment files to sockets: not tracked
    return NEXT(sendfile)(out, in, offset, count);
}

EXPORT ssize_t sendfile64(int out, int in, off_t* offset, size_t count) { return sendfile(out, in, offset, count); }

EXPORT ssize_t copy_file_range(int in, off_t* in_off, int out, off_t* out_off, size_t n, unsigned flags) {
    opaque_if_tracked(out);
    return NEXT(copy_file_range)(in, in_off, out, out_off, n, flags);
}

// --- interposed: fsync, the only way to durability --------------------------------------------
// fdatasync counts as fsync: it must persist the size and data, which is all the model holds.
// sync_file_range() and msync() are not interposed: they promise nothing about power loss.
// The real fsync runs first, the picture is updated after it. If the process dies in between, the
// fsync never returned - nothing can have been acknowledged on the strength of it - so leaving the
// change pending is exactly right.
static int after_sync(int fd, int result) {
    char id[64];
    struct stat st;
    if (result != 0 || !active() || !tracked(fd, &st, id)) return result;
    int saved = errno;
    lock();
    if (S_ISDIR(st.st_mode))
        sync_directory(fd, id);
    else
        sync_file(fd, id);
    unlock();
    count_op();
    errno = saved;
    return result;
}

EXPORT int fsync(int fd) { return after_sync(fd, NEXT(fsync)(fd)); }
EXPORT int fdatasync(int fd) { return after_sync(fd, NEXT(fdatasync)(fd)); }

// --- interposed: names (durable only once their directory is fsynced) --------------------------
static int shim_rename(int old_dir, const char* old_path, int new_dir, const char* new_path, unsigned flags) {
    if (!active()) return NEXT(renameat2)(old_dir, old_path, new_dir, new_path, flags);
    lock();
    struct stat st;
    int known = fstatat(old_dir, old_path, &st, AT_SYMLINK_NOFOLLOW) == 0;
    int r = NEXT(renameat2)(old_dir, old_path, new_dir, new_path, flags);
    int saved = errno;
    char from_dir[64], to_dir[64], from[NAME_MAX + 1], to[NAME_MAX + 1], id[64], line[3 * PATH_MAX];
    int recorded = 0;
    if (r == 0 && known && !(flags & RENAME_EXCHANGE)) {
        int has_from = parent_of(old_dir, old_path, from_dir, from);
        int has_to = parent_of(new_dir, new_path, to_dir, to);
        if (has_to && !id_of_inode(st.st_ino, id)) {  // moved in from outside: content unknown
            new_id(st.st_ino, id);
            empty_file("data", id);
            mark_opaque(id);
        }
        if (has_from && has_to && strcmp(from_dir, to_dir) == 0) {
            // One directory: a rename is one atomic step of the file system's journal.
            snprintf(line, sizeof line, "M\t%s\t%s\n", from, to);
            record_name(from_dir, line);
        } else {
            // Across directories: two changes, each pending in its own directory until that one is
            // fsynced - after a cut the file may be in both, in either or in neither.
            if (has_to) {
                snprintf(line, sizeof line, "C\t%c\t%s\t%s\n", S_ISDIR(st.st_mode) ? 'D' : 'F', id, to);
                record_name(to_dir, line);
            }
            if (has_from) {
                snprintf(line, sizeof line, "U\t%s\n", from);
                record_name(from_dir, line);
            }
        }
        recorded = has_from || has_to;
    }
    unlock();
    if (recorded) count_op();
    errno = saved;
    return r;
}

EXPORT int rename(const char* from, const char* to) { return shim_rename(AT_FDCWD, from, AT_FDCWD, to, 0); }
EXPORT int renameat(int fd1, const char* from, int fd2, const char* to) { return shim_rename(fd1, from, fd2, to, 0); }
EXPORT int renameat2(int fd1, const char* from, int fd2, const char* to, unsigned flags) {
    return shim_rename(fd1, from, fd2, to, flags);
}

// which: 0 unlinkat (flags as given), 1 remove()
static int shim_unlink(int dirfd, const char* path, int flags, int which) {
    if (!active()) return which ? NEXT(remove)(path) : NEXT(unlinkat)(dirfd, path, flags);
    lock();
    char parent[64], base[NAME_MAX + 1], line[PATH_MAX];
    int has_parent = parent_of(dirfd, path, parent, base);
    int r = which ? NEXT(remove)(path) : NEXT(unlinkat)(dirfd, path, flags);
    int saved = errno;
    if (r == 0 && has_parent) {
        snprintf(line, sizeof line, "U\t%s\n", base);
        record_name(parent, line);
    }
    unlock();
    if (r == 0 && has_parent) count_op();
    errno = saved;
    return r;
}

EXPORT int unlink(const char* path) { return shim_unlink(AT_FDCWD, path, 0, 0); }
EXPORT int unlinkat(int dirfd, const char* path, int flags) { return shim_unlink(dirfd, path, flags, 0); }
EXPORT int rmdir(const char* path) { return shim_unlink(AT_FDCWD, path, AT_REMOVEDIR, 0); }
EXPORT int remove(const char* path) { return shim_unlink(AT_FDCWD, path, 0, 1); }

static int shim_mkdir(int dirfd, const char* path, mode_t mode) {
    if (!active()) return NEXT(mkdirat)(dirfd, path, mode);
    lock();
    int r = NEXT(mkdirat)(dirfd, path, mode);
    int saved = errno;
    char parent[64], base[NAME_MAX + 1], id[64], line[PATH_MAX];
    struct stat st;
    int recorded = r == 0 && parent_of(dirfd, path, parent, base) && fstatat(dirfd, path, &st, 0) == 0;
    if (recorded) {
        new_id(st.st_ino, id);
        empty_file("dir", id);
        snprintf(line, sizeof line, "C\tD\t%s\t%s\n", id, base);
        record_name(parent, line);
    }
    unlock();
    if (recorded) count_op();
    errno = saved;
    return r;
}

EXPORT int mkdir(const char* path, mode_t mode) { return shim_mkdir(AT_FDCWD, path, mode); }
EXPORT int mkdirat(int dirfd, const char* path, mode_t mode) { return shim_mkdir(dirfd, path, mode); }
