#include "services/command_runner.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <openssl/sha.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/case_reader.h"
#include "workflows/field_rules.h"
#include "workflows/validation.h"

namespace tripdesk::services {

std::string CommandFingerprint(const v1::CaseCommand& command, absl::string_view subject) {
  std::string bytes = "tripdesk-command-v1";
  bytes.push_back('\0');
  bytes.append(subject.data(), subject.size());
  bytes.push_back('\0');
  {
    google::protobuf::io::StringOutputStream out(&bytes);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.SetSerializationDeterministic(true);
    command.SerializeToCodedStream(&coded);
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

absl::StatusOr<v1::CaseState> CommandRunner::Load(absl::string_view case_id,
                                                  std::optional<uint64_t> max_revision) const {
  if (!max_revision.has_value()) return FoldCase(*store_, registry_, case_id);
  return FoldCase(*store_, registry_, case_id, [&](const eventstore::Record& record) {
    return record.revision() > *max_revision;
  });
}

absl::StatusOr<CommandRunner::Loaded> CommandRunner::Current(const std::string& case_id,
                                                            bool verify) {
  Loaded loaded;
  std::shared_ptr<const v1::CaseState> cached = cache_.Get(case_id);
  if (cached != nullptr && !verify) {
    loaded.state = std::make_shared<v1::CaseState>(*cached);
    return loaded;
  }
  loaded.state = cached != nullptr ? std::make_shared<v1::CaseState>(*cached)
                                   : std::make_shared<v1::CaseState>();
  loaded.state->set_case_id(case_id);
  if (absl::Status s = CatchUpCase(*store_, registry_, *loaded.state); !s.ok()) return s;
  loaded.verified = true;
  cache_.Put(std::make_shared<const v1::CaseState>(*loaded.state));
  return loaded;
}

absl::StatusOr<v1::SharedState> CommandRunner::CurrentShared(const std::string& stream) {
  v1::SharedState state;
  if (std::shared_ptr<const v1::SharedState> cached = shared_cache_.Get(stream)) {
    state = *cached;
  } else {
    state.set_stream(stream);
  }
  if (absl::Status s = CatchUpShared(*store_, registry_, state); !s.ok()) return s;
  shared_cache_.Put(std::make_shared<const v1::SharedState>(state));
  return state;
}

absl::StatusOr<v1::SharedState> CommandRunner::LoadShared(const std::string& stream) const {
  v1::SharedState state;
  state.set_stream(stream);
  if (absl::Status s = CatchUpShared(*store_, registry_, state); !s.ok()) return s;
  return state;
}

void CommandRunner::Execute(CaseCommandRequest request, Done done) {
  // Every field of every command, before anything is decided (see
  // workflows/field_rules.h): nothing malformed reaches a decider or the log.
  if (absl::Status s = workflows::FirstError({
          workflows::CheckCaseId(request.case_id),
          workflows::CheckRequestId("command_id", request.command_id),
          workflows::CheckRequestId("correlation_id", request.correlation_id),
          workflows::CheckCommandFields(request.command),
      });
      !s.ok()) {
    done(s);
    return;
  }
  if (!registry_.Knows(request.command)) {
    done(absl::InvalidArgumentError("command: no workflow command is set"));
    return;
  }
  if (!request.command_id.empty()) {
    request.fingerprint = CommandFingerprint(request.command, request.actor.id);
  }
  Attempt(std::make_shared<CaseCommandRequest>(std::move(request)), 1, /*verify=*/false,
          std::move(done));
}

void CommandRunner::AnswerUnwritten(std::shared_ptr<CaseCommandRequest> request, int attempt,
                                    bool verified, absl::StatusOr<CaseCommandResult> answer,
                                    Done done) {
  if (!verified) {
    Attempt(std::move(request), attempt, /*verify=*/true, std::move(done));
    return;
  }
  // A retry of a committed command answers with the case as the first
  // attempt left it, whatever deciding again says now.
  if (!request->command_id.empty()) {
    absl::StatusOr<std::optional<eventstore::AppendOutcome>> first =
        store_->FindCommand(request->command_id);
    if (!first.ok()) {
      done(first.status());
      return;
    }
    if (first->has_value()) {
      AnswerStored(*request, **first, done);
      return;
    }
  }
  done(std::move(answer));
}

void CommandRunner::AnswerStored(const CaseCommandRequest& request,
                                 const eventstore::AppendOutcome& outcome,
                                 const Done& done) const {
  // The id was used for another command (or by another caller): say so
  // without a word of what that command was or did.
  if (!outcome.command_fingerprint().empty() && outcome.command_fingerprint() != request.fingerprint) {
    done(absl::AlreadyExistsError(absl::StrCat(
        "command_id: '", request.command_id,
        "' was already used for another command; a retry repeats the same command as the same "
        "caller. Choose a new id for a new command")));
    return;
  }
  const std::string stream = workflows::CaseStream(request.case_id);
  if (outcome.streams_size() == 0 || outcome.streams(0).stream() != stream) {
    done(absl::AlreadyExistsError(absl::StrCat(
        "command_id: '", request.command_id, "' was already used for ",
        outcome.streams_size() > 0 ? outcome.streams(0).stream() : "another append",
        "; choose a new id for a new command")));
    return;
  }
  absl::StatusOr<v1::CaseState> state = Load(request.case_id, outcome.streams(0).last_revision());
  if (!state.ok()) {
    done(state.status());
    return;
  }
  eventstore::AppendOutcome first = outcome;
  first.set_duplicate(true);
  done(CaseCommandResult{std::make_shared<const v1::CaseState>(*std::move(state)), first, {}});
}

void CommandRunner::Attempt(std::shared_ptr<CaseCommandRequest> request, int attempt, bool verify,
                            Done done) {
  absl::StatusOr<Loaded> loaded = Current(request->case_id, verify);
  if (!loaded.ok()) {
    done(loaded.status());
    return;
  }
  const bool verified = loaded->verified;
  std::shared_ptr<v1::CaseState> state = std::move(loaded->state);
  auto refuse = [&](absl::Status status) {
    AnswerUnwritten(request, attempt, verified, std::move(status), done);
  };
  if (request->open && state->exists()) {
    refuse(absl::AlreadyExistsError(absl::StrCat("case ", request->case_id, " already exists")));
    return;
  }
  if (!request->open && !state->exists()) {
    refuse(absl::NotFoundError(absl::StrCat("case ", request->case_id,
                                            " does not exist; open it with OpenCase")));
    return;
  }
  if (request->expected_revision.has_value() && state->revision() != *request->expected_revision) {
    refuse(absl::AbortedError(absl::StrCat("case ", request->case_id, " is at revision ",
                                           state->revision(), ", not the expected ",
                                           *request->expected_revision, "; re-read it and retry")));
    return;
  }
  workflows::DecisionContext context{clock_->Now(), request->actor, reference_.get(), {}};
  // Folds the shared streams named into the context (once each).
  auto read_shared = [&](const std::vector<std::string>& names) {
    for (const std::string& name : names) {
      if (context.Shared(name) != nullptr) continue;
      absl::StatusOr<v1::SharedState> shared = CurrentShared(name);
      if (!shared.ok()) {
        done(shared.status());
        return false;
      }
      context.shared.push_back(*std::move(shared));
    }
    return true;
  };
  if (!read_shared(registry_.SharedStreams(request->command, *state, context))) return;
  const absl::Time deciding = absl::Now();
  absl::StatusOr<std::vector<v1::CaseEvent>> events =
      registry_.Decide(request->command, *state, context);
  if (metrics_ != nullptr) metrics_->Decided(absl::Now() - deciding);
  if (!events.ok()) {
    refuse(events.status());
    return;
  }
  if (events->empty()) {  // already satisfied: nothing to write
    eventstore::AppendOutcome outcome;
    outcome.set_first_position(state->last_position());
    outcome.set_last_position(state->last_position());
    AnswerUnwritten(request, attempt, verified, CaseCommandResult{state, outcome, {}}, done);
    return;
  }
  // Unique references the events claim or release: read their streams, so
  // the claim is refused naming the holder, or guarded in the same batch.
  const workflows::WorkflowRegistry::ReferencePlan plan = registry_.PlanReferences(*state, *events);
  if (!read_shared(plan.Streams())) return;
  absl::StatusOr<std::vector<workflows::SharedAppend>> references =
      registry_.ReferenceAppends(plan, request->case_id, context);
  if (!references.ok()) {
    refuse(references.status());
    return;
  }
  if (request->preview) {
    // The case as the events would leave it; the revision and positions
    // stay what the log has.
    workflows::EventMeta meta{state->revision(), state->last_position(), context.now,
                              request->actor.id};
    const uint64_t revision = state->revision();
    const uint64_t position = state->last_position();
    for (const v1::CaseEvent& event : *events) registry_.ApplyEvent(*state, event, meta);
    state->set_revision(revision);
    state->set_last_position(position);
    eventstore::AppendOutcome none;
    done(CaseCommandResult{state, none, *std::move(events)});
    return;
  }

  if (absl::Now() >= request->deadline) {
    done(absl::DeadlineExceededError("the call's deadline passed before its events were written; "
                                     "nothing was written"));
    return;
  }
  eventstore::AppendRequest append;
  append.deadline = request->deadline;
  append.command_id = request->command_id;
  append.command_fingerprint = request->fingerprint;
  append.correlation_id = request->correlation_id;
  append.actor = {request->actor.id, request->actor.role};
  eventstore::StreamAppend& stream = append.streams.emplace_back();
  stream.stream = workflows::CaseStream(request->case_id);
  stream.expected = state->exists() ? eventstore::ExpectedRevision::Exact(state->revision())
                                    : eventstore::ExpectedRevision::NoStream();
  std::vector<eventstore::StreamAppend> shared_streams;
  // Shared streams go in the same batch, each guarded by the revision the
  // decision read: two cases racing for one unit or one reference cannot
  // both commit.
  auto add_shared = [&](workflows::SharedAppend& effect) {
    auto it = std::find_if(shared_streams.begin(), shared_streams.end(),
                           [&](const eventstore::StreamAppend& a) { return a.stream == effect.stream; });
    if (it == shared_streams.end()) {
      const v1::SharedState* read = context.Shared(effect.stream);
      it = shared_streams.emplace(shared_streams.end());
      it->stream = effect.stream;
      it->expected = read != nullptr && read->exists()
                         ? eventstore::ExpectedRevision::Exact(read->revision())
                         : eventstore::ExpectedRevision::NoStream();
    }
    it->events.push_back(
        {registry_.SharedEventType(effect.event), effect.event.SerializeAsString()});
  };
  for (const v1::CaseEvent& event : *events) {
    stream.events.push_back({registry_.EventType(event), event.SerializeAsString()});
    for (workflows::SharedAppend& effect : registry_.SharedEffects(*state, event)) add_shared(effect);
  }
  for (workflows::SharedAppend& effect : *references) add_shared(effect);
  for (eventstore::StreamAppend& shared : shared_streams) append.streams.push_back(std::move(shared));
  auto decided = std::make_shared<std::vector<v1::CaseEvent>>(*std::move(events));
  store_->AppendAsync(
      std::move(append),
      [this, request, attempt, state, decided, done](absl::StatusOr<eventstore::AppendOutcome> r) {
        if (r.status().code() == absl::StatusCode::kAborted && attempt < kMaxAttempts &&
            !request->expected_revision.has_value() && !request->open) {
          // Someone else changed the case (or the cached state was
          // behind): decide again on the case read from the log.
          Attempt(request, attempt + 1, /*verify=*/true, done);
          return;
        }
        if (r.status().code() == absl::StatusCode::kAborted && request->open) {
          done(absl::AlreadyExistsError(
              absl::StrCat("case ", request->case_id, " already exists")));
          return;
        }
        if (!r.ok()) {
          done(r.status());
          return;
        }
        if (r->duplicate()) {
          // The command id was committed before (a retry, or a concurrent
          // retry that got there first).
          AnswerStored(*request, *r, done);
          return;
        }
        workflows::EventMeta meta;
        meta.recorded_at = workflows::FromProto(r->recorded_at());
        meta.actor_id = request->actor.id;
        for (size_t i = 0; i < decided->size(); ++i) {
          meta.revision = r->streams(0).first_revision() + i;
          meta.position = r->streams(0).first_position() + i;
          registry_.ApplyEvent(*state, (*decided)[i], meta);
        }
        std::shared_ptr<const v1::CaseState> after = state;
        cache_.Put(after);
        done(CaseCommandResult{std::move(after), *r, std::move(*decided)});
      });
}

}  // namespace tripdesk::services
