#include "eventstore/verifier.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
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
      report.problem = VerifyProblem{expected, "", 0, std::string(next.status().message())};
      return report;
    }
    if (!next->has_value()) break;
    const Record& r = **next;
    if (r.position() != expected) {
      report.problem = VerifyProblem{expected, "", 0,
                                     absl::StrCat("position ", expected, " is missing: the log "
                                                  "jumps to ", r.position())};
      return report;
    }
    auto [head, first] = heads.try_emplace(r.stream());
    if (std::optional<VerifyProblem> p = CheckLink(r, &head->second, first)) {
      report.problem = std::move(p);
      return report;
    }
    ++report.records_checked;
    report.reached = expected++;
    if (every > 0 && report.records_checked % every == 0 && progress && !progress(report)) {
      return report;
    }
  }
  if (expected <= report.total) {
    report.problem = VerifyProblem{expected, "", 0,
                                   absl::StrCat("positions ", expected, " to ", report.total,
                                                " are missing from the end of the log")};
    return report;
  }
  // Each stream's index must end at its last record: this catches a record
  // removed from the end of a stream, or an index pointing elsewhere.
  for (const auto& [stream, head] : heads) {
    absl::StatusOr<StreamHead> indexed = store.GetIndexedStreamHead(stream);
    if (!indexed.ok() || indexed->revision != head.revision || indexed->hash != head.hash) {
      report.problem = VerifyProblem{
          indexed.ok() ? indexed->position : 0, stream, head.revision,
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
      report.problem = VerifyProblem{0, std::string(stream), from, std::string(page.status().message())};
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
