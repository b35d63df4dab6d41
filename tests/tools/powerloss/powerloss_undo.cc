// powerloss_undo JOURNAL [SEED]: the power cut, after the fact. Reads the
// journal powerloss_shim wrote for a killed process and takes back, newest
// first, every change no fsync made durable: file contents written since
// their file's last fsync/fdatasync, truncations, and renames, new files and
// unlinks whose directory was not fsynced after (an unlinked file comes back
// from the hard link the shim kept).
//
// Without SEED nothing unsynced survives (the strictest outcome). With a
// SEED, each file made only of appends keeps a random prefix of its unsynced
// appends, the next one torn at a random byte: what a disk that got part of
// the page cache out before the cut leaves behind.
//
// Prints what it took back. Exit 0, or 2 when the journal cannot be read.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace {

struct Change {
  char kind = 0;  // W, T, C, R, U
  uint64_t index = 0;
  std::string path;  // where the file is now (the rename's target for R)
  std::string from;  // R: where it came from; U: where it lives on
  uint64_t offset = 0, length = 0, size_before = 0, size_after = 0;
  std::string old;  // W: bytes replaced; T: tail cut; R: the replaced target
  bool replaced = false;
  bool dropped = false;
};

class Reader {
 public:
  explicit Reader(std::string data) : data_(std::move(data)) {}
  bool done() const { return at_ >= data_.size(); }
  bool U8(char* v) {
    if (at_ + 1 > data_.size()) return false;
    *v = data_[at_++];
    return true;
  }
  bool U64(uint64_t* v) {
    if (at_ + 8 > data_.size()) return false;
    std::memcpy(v, data_.data() + at_, 8);
    at_ += 8;
    return true;
  }
  bool Str(std::string* s) {
    uint32_t n = 0;
    if (at_ + 4 > data_.size()) return false;
    std::memcpy(&n, data_.data() + at_, 4);
    at_ += 4;
    if (at_ + n > data_.size()) return false;
    s->assign(data_, at_, n);
    at_ += n;
    return true;
  }

 private:
  std::string data_;
  size_t at_ = 0;
};

std::string Parent(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

uint64_t SizeOf(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

bool WriteAt(const std::string& path, uint64_t offset, const std::string& bytes) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = pwrite(fd, bytes.data() + done, bytes.size() - done,
                             static_cast<off_t>(offset + done));
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  close(fd);
  return done == bytes.size();
}

void Resize(const std::string& path, uint64_t size) {
  if (truncate(path.c_str(), static_cast<off_t>(size)) != 0) {
    std::cerr << "powerloss_undo: cannot truncate " << path << ": " << std::strerror(errno) << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: powerloss_undo JOURNAL [SEED]\n";
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::cerr << "powerloss_undo: cannot read " << argv[1] << "\n";
    return 2;
  }
  Reader r{std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>())};
  const bool keep_some = argc >= 3;
  std::mt19937_64 random(keep_some ? std::stoull(argv[2]) : 0);

  std::vector<Change> pending;
  uint64_t entries = 0;
  auto drop_at = [&](const std::string& path, uint64_t before, bool data_only) {
    for (Change& c : pending) {
      if (c.dropped || c.index >= before || c.path != path) continue;
      if (data_only && c.kind != 'W' && c.kind != 'T') continue;
      c.dropped = true;
    }
  };
  while (!r.done()) {
    Change c;
    std::string path;
    // A final entry cut short by the kill is ignored.
    if (!r.U8(&c.kind) || !r.U64(&c.index) || !r.Str(&path)) break;
    c.path = path;
    bool ok = true;
    switch (c.kind) {
      case 'W':
        ok = r.U64(&c.offset) && r.U64(&c.length) && r.U64(&c.size_before) && r.Str(&c.old);
        if (ok) pending.push_back(c);
        break;
      case 'T':
        ok = r.U64(&c.size_before) && r.U64(&c.size_after) && r.Str(&c.old);
        if (ok) pending.push_back(c);
        break;
      case 'C':
        pending.push_back(c);
        break;
      case 'U':
        ok = r.Str(&c.from);
        if (!ok) break;
        // What was pending on the file follows it to where it lives on (or
        // goes with it when no link was kept).
        for (Change& p : pending) {
          if (p.dropped || p.path != path) continue;
          if (c.from.empty()) {
            p.dropped = true;
          } else {
            p.path = c.from;
          }
        }
        if (!c.from.empty()) pending.push_back(c);
        break;
      case 'R': {
        char replaced = 0;
        c.from = path;
        ok = r.Str(&c.path) && r.U8(&replaced) && r.Str(&c.old);
        c.replaced = replaced != 0;
        if (!ok) break;
        // The replaced file is gone (its content is kept with the rename);
        // what was pending on the moved file now sits at the target.
        for (Change& p : pending) {
          if (!p.dropped && p.path == c.path) p.dropped = true;
        }
        for (Change& p : pending) {
          if (!p.dropped && p.path == c.from) p.path = c.path;
        }
        pending.push_back(c);
        break;
      }
      case 'S': {
        uint64_t up_to = 0;
        ok = r.U64(&up_to);
        if (ok) drop_at(path, up_to, /*data_only=*/true);
        break;
      }
      case 'D': {
        uint64_t up_to = 0;
        ok = r.U64(&up_to);
        if (!ok) break;
        for (Change& p : pending) {
          if (p.dropped || p.index >= up_to) continue;
          if ((p.kind == 'C' || p.kind == 'R' || p.kind == 'U') && Parent(p.path) == path) {
            p.dropped = true;
          }
        }
        break;
      }
      default:
        std::cerr << "powerloss_undo: unknown entry '" << c.kind << "' at entry " << entries << "\n";
        return 2;
    }
    if (!ok) break;
    ++entries;
  }

  // With a seed: per file of appends only, which unsynced appends got out.
  std::map<std::string, std::vector<Change*>> appends;
  std::map<std::string, bool> overwritten;
  for (Change& c : pending) {
    if (c.dropped || c.kind != 'W') continue;
    if (c.old.empty() && c.offset >= c.size_before) {
      appends[c.path].push_back(&c);
    } else {
      overwritten[c.path] = true;
    }
  }
  uint64_t kept = 0;
  std::map<const Change*, uint64_t> torn;  // a kept prefix of one append
  if (keep_some) {
    for (auto& [path, list] : appends) {
      if (overwritten.count(path) > 0) continue;
      const size_t keep = std::uniform_int_distribution<size_t>(0, list.size())(random);
      for (size_t i = 0; i < keep; ++i) list[i]->dropped = true;
      kept += keep;
      if (keep < list.size() && list[keep]->length > 0) {
        torn[list[keep]] = std::uniform_int_distribution<uint64_t>(0, list[keep]->length - 1)(random);
      }
    }
  }

  uint64_t writes = 0, bytes = 0, renames = 0, creations = 0, truncations = 0, unlinks = 0;
  for (auto it = pending.rbegin(); it != pending.rend(); ++it) {
    Change& c = *it;
    if (c.dropped) continue;
    switch (c.kind) {
      case 'W': {
        ++writes;
        bytes += c.length;
        auto t = torn.find(&c);
        if (t != torn.end()) {
          Resize(c.path, c.offset + t->second);  // a torn tail of the append
          break;
        }
        if (!c.old.empty() && !WriteAt(c.path, c.offset, c.old)) {
          std::cerr << "powerloss_undo: cannot restore " << c.path << "\n";
        }
        if (SizeOf(c.path) > c.size_before) Resize(c.path, c.size_before);
        break;
      }
      case 'T':
        ++truncations;
        if (c.size_after < c.size_before) {
          Resize(c.path, c.size_before);
          if (!WriteAt(c.path, c.size_after, c.old)) std::cerr << "powerloss_undo: cannot restore " << c.path << "\n";
        } else {
          Resize(c.path, c.size_before);
        }
        break;
      case 'C':
        ++creations;
        if (unlink(c.path.c_str()) != 0 && errno != ENOENT) {
          std::cerr << "powerloss_undo: cannot remove " << c.path << ": " << std::strerror(errno) << "\n";
        }
        break;
      case 'R':
        ++renames;
        if (std::rename(c.path.c_str(), c.from.c_str()) != 0) {
          std::cerr << "powerloss_undo: cannot rename " << c.path << " back: " << std::strerror(errno) << "\n";
        }
        if (c.replaced && !WriteAt(c.path, 0, c.old)) std::cerr << "powerloss_undo: cannot restore " << c.path << "\n";
        // Earlier changes to the moved file sit at its old name again.
        for (auto earlier = std::next(it); earlier != pending.rend(); ++earlier) {
          if (!earlier->dropped && earlier->path == c.path) earlier->path = c.from;
        }
        break;
      case 'U':
        ++unlinks;
        if (link(c.from.c_str(), c.path.c_str()) != 0) {
          std::cerr << "powerloss_undo: cannot bring back " << c.path << ": " << std::strerror(errno) << "\n";
        }
        for (auto earlier = std::next(it); earlier != pending.rend(); ++earlier) {
          if (!earlier->dropped && earlier->path == c.from) earlier->path = c.path;
        }
        break;
      default:
        break;
    }
  }
  std::cout << "power cut after " << entries << " journal entries: took back " << writes
            << " unsynced writes (" << bytes << " bytes), " << truncations << " truncations, "
            << renames << " renames, " << creations << " new files, " << unlinks << " unlinks";
  if (keep_some) std::cout << "; kept " << kept << " unsynced appends and " << torn.size() << " torn ones (seed " << argv[2] << ")";
  std::cout << "\n";
  return 0;
}
