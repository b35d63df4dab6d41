// An LD_PRELOAD library that lets a test pull the plug on a process the way
// a power cut would: it records, for every file under $POWERLOSS_DIR, what
// each write changed (the bytes and size it replaced), which writes an
// fsync or fdatasync made durable, and which renames and new files a
// directory fsync made durable. After the process is killed,
// powerloss_undo reads that journal and takes back everything not yet
// durable, as if the page cache had been lost (in the spirit of ALICE,
// CrashMonkey and LazyFS, without a file system of its own).
//
// Environment:
//   POWERLOSS_DIR      the directory whose files are tracked (required)
//   POWERLOSS_JOURNAL  where the journal goes, outside that directory
//   POWERLOSS_DROP_SYNC=1
//                      fsync and fdatasync return success without syncing:
//                      the negative control (a store that never syncs must
//                      lose acknowledged writes)
//   POWERLOSS_FAIL_SYNC_TRIGGER=PATH
//                      while PATH exists, the next fsync/fdatasync of a
//                      tracked regular file fails with EIO, and PATH is
//                      removed (one failure per trigger)
//   POWERLOSS_SYNC_GATE=PATH
//                      while PATH exists, fsync/fdatasync of tracked regular
//                      files wait: written, not yet durable, for as long as
//                      a test wants to look
//   POWERLOSS_SYNC_DELAY_US=N
//                      every tracked fsync/fdatasync takes N µs longer: a
//                      slow disk, so more is unsynced at any moment
//
// Journal entries (little-endian, one write() each): u8 kind, u64 index,
// then per kind (strings as u32 length and bytes):
//   W write:    path, u64 offset, u64 length, u64 size before, old bytes
//   T truncate: path, u64 size before, u64 size after, old tail bytes
//   S sync:     path, u64 up_to (entries before this index on the file)
//   D dir sync: path, u64 up_to (renames and creations in the directory)
//   R rename:   from, to, u8 replaced, old content of `to` when replaced
//   C create:   path
//   U unlink:   path, where the file lives on (a hard link in the journal's
//               graveyard, so an unlink the directory never synced can be
//               taken back; empty when no link could be made)
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <string>

namespace {

using OpenFn = int (*)(const char*, int, ...);
using OpenAtFn = int (*)(int, const char*, int, ...);
using WriteFn = ssize_t (*)(int, const void*, size_t);
using PwriteFn = ssize_t (*)(int, const void*, size_t, off_t);
using WritevFn = ssize_t (*)(int, const struct iovec*, int);
using PwritevFn = ssize_t (*)(int, const struct iovec*, int, off_t);
using SyncFn = int (*)(int);
using CloseFn = int (*)(int);
using RenameFn = int (*)(const char*, const char*);
using RenameAtFn = int (*)(int, const char*, int, const char*);
using UnlinkFn = int (*)(const char*);
using TruncateFn = int (*)(int, off_t);

struct Real {
  OpenFn open, open64;
  OpenAtFn openat, openat64;
  WriteFn write;
  PwriteFn pwrite, pwrite64;
  WritevFn writev;
  PwritevFn pwritev;
  SyncFn fsync, fdatasync;
  CloseFn close;
  RenameFn rename;
  RenameAtFn renameat;
  UnlinkFn unlink;
  TruncateFn ftruncate, ftruncate64;
};

Real real;
pthread_once_t once = PTHREAD_ONCE_INIT;
pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
std::string* root;  // with a trailing '/'
int journal = -1;
uint64_t next_index = 0;
bool drop_sync = false;
std::string* fail_trigger;
std::string* graveyard;  // <journal>.graveyard/
std::string* sync_gate;
useconds_t sync_delay_us = 0;
constexpr int kMaxFd = 1 << 16;
std::string* paths[kMaxFd];  // tracked fds: their file's path

template <typename F>
F Next(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

void Init() {
  real.open = Next<OpenFn>("open");
  real.open64 = Next<OpenFn>("open64");
  real.openat = Next<OpenAtFn>("openat");
  real.openat64 = Next<OpenAtFn>("openat64");
  real.write = Next<WriteFn>("write");
  real.pwrite = Next<PwriteFn>("pwrite");
  real.pwrite64 = Next<PwriteFn>("pwrite64");
  real.writev = Next<WritevFn>("writev");
  real.pwritev = Next<PwritevFn>("pwritev");
  real.fsync = Next<SyncFn>("fsync");
  real.fdatasync = Next<SyncFn>("fdatasync");
  real.close = Next<CloseFn>("close");
  real.rename = Next<RenameFn>("rename");
  real.renameat = Next<RenameAtFn>("renameat");
  real.unlink = Next<UnlinkFn>("unlink");
  real.ftruncate = Next<TruncateFn>("ftruncate");
  real.ftruncate64 = Next<TruncateFn>("ftruncate64");
  const char* dir = getenv("POWERLOSS_DIR");
  const char* path = getenv("POWERLOSS_JOURNAL");
  if (dir == nullptr || path == nullptr) return;
  char resolved[PATH_MAX];
  if (realpath(dir, resolved) == nullptr) return;
  root = new std::string(resolved);
  root->push_back('/');
  journal = real.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  graveyard = new std::string(std::string(path) + ".graveyard/");
  mkdir(graveyard->c_str(), 0755);
  drop_sync = getenv("POWERLOSS_DROP_SYNC") != nullptr;
  if (const char* trigger = getenv("POWERLOSS_FAIL_SYNC_TRIGGER")) fail_trigger = new std::string(trigger);
  if (const char* gate = getenv("POWERLOSS_SYNC_GATE")) sync_gate = new std::string(gate);
  if (const char* delay = getenv("POWERLOSS_SYNC_DELAY_US")) sync_delay_us = static_cast<useconds_t>(atoi(delay));
}

void EnsureInit() { pthread_once(&once, Init); }

bool Tracked(const std::string& path) {
  return root != nullptr && journal >= 0 && path.compare(0, root->size(), *root) == 0;
}

std::string PathOfFd(int fd) {
  char link[64];
  char target[PATH_MAX];
  snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  const ssize_t n = readlink(link, target, sizeof(target) - 1);
  return n > 0 ? std::string(target, static_cast<size_t>(n)) : std::string();
}

// An absolute path for `path` relative to `dirfd`, without resolving a
// final component that may not exist yet.
std::string Absolute(int dirfd, const char* path) {
  if (path[0] == '/') return path;
  std::string base;
  if (dirfd == AT_FDCWD) {
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof(cwd)) == nullptr) return path;
    base = cwd;
  } else {
    base = PathOfFd(dirfd);
  }
  std::string out = base + "/" + path;
  // Normalise the directory part (./data/log/..) through realpath.
  const size_t slash = out.rfind('/');
  char dir[PATH_MAX];
  if (slash != std::string::npos && realpath(out.substr(0, slash).c_str(), dir) != nullptr) {
    out = std::string(dir) + out.substr(slash);
  }
  return out;
}

// Journal building. Callers hold mu.
struct Entry {
  std::string bytes;
  explicit Entry(char kind) {
    bytes.push_back(kind);
    U64(next_index++);
  }
  void U64(uint64_t v) { bytes.append(reinterpret_cast<const char*>(&v), 8); }
  void Str(const std::string& s) {
    const uint32_t n = static_cast<uint32_t>(s.size());
    bytes.append(reinterpret_cast<const char*>(&n), 4);
    bytes.append(s);
  }
  void Raw(const std::string& s) { bytes.append(s); }
  void Emit() {
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = real.write(journal, bytes.data() + done, bytes.size() - done);
      if (n <= 0) abort();  // a journal that lies is worse than none
      done += static_cast<size_t>(n);
    }
  }
};

std::string ReadRange(const std::string& path, uint64_t offset, uint64_t length) {
  std::string out;
  if (length == 0) return out;
  const int fd = real.open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  out.resize(length);
  size_t done = 0;
  while (done < length) {
    const ssize_t n = pread(fd, out.data() + done, length - done, static_cast<off_t>(offset + done));
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  real.close(fd);
  return out;
}

uint64_t SizeOf(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

// Before a write of `length` bytes at `offset` (or at the end, appending).
void JournalWrite(int fd, int64_t offset, uint64_t length) {
  const std::string& path = *paths[fd];
  const uint64_t size = SizeOf(fd);
  if (offset < 0) {
    offset = (fcntl(fd, F_GETFL) & O_APPEND) ? static_cast<int64_t>(size) : lseek(fd, 0, SEEK_CUR);
  }
  const uint64_t at = static_cast<uint64_t>(offset);
  const uint64_t overlap = at < size ? std::min<uint64_t>(length, size - at) : 0;
  Entry e('W');
  e.Str(path);
  e.U64(at);
  e.U64(length);
  e.U64(size);
  e.Str(ReadRange(path, at, overlap));
  e.Emit();
}

void Remember(int fd, const std::string& path, bool created) {
  if (fd < 0 || fd >= kMaxFd) return;
  delete paths[fd];
  paths[fd] = new std::string(path);
  if (created) {
    Entry e('C');
    e.Str(path);
    e.Emit();
  }
}

int AfterOpen(int fd, const std::string& path, bool existed) {
  if (fd < 0 || !Tracked(path)) return fd;
  pthread_mutex_lock(&mu);
  Remember(fd, path, !existed);
  pthread_mutex_unlock(&mu);
  return fd;
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// O_TRUNC of an existing file: its old content, as a truncation.
void BeforeTruncatingOpen(const std::string& path, int flags) {
  if (!(flags & O_TRUNC) || !Tracked(path)) return;
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || st.st_size == 0) return;
  pthread_mutex_lock(&mu);
  Entry e('T');
  e.Str(path);
  e.U64(static_cast<uint64_t>(st.st_size));
  e.U64(0);
  e.Str(ReadRange(path, 0, static_cast<uint64_t>(st.st_size)));
  e.Emit();
  pthread_mutex_unlock(&mu);
}

int DoOpen(int dirfd, const char* path, int flags, mode_t mode, bool at, bool large) {
  EnsureInit();
  const std::string abs = root != nullptr ? Absolute(dirfd, path) : std::string();
  const bool existed = root != nullptr && Tracked(abs) && Exists(abs);
  if (root != nullptr) BeforeTruncatingOpen(abs, flags);
  int fd;
  if (at) {
    fd = (large && real.openat64 ? real.openat64 : real.openat)(dirfd, path, flags, mode);
  } else {
    fd = (large && real.open64 ? real.open64 : real.open)(path, flags, mode);
  }
  if (root == nullptr) return fd;
  return AfterOpen(fd, abs, existed);
}

bool IsTrackedFd(int fd) { return fd >= 0 && fd < kMaxFd && paths[fd] != nullptr; }

int DoSync(int fd, SyncFn fn) {
  EnsureInit();
  if (!IsTrackedFd(fd)) return fn(fd);
  struct stat st;
  const bool dir = fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
  if (!dir && fail_trigger != nullptr && Exists(*fail_trigger)) {
    real.unlink(fail_trigger->c_str());
    errno = EIO;
    return -1;
  }
  if (drop_sync) return 0;
  if (!dir) {
    while (sync_gate != nullptr && Exists(*sync_gate)) usleep(1000);
    if (sync_delay_us > 0) usleep(sync_delay_us);
  }
  pthread_mutex_lock(&mu);
  const uint64_t up_to = next_index;  // everything journaled so far
  const std::string path = *paths[fd];
  pthread_mutex_unlock(&mu);
  const int r = fn(fd);
  if (r != 0) return r;
  pthread_mutex_lock(&mu);
  Entry e(dir ? 'D' : 'S');
  e.Str(path);
  e.U64(up_to);
  e.Emit();
  pthread_mutex_unlock(&mu);
  return r;
}

template <typename Do>
ssize_t TrackedWrite(int fd, int64_t offset, uint64_t length, Do&& write) {
  EnsureInit();
  if (!IsTrackedFd(fd)) return write();
  pthread_mutex_lock(&mu);
  JournalWrite(fd, offset, length);
  const ssize_t n = write();
  pthread_mutex_unlock(&mu);
  return n;
}

uint64_t Total(const struct iovec* iov, int count) {
  uint64_t n = 0;
  for (int i = 0; i < count; ++i) n += iov[i].iov_len;
  return n;
}

int DoTruncate(int fd, off_t length, TruncateFn fn) {
  EnsureInit();
  if (!IsTrackedFd(fd)) return fn(fd, length);
  pthread_mutex_lock(&mu);
  const uint64_t size = SizeOf(fd);
  if (static_cast<uint64_t>(length) != size) {
    Entry e('T');
    e.Str(*paths[fd]);
    e.U64(size);
    e.U64(static_cast<uint64_t>(length));
    e.Str(static_cast<uint64_t>(length) < size
              ? ReadRange(*paths[fd], static_cast<uint64_t>(length), size - static_cast<uint64_t>(length))
              : std::string());
    e.Emit();
  }
  const int r = fn(fd, length);
  pthread_mutex_unlock(&mu);
  return r;
}

}  // namespace

extern "C" {

// The mode argument open() and openat() carry only when creating a file.
#define POWERLOSS_MODE_ARG(flags)                 \
  mode_t mode = 0;                                \
  if ((flags) & (O_CREAT | O_TMPFILE)) {          \
    va_list ap;                                   \
    va_start(ap, flags);                          \
    mode = static_cast<mode_t>(va_arg(ap, int));  \
    va_end(ap);                                   \
  }

int open(const char* path, int flags, ...) {
  POWERLOSS_MODE_ARG(flags);
  return DoOpen(AT_FDCWD, path, flags, mode, false, false);
}

int open64(const char* path, int flags, ...) {
  POWERLOSS_MODE_ARG(flags);
  return DoOpen(AT_FDCWD, path, flags, mode, false, true);
}

int openat(int dirfd, const char* path, int flags, ...) {
  POWERLOSS_MODE_ARG(flags);
  return DoOpen(dirfd, path, flags, mode, true, false);
}

int openat64(int dirfd, const char* path, int flags, ...) {
  POWERLOSS_MODE_ARG(flags);
  return DoOpen(dirfd, path, flags, mode, true, true);
}

ssize_t write(int fd, const void* buf, size_t count) {
  return TrackedWrite(fd, -1, count, [&] { return real.write(fd, buf, count); });
}

ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset) {
  return TrackedWrite(fd, offset, count, [&] { return real.pwrite(fd, buf, count, offset); });
}

ssize_t pwrite64(int fd, const void* buf, size_t count, off_t offset) {
  return TrackedWrite(fd, offset, count, [&] {
    return (real.pwrite64 ? real.pwrite64 : real.pwrite)(fd, buf, count, offset);
  });
}

ssize_t writev(int fd, const struct iovec* iov, int count) {
  return TrackedWrite(fd, -1, Total(iov, count), [&] { return real.writev(fd, iov, count); });
}

ssize_t pwritev(int fd, const struct iovec* iov, int count, off_t offset) {
  return TrackedWrite(fd, offset, Total(iov, count),
                      [&] { return real.pwritev(fd, iov, count, offset); });
}

int fsync(int fd) {
  EnsureInit();
  return DoSync(fd, real.fsync);
}

int fdatasync(int fd) {
  EnsureInit();
  return DoSync(fd, real.fdatasync);
}

int ftruncate(int fd, off_t length) {
  EnsureInit();
  return DoTruncate(fd, length, real.ftruncate);
}

int ftruncate64(int fd, off_t length) {
  EnsureInit();
  return DoTruncate(fd, length, real.ftruncate64 ? real.ftruncate64 : real.ftruncate);
}

int close(int fd) {
  EnsureInit();
  if (IsTrackedFd(fd)) {
    pthread_mutex_lock(&mu);
    delete paths[fd];
    paths[fd] = nullptr;
    pthread_mutex_unlock(&mu);
  }
  return real.close(fd);
}

int rename(const char* from, const char* to) {
  EnsureInit();
  const std::string f = root != nullptr ? Absolute(AT_FDCWD, from) : std::string();
  const std::string t = root != nullptr ? Absolute(AT_FDCWD, to) : std::string();
  if (!Tracked(f) && !Tracked(t)) return real.rename(from, to);
  pthread_mutex_lock(&mu);
  Entry e('R');
  e.Str(f);
  e.Str(t);
  struct stat st;
  const bool replaced = stat(t.c_str(), &st) == 0 && S_ISREG(st.st_mode);
  e.bytes.push_back(replaced ? 1 : 0);
  e.Str(replaced ? ReadRange(t, 0, static_cast<uint64_t>(st.st_size)) : std::string());
  e.Emit();
  const int r = real.rename(from, to);
  if (r == 0) {
    for (int fd = 0; fd < kMaxFd; ++fd) {
      if (paths[fd] != nullptr && *paths[fd] == f) *paths[fd] = t;
    }
  }
  pthread_mutex_unlock(&mu);
  return r;
}

int renameat(int fromfd, const char* from, int tofd, const char* to) {
  EnsureInit();
  if (fromfd == AT_FDCWD && tofd == AT_FDCWD) return rename(from, to);
  return real.renameat(fromfd, from, tofd, to);
}

int unlink(const char* path) {
  EnsureInit();
  const std::string p = root != nullptr ? Absolute(AT_FDCWD, path) : std::string();
  if (!Tracked(p)) return real.unlink(path);
  pthread_mutex_lock(&mu);
  Entry e('U');
  e.Str(p);
  std::string kept = *graveyard + std::to_string(next_index);
  if (link(p.c_str(), kept.c_str()) != 0) kept.clear();
  e.Str(kept);
  e.Emit();
  const int r = real.unlink(path);
  pthread_mutex_unlock(&mu);
  return r;
}

}  // extern "C"
