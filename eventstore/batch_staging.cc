#include "eventstore/batch_staging.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "eventstore/keys.h"
#include "eventstore/record_hash.h"

namespace tripdesk::eventstore {
namespace {

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t micros = absl::ToUnixMicros(t);
  ts.set_seconds(micros / 1000000);
  ts.set_nanos(static_cast<int32_t>((micros % 1000000) * 1000));
  return ts;
}

absl::Status CheckExpected(const StreamAppend& sa, const std::optional<StreamHead>& head) {
  const ExpectedRevision& want = sa.expected;
  bool ok = true;
  switch (want.kind()) {
    case ExpectedRevision::Kind::kAny:
      break;
    case ExpectedRevision::Kind::kNoStream:
      ok = !head.has_value();
      break;
    case ExpectedRevision::Kind::kStreamExists:
      ok = head.has_value();
      break;
    case ExpectedRevision::Kind::kExact:
      ok = head.has_value() && head->revision == want.revision();
      break;
  }
  if (ok) return absl::OkStatus();
  const std::string actual =
      head.has_value() ? absl::StrCat("revision ", head->revision) : "no stream";
  return absl::AbortedError(absl::StrFormat(
      "stream '%s': expected %s but it is at %s; re-read the stream and retry", sa.stream,
      want.ToString(), actual));
}

// Whether `req` may be answered with the outcome of the command first
// stored under its id with `stored` as fingerprint.
bool SameCommand(const AppendRequest& req, const std::string& stored) {
  return req.command_fingerprint.empty() || stored.empty() ||
         req.command_fingerprint == stored;
}

absl::Status ReusedCommandId(const std::string& command_id) {
  return absl::AlreadyExistsError(absl::StrCat(
      "command_id: '", command_id,
      "' was already used for another command; a retry repeats the same command as the same "
      "caller. Choose a new id for a new command"));
}

}  // namespace

const StreamHead* HeadCache::Find(const std::string& stream) {
  auto it = index_.find(stream);
  if (it == index_.end()) return nullptr;
  entries_.splice(entries_.begin(), entries_, it->second);
  return &it->second->second;
}

void HeadCache::Put(const std::string& stream, StreamHead head) {
  if (capacity_ == 0) return;
  auto it = index_.find(stream);
  if (it != index_.end()) {
    it->second->second = std::move(head);
    entries_.splice(entries_.begin(), entries_, it->second);
    return;
  }
  entries_.emplace_front(stream, std::move(head));
  index_.emplace(stream, entries_.begin());
  if (entries_.size() > capacity_) {
    index_.erase(entries_.back().first);
    entries_.pop_back();
  }
}

void HeadCache::Clear() {
  index_.clear();
  entries_.clear();
}

uint64_t BatchStager::Stage(absl::Span<const AppendRequest* const> requests,
                            uint64_t next_position, absl::Time wall, StagingSource& source,
                            StagingSink& sink) {
  staged_heads_.clear();
  staged_commands_.clear();
  results_.assign(requests.size(), absl::UnknownError("not decided"));
  duplicate_of_.assign(requests.size(), -1);
  written_.assign(requests.size(), false);

  uint64_t next = next_position;
  staged_tree_ = tree_;
  const google::protobuf::Timestamp now = ToTimestamp(options_.clock ? options_.clock() : wall);
  for (size_t i = 0; i < requests.size(); ++i) {
    const AppendRequest& req = *requests[i];
    if (wall >= req.deadline) {
      results_[i] = absl::DeadlineExceededError(
          "the append's deadline passed while it waited to be written; nothing was written");
      continue;
    }
    if (std::optional<absl::StatusOr<AppendOutcome>> answered = Repeated(requests, i, source)) {
      results_[i] = *std::move(answered);
      continue;
    }
    if (duplicate_of_[i] >= 0) continue;

    // Check every stream before staging any, so a conflict writes nothing.
    std::vector<Head> heads;
    heads.reserve(req.streams.size());
    absl::Status check;
    for (const StreamAppend& sa : req.streams) {
      absl::StatusOr<Head> head = LookupHead(sa.stream, source);
      if (!head.ok()) {
        check = head.status();
        break;
      }
      check = CheckExpected(sa, *head);
      if (!check.ok()) break;
      heads.push_back(*std::move(head));
    }
    if (!check.ok()) {
      results_[i] = check;
      continue;
    }
    results_[i] = StageAccepted(req, heads, next, now, sink);
    if (!req.command_id.empty()) staged_commands_.emplace(req.command_id, i);
    written_[i] = true;
  }
  return next;
}

std::optional<absl::StatusOr<AppendOutcome>> BatchStager::Repeated(
    absl::Span<const AppendRequest* const> requests, size_t i, StagingSource& source) {
  const AppendRequest& req = *requests[i];
  if (req.command_id.empty()) return std::nullopt;
  if (auto it = staged_commands_.find(req.command_id); it != staged_commands_.end()) {
    if (!SameCommand(req, requests[it->second]->command_fingerprint)) {
      return ReusedCommandId(req.command_id);
    }
    duplicate_of_[i] = static_cast<int>(it->second);
    return std::nullopt;
  }
  absl::StatusOr<std::optional<std::string>> stored = source.StoredCommand(req.command_id);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) return std::nullopt;
  AppendOutcome outcome;
  if (!outcome.ParseFromString(**stored)) {
    return absl::DataLossError(
        absl::StrCat("stored outcome of command '", req.command_id, "' does not decode"));
  }
  if (!SameCommand(req, outcome.command_fingerprint())) return ReusedCommandId(req.command_id);
  outcome.set_duplicate(true);
  return outcome;
}

AppendOutcome BatchStager::StageAccepted(const AppendRequest& req,
                                         const std::vector<Head>& heads, uint64_t& next,
                                         const google::protobuf::Timestamp& now,
                                         StagingSink& sink) {
  AppendOutcome outcome;
  outcome.set_first_position(next);
  *outcome.mutable_recorded_at() = now;
  for (size_t k = 0; k < req.streams.size(); ++k) {
    const StreamAppend& sa = req.streams[k];
    const Head& head = heads[k];
    uint64_t revision = head.has_value() ? head->revision + 1 : 0;
    std::string previous = head.has_value() ? head->hash : GenesisHash();
    v1::StreamAppendResult* sr = outcome.add_streams();
    sr->set_stream(sa.stream);
    sr->set_first_revision(revision);
    sr->set_first_position(next);
    for (const EventData& event : sa.events) {
      record_.Clear();
      record_.set_position(next);
      record_.set_stream(sa.stream);
      record_.set_revision(revision);
      record_.set_event_type(event.event_type);
      record_.set_payload(event.payload);
      *record_.mutable_recorded_at() = now;
      record_.set_actor_id(req.actor.id);
      record_.set_actor_role(req.actor.role);
      record_.set_command_id(req.command_id);
      record_.set_correlation_id(req.correlation_id);
      record_.set_partition(options_.partition);
      std::string hash = ComputeRecordHash(previous, record_);
      record_.set_hash(hash);
      record_.SerializeToString(&value_buffer_);
      sink.PutRecord(next, value_buffer_);
      std::string index_value = keys::EncodeU64(next);
      index_value.append(hash);
      sink.PutIndex(sa.stream, revision, index_value);
      staged_tree_.Append(merkle::LeafHash(hash),
                          [&](int level, uint64_t index, const std::string& node) {
                            sink.PutTreeNode(level, index, node);
                          });
      previous = std::move(hash);
      ++revision;
      ++next;
    }
    sr->set_last_revision(revision - 1);
    sr->set_last_position(next - 1);
    staged_heads_[sa.stream] = StreamHead{revision - 1, next - 1, std::move(previous)};
  }
  outcome.set_last_position(next - 1);
  if (!req.command_fingerprint.empty()) {
    outcome.set_command_fingerprint(req.command_fingerprint);
  }
  if (!req.command_id.empty()) sink.PutCommand(req.command_id, outcome.SerializeAsString());
  return outcome;
}

absl::StatusOr<BatchStager::Head> BatchStager::LookupHead(const std::string& stream,
                                                          StagingSource& source) {
  if (auto it = staged_heads_.find(stream); it != staged_heads_.end()) {
    return Head(it->second);
  }
  if (const StreamHead* cached = heads_.Find(stream)) return Head(*cached);
  absl::StatusOr<std::optional<StreamHead>> stored = source.StoredHead(stream);
  if (!stored.ok()) return stored.status();
  if (stored->has_value()) heads_.Put(stream, **stored);
  return *stored;
}

void BatchStager::Committed() {
  for (auto& [stream, head] : staged_heads_) heads_.Put(stream, head);
  tree_ = std::move(staged_tree_);
}

void BatchStager::WriteFailed(const absl::Status& failure) {
  for (size_t i = 0; i < results_.size(); ++i) {
    if (written_[i]) results_[i] = failure;
  }
  heads_.Clear();
}

std::vector<absl::StatusOr<AppendOutcome>> BatchStager::TakeResults() {
  // Duplicates copy their original's result before it is moved.
  for (size_t i = 0; i < results_.size(); ++i) {
    if (duplicate_of_[i] < 0) continue;
    results_[i] = results_[duplicate_of_[i]];
    if (results_[i].ok()) results_[i]->set_duplicate(true);
  }
  return std::move(results_);
}

}  // namespace tripdesk::eventstore
