// ViewStore: the RocksDB database the projections keep their rows in, one
// column family per kind of row, apart from the event log (views can always
// be dropped and rebuilt from the log). ViewTxn gathers one batch of changes
// with read-your-own-writes, so a projection's rows and its checkpoint land
// in one WriteBatch.
//
// ViewStore is thread-safe; a ViewTxn belongs to one thread.
#ifndef TRIPDESK_PROJECTIONS_VIEW_STORE_H_
#define TRIPDESK_PROJECTIONS_VIEW_STORE_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tripdesk::projections {

class ViewStore {
 public:
  // Opens (creating) the database at `path` with these column families.
  static absl::StatusOr<std::unique_ptr<ViewStore>> Open(const std::string& path,
                                                         const std::vector<std::string>& families);
  virtual ~ViewStore() = default;

  virtual absl::StatusOr<std::optional<std::string>> Get(absl::string_view family,
                                                         absl::string_view key) const = 0;
  // Keys >= `start` that begin with `prefix`, in order, until `visit`
  // returns false.
  virtual absl::Status Scan(
      absl::string_view family, absl::string_view prefix, absl::string_view start,
      const std::function<bool(absl::string_view key, absl::string_view value)>& visit) const = 0;

  struct Change {
    std::string family;
    std::string key;
    std::optional<std::string> value;  // nullopt deletes
  };
  // Applies the changes atomically (not fsync'd: views are rebuilt from the
  // log, which is).
  virtual absl::Status Write(const std::vector<Change>& changes) = 0;
  // Removes every row of a family.
  virtual absl::Status Clear(absl::string_view family) = 0;
  // Persists everything written so far (writes skip the WAL: a crash
  // loses unflushed batches whole, which the runner re-applies).
  virtual absl::Status Flush() = 0;
  // After a failed write (e.g. a full disk), asks RocksDB to take writes
  // again; fails while the cause remains.
  virtual absl::Status Resume() = 0;
  // Creates a family if it does not exist yet.
  virtual absl::Status CreateFamily(absl::string_view family) = 0;
  // Drops a family and its rows (they stay readable until the store closes).
  virtual absl::Status DropFamily(absl::string_view family) = 0;
  virtual bool HasFamily(absl::string_view family) const = 0;
};

class ViewTxn {
 public:
  explicit ViewTxn(ViewStore* store) : store_(store) {}

  // Appended to every family name from now on: a projection writes base
  // names ("case_state"), the store holds them per version ("case_state@v2").
  void set_family_suffix(std::string suffix) { suffix_ = std::move(suffix); }

  absl::StatusOr<std::optional<std::string>> Get(absl::string_view family, absl::string_view key);
  void Put(absl::string_view family, absl::string_view key, std::string value);
  void Delete(absl::string_view family, absl::string_view key);
  bool empty() const { return changes_.empty(); }
  absl::Status Commit();

 private:
  using Key = std::pair<std::string, std::string>;
  ViewStore* store_;
  std::string suffix_;
  std::map<Key, std::optional<std::string>> changes_;
};

}  // namespace tripdesk::projections

#endif  // TRIPDESK_PROJECTIONS_VIEW_STORE_H_
