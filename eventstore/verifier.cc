#include "eventstore/verifier.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "eventstore/merkle_tree.h"
#include "eventstore/record_hash.h"

namespace tripdesk::eventstore {
namespace {

struct ChainHead {
  uint64_t revision = 0;
  std::string hash;
};

VerifyProblem Problem(const Record& r, std::string what) {
  return VerifyProblem{r.position(), r.stream(), r.revision(), std::move(what)};
}

// Checks `r` against the head of its stream so far; updates the head.
std::optional<VerifyProblem> CheckLink(const Record& r, ChainHead* head, bool first) {
  const uint64_t want = first ? 0 : head->revision + 1;
  if (r.revision() != want) {
    return Problem(r, absl::StrCat("revision ", r.revision(), " follows ",
                                   first ? "nothing" : absl::StrCat("revision ", head->revision),
                                   "; revision ", want, " is missing or moved"));
  }
  const std::string& previous = first ? GenesisHash() : head->hash;
  if (ComputeRecordHash(previous, r) != r.hash()) {
    return Problem(r, "hash does not match the record's content and its predecessor: the "
                      "record was altered");
  }
  head->revision = r.revision();
  head->hash = r.hash();
  return std::nullopt;
}

// A problem at `position` the log cannot name itself (a record missing or
// unreadable): the stream index says which stream and revision it was.
absl::StatusOr<VerifyProblem> AtPosition(EventStore& store, uint64_t position, std::string what) {
  VerifyProblem p{position, "", 0, std::move(what)};
  absl::StatusOr<std::optional<DamagedRecord>> indexed = store.FindIndexEntry(position);
  if (!indexed.ok()) return indexed.status();
  if (indexed->has_value()) {
    p.stream = (*indexed)->stream;
    p.revision = (*indexed)->revision.value_or(0);
  }
  return p;
}

// The problem a DATA_LOSS read names: its own record, not the page read.
absl::StatusOr<VerifyProblem> FromDamage(EventStore& store, const absl::Status& status,
                                         uint64_t fallback_position) {
  const std::optional<DamagedRecord> damage = DamageOf(status);
  if (!damage.has_value()) {
    return VerifyProblem{fallback_position, "", 0, std::string(status.message())};
  }
  if (damage->stream.empty()) {
    return AtPosition(store, damage->position, std::string(status.message()));
  }
  return VerifyProblem{damage->position, damage->stream, damage->revision.value_or(0),
                       std::string(status.message())};
}

}  // namespace

absl::StatusOr<VerifyReport> VerifyLog(EventStore& store, const VerifyProgress& progress,
                                       uint64_t every) {
  VerifyReport report;
  report.total = store.LastPosition();
  absl::flat_hash_map<std::string, ChainHead> heads;
  std::unique_ptr<LogIterator> it = store.ScanAll(1);
  uint64_t expected = 1;
  while (expected <= report.total) {
    absl::StatusOr<std::optional<Record>> next = it->Next();
    if (!next.ok()) {
      if (next.status().code() != absl::StatusCode::kDataLoss) return next.status();
      absl::StatusOr<VerifyProblem> problem = FromDamage(store, next.status(), expected);
      if (!problem.ok()) return problem.status();
      report.problem = *std::move(problem);
      return report;
    }
    if (!next->has_value()) break;
    const Record& r = **next;
    if (r.position() != expected) {
      absl::StatusOr<VerifyProblem> problem = AtPosition(
          store, expected,
          absl::StrCat("position ", expected, " is missing: the log jumps to ", r.position()));
      if (!problem.ok()) return problem.status();
      report.problem = *std::move(problem);
      return report;
    }
    auto [head, first] = heads.try_emplace(r.stream());
    if (std::optional<VerifyProblem> p = CheckLink(r, &head->second, first)) {
      report.problem = std::move(p);
      return report;
    }
    // The chain can be recomputed by whoever edits a record; the tree's leaf
    // is what the signed heads commit to.
    absl::StatusOr<std::string> leaf = store.TreeLeaf(r.position());
    if (!leaf.ok() || *leaf != merkle::LeafHash(r.hash())) {
      report.problem = Problem(
          r, leaf.ok() ? "the log's Merkle tree holds another leaf for this record: the record "
                         "was changed after it was written (or the tree was)"
                       : std::string(leaf.status().message()));
      return report;
    }
    ++report.records_checked;
    report.reached = expected++;
    if (every > 0 && report.records_checked % every == 0 && progress && !progress(report)) {
      return report;
    }
  }
  if (expected <= report.total) {
    absl::StatusOr<VerifyProblem> problem =
        AtPosition(store, expected,
                   absl::StrCat("positions ", expected, " to ", report.total,
                                " are missing from the end of the log"));
    if (!problem.ok()) return problem.status();
    report.problem = *std::move(problem);
    return report;
  }
  // Each stream's index must end at its last record: this catches a record
  // removed from the end of a stream, or an index pointing elsewhere.
  for (const auto& [stream, head] : heads) {
    absl::StatusOr<StreamHead> indexed = store.GetIndexedStreamHead(stream);
    if (!indexed.ok() || indexed->revision != head.revision || indexed->hash != head.hash) {
      report.problem = VerifyProblem{
          indexed.ok() ? indexed->position : 0, stream,
          indexed.ok() ? indexed->revision : head.revision,
          absl::StrCat("the stream index disagrees with the log: the log's last record is "
                       "revision ", head.revision,
                       indexed.ok() ? absl::StrCat(", the index says ", indexed->revision)
                                    : absl::StrCat(", the index: ", indexed.status().message()))};
      return report;
    }
  }
  return report;
}

absl::StatusOr<VerifyReport> VerifyStream(EventStore& store, absl::string_view stream) {
  absl::StatusOr<StreamHead> indexed = store.GetIndexedStreamHead(stream);
  if (!indexed.ok()) return indexed.status();
  VerifyReport report;
  report.total = indexed->revision + 1;
  ChainHead head;
  uint64_t last_position = 0;
  for (uint64_t from = 0;;) {
    absl::StatusOr<std::vector<Record>> page = store.ReadStream(stream, from, 1000);
    if (!page.ok()) {
      if (page.status().code() != absl::StatusCode::kDataLoss) return page.status();
      absl::StatusOr<VerifyProblem> problem = FromDamage(store, page.status(), 0);
      if (!problem.ok()) return problem.status();
      report.problem = *std::move(problem);
      if (report.problem->stream.empty()) {
        report.problem->stream = std::string(stream);
        report.problem->revision = from;
      }
      return report;
    }
    for (const Record& r : *page) {
      if (std::optional<VerifyProblem> p = CheckLink(r, &head, report.records_checked == 0)) {
        report.problem = std::move(p);
        return report;
      }
      if (r.position() <= last_position) {
        report.problem = Problem(r, "positions of the stream do not increase");
        return report;
      }
      last_position = r.position();
      ++report.records_checked;
      report.reached = r.revision();
    }
    if (page->size() < 1000) break;
    from = page->back().revision() + 1;
  }
  if (report.records_checked != report.total || head.hash != indexed->hash) {
    report.problem = VerifyProblem{indexed->position, std::string(stream), indexed->revision,
                                   "the stream index disagrees with the records it points to"};
  }
  return report;
}

}  // namespace tripdesk::eventstore
