#include "services/audit_service.h"

#include "absl/strings/str_cat.h"
#include "eventstore/verifier.h"
#include "services/case_reader.h"
#include "services/exports.h"
#include "services/grpc_status.h"
#include "services/identity.h"
#include "workflows/field_rules.h"
#include "workflows/validation.h"

namespace tripdesk::services {
namespace {

constexpr char kService[] = "tripdesk.v1.AuditService/";
constexpr size_t kChunkBytes = 64 << 10;

absl::StatusOr<v1::HistoryEntry> Entry(const eventstore::Record& record) {
  v1::HistoryEntry entry;
  if (!entry.mutable_event()->ParseFromString(record.payload())) {
    return absl::DataLossError(absl::StrCat("record at position ", record.position(),
                                            " does not decode as a case event"));
  }
  *entry.mutable_envelope() = record;
  entry.set_leaf_index(record.position() - 1);
  return entry;
}

// Gathers export text into chunks of about kChunkBytes.
class Chunker {
 public:
  explicit Chunker(const std::function<bool(v1::ExportChunk)>& emit) : emit_(emit) {}
  bool Add(const std::string& text) {
    buffer_ += text;
    return buffer_.size() < kChunkBytes || Flush();
  }
  bool Flush() {
    if (buffer_.empty()) return true;
    v1::ExportChunk chunk;
    chunk.set_data(std::move(buffer_));
    buffer_.clear();
    return emit_(std::move(chunk));
  }

 private:
  const std::function<bool(v1::ExportChunk)>& emit_;
  std::string buffer_;
};

absl::Status CaseExists(eventstore::EventStore& store, absl::string_view case_id) {
  if (absl::Status s = workflows::CheckCaseId(case_id); !s.ok()) return s;
  absl::StatusOr<eventstore::StreamHead> head = store.GetStreamHead(workflows::CaseStream(case_id));
  if (head.status().code() == absl::StatusCode::kNotFound) {
    return absl::NotFoundError(absl::StrCat("case ", case_id, " does not exist"));
  }
  return head.status();
}

// The fields of `record` that hold what looks like a card number.
std::vector<std::string> CardNumberFields(const eventstore::Record& record) {
  const bool case_stream = !workflows::CaseIdOfStream(record.stream()).empty();
  v1::CaseEvent event;
  v1::SharedEvent shared;
  google::protobuf::Message* decoded = case_stream ? static_cast<google::protobuf::Message*>(&event)
                                                   : &shared;
  if (decoded->ParseFromString(record.payload()) &&
      decoded->GetReflection()->GetUnknownFields(*decoded).empty()) {
    return workflows::FindCardNumbers(*decoded);
  }
  // Not a known event (a raw append, a newer writer): its bytes.
  if (workflows::ContainsCardNumber(record.payload())) return {"payload"};
  return {};
}

}  // namespace

void AuditService::Stop() {
  std::unique_lock<std::mutex> lock(mu_);
  stopping_ = true;
  idle_cv_.wait(lock, [&] { return producers_ == 0; });
}

template <typename T>
grpc::ServerWriteReactor<T>* AuditService::Stream(
    grpc::CallbackServerContext* context, absl::string_view rpc,
    typename ProducerWriteReactor<T>::Producer producer) {
  absl::Time expires;
  absl::Status allowed = auth_->Admit(*context, absl::StrCat(kService, rpc), &expires).status();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (allowed.ok() && stopping_) {
      allowed = absl::UnavailableError("the server is shutting down");
    }
    if (allowed.ok()) ++producers_;
  }
  if (!allowed.ok()) {
    return ProducerWriteReactor<T>::Start(
        [allowed](const typename ProducerWriteReactor<T>::Emit&) { return allowed; });
  }
  return ProducerWriteReactor<T>::Start([this, expires, producer = std::move(producer)](
                                            const typename ProducerWriteReactor<T>::Emit& emit) {
    // A long stream ends when the caller's token does.
    bool expired = false;
    const typename ProducerWriteReactor<T>::Emit checked = [&](T item) {
      if (absl::Now() > expires) {
        expired = true;
        return false;
      }
      return emit(std::move(item));
    };
    absl::Status status = producer(checked);
    if (expired) {
      status = absl::UnauthenticatedError(
          "the token expired during the stream; call again with a fresh token");
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (--producers_ == 0) idle_cv_.notify_all();
    return status;
  });
}

grpc::ServerWriteReactor<v1::HistoryEntry>* AuditService::GetCaseHistory(
    grpc::CallbackServerContext* context, const v1::GetCaseHistoryRequest* request) {
  const std::string case_id = request->case_id();
  return Stream<v1::HistoryEntry>(context, "GetCaseHistory", [this, case_id](const auto& emit) {
    if (absl::Status s = CaseExists(*store_, case_id); !s.ok()) return s;
    return ForEachCaseRecord(*store_, case_id, [&](const eventstore::Record& record) {
      absl::StatusOr<v1::HistoryEntry> entry = Entry(record);
      if (!entry.ok()) return entry.status();
      return emit(*std::move(entry)) ? absl::OkStatus() : absl::CancelledError("client went away");
    });
  });
}

absl::StatusOr<v1::CaseView> AuditService::Replay(const v1::ReplayCaseRequest& request) const {
  if (absl::Status s = CaseExists(*store_, request.case_id()); !s.ok()) return s;
  StopBefore stop;
  switch (request.at_case()) {
    case v1::ReplayCaseRequest::kRevision: {
      absl::StatusOr<eventstore::StreamHead> head =
          store_->GetStreamHead(workflows::CaseStream(request.case_id()));
      if (!head.ok()) return head.status();
      if (request.revision() > head->revision) {
        return absl::OutOfRangeError(absl::StrCat("revision: case ", request.case_id(),
                                                  " has revisions 0 to ", head->revision));
      }
      stop = [&](const eventstore::Record& r) { return r.revision() > request.revision(); };
      break;
    }
    case v1::ReplayCaseRequest::kPosition:
      if (request.position() > store_->LastPosition()) {
        return absl::OutOfRangeError(absl::StrCat("position: ", request.position(),
                                                  " is past the end of the log (",
                                                  store_->LastPosition(), ")"));
      }
      stop = [&](const eventstore::Record& r) { return r.position() > request.position(); };
      break;
    case v1::ReplayCaseRequest::kInstant: {
      const google::protobuf::Timestamp& t = request.instant();
      if (t.seconds() < 0 || t.seconds() > 253402300799 || t.nanos() < 0 || t.nanos() > 999999999) {
        return absl::InvalidArgumentError("instant: not a valid time");
      }
      const absl::Time at = workflows::FromProto(t);
      stop = [at](const eventstore::Record& r) { return workflows::FromProto(r.recorded_at()) > at; };
      break;
    }
    case v1::ReplayCaseRequest::AT_NOT_SET:
      return absl::InvalidArgumentError("at: give a revision, a position or an instant");
  }
  absl::StatusOr<v1::CaseState> state = FoldCase(*store_, registry_, request.case_id(), stop);
  if (!state.ok()) return state.status();
  if (!state->exists()) {
    absl::StatusOr<std::vector<eventstore::Record>> first =
        store_->ReadStream(workflows::CaseStream(request.case_id()), 0, 1);
    std::string opened;
    if (first.ok() && !first->empty()) {
      opened = absl::StrCat(" (it was opened at position ", (*first)[0].position(), ", ",
                            workflows::FormatInstant(workflows::FromProto((*first)[0].recorded_at())),
                            ")");
    }
    return absl::FailedPreconditionError(
        absl::StrCat("case ", request.case_id(), " did not exist yet at that point", opened));
  }
  return registry_.View(*state);
}

grpc::ServerUnaryReactor* AuditService::ReplayCase(grpc::CallbackServerContext* context,
                                                   const v1::ReplayCaseRequest* request,
                                                   v1::CaseView* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::Status status = auth_->Admit(*context, absl::StrCat(kService, "ReplayCase")).status();
  if (status.ok()) {
    absl::StatusOr<v1::CaseView> view = Replay(*request);
    if (view.ok()) *response = *std::move(view);
    status = view.status();
  }
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

grpc::ServerWriteReactor<v1::VerifyProgress>* AuditService::VerifyLog(
    grpc::CallbackServerContext* context, const v1::VerifyLogRequest* request) {
  const std::string case_id = request->case_id();
  return Stream<v1::VerifyProgress>(context, "VerifyLog", [this, case_id](const auto& emit) {
    auto to_proto = [](const eventstore::VerifyReport& report, bool done) {
      v1::VerifyProgress p;
      p.set_records_checked(report.records_checked);
      p.set_reached(report.reached);
      p.set_total(report.total);
      p.set_done(done);
      if (report.problem.has_value()) {
        p.mutable_problem()->set_position(report.problem->position);
        p.mutable_problem()->set_stream(report.problem->stream);
        p.mutable_problem()->set_revision(report.problem->revision);
        p.mutable_problem()->set_problem(report.problem->problem);
      }
      return p;
    };
    absl::StatusOr<eventstore::VerifyReport> report;
    if (case_id.empty()) {
      report = eventstore::VerifyLog(*store_, [&](const eventstore::VerifyReport& so_far) {
        return emit(to_proto(so_far, false));
      });
    } else {
      if (absl::Status s = CaseExists(*store_, case_id); !s.ok()) return s;
      report = eventstore::VerifyStream(*store_, workflows::CaseStream(case_id));
    }
    if (!report.ok()) return report.status();
    emit(to_proto(*report, true));
    return absl::OkStatus();
  });
}

grpc::ServerWriteReactor<v1::ExportChunk>* AuditService::ExportCaseHistory(
    grpc::CallbackServerContext* context, const v1::ExportCaseHistoryRequest* request) {
  const v1::ExportCaseHistoryRequest copy = *request;
  return Stream<v1::ExportChunk>(context, "ExportCaseHistory", [this, copy](const auto& emit) {
    const bool csv = copy.format() == v1::EXPORT_FORMAT_CSV;
    if (!csv && copy.format() != v1::EXPORT_FORMAT_JSON_LINES) {
      return absl::InvalidArgumentError(
          "format: EXPORT_FORMAT_JSON_LINES or EXPORT_FORMAT_CSV");
    }
    if (absl::Status s = CaseExists(*store_, copy.case_id()); !s.ok()) return s;
    Chunker chunks(emit);
    if (csv && !chunks.Add(HistoryCsvHeader())) return absl::CancelledError("client went away");
    absl::Status s = ForEachCaseRecord(*store_, copy.case_id(), [&](const eventstore::Record& r) {
      absl::StatusOr<v1::HistoryEntry> entry = Entry(r);
      if (!entry.ok()) return entry.status();
      absl::StatusOr<std::string> line = csv ? HistoryCsvLine(*entry) : HistoryJsonLine(*entry);
      if (!line.ok()) return line.status();
      return chunks.Add(*line) ? absl::OkStatus() : absl::CancelledError("client went away");
    });
    if (!s.ok()) return s;
    chunks.Flush();
    return absl::OkStatus();
  });
}

grpc::ServerWriteReactor<v1::ExportChunk>* AuditService::ExportTracker(
    grpc::CallbackServerContext* context, const v1::ExportTrackerRequest* request) {
  const v1::ExportTrackerRequest copy = *request;
  return Stream<v1::ExportChunk>(context, "ExportTracker", [this, copy](const auto& emit) {
    // The export covers every booking the log held when it was asked for.
    if (absl::Status s = projections_->WaitFor(store_->LastPosition(),
                                               absl::Now() + absl::Seconds(10));
        !s.ok()) {
      return s;
    }
    Chunker chunks(emit);
    v1::ListTrackerRowsRequest page_request;
    page_request.set_from_date(copy.from_date());
    page_request.set_to_date(copy.to_date());
    page_request.set_client_company(copy.client_company());
    page_request.set_page_size(projections::kMaxPageSize);
    bool header = false;
    for (;;) {
      absl::StatusOr<v1::ListTrackerRowsResponse> page = queries_->ListTrackerRows(page_request);
      if (!page.ok()) return page.status();  // bad dates are refused before any byte
      if (!header && !chunks.Add(TrackerCsvHeader())) return absl::CancelledError("client went away");
      header = true;
      for (const v1::TrackerRow& row : page->rows()) {
        if (!chunks.Add(TrackerCsvLine(row))) return absl::CancelledError("client went away");
      }
      if (page->next_page_token().empty()) break;
      page_request.set_page_token(page->next_page_token());
    }
    chunks.Flush();
    return absl::OkStatus();
  });
}

grpc::ServerWriteReactor<v1::RebuildProgress>* AuditService::RebuildViews(
    grpc::CallbackServerContext* context, const v1::RebuildViewsRequest* request) {
  const std::string view = request->view();
  return Stream<v1::RebuildProgress>(context, "RebuildViews", [this, view](const auto& emit) {
    const uint64_t target = store_->LastPosition();
    if (absl::Status s = projections_->RequestRebuild(view); !s.ok()) return s;
    for (;;) {
      absl::Status caught_up = projections_->WaitFor(target, absl::Now() + absl::Milliseconds(500));
      if (!caught_up.ok() && caught_up.code() != absl::StatusCode::kDeadlineExceeded) {
        return caught_up;
      }
      for (const auto& [name, checkpoint] : projections_->Checkpoints()) {
        if (!view.empty() && name != view) continue;
        v1::RebuildProgress progress;
        progress.set_view(name);
        progress.set_checkpoint(checkpoint);
        progress.set_target(target);
        progress.set_done(caught_up.ok());
        if (!emit(std::move(progress))) return absl::CancelledError("client went away");
      }
      if (caught_up.ok()) return absl::OkStatus();
    }
  });
}

grpc::ServerUnaryReactor* AuditService::GetSecurityCounters(
    grpc::CallbackServerContext* context, const v1::GetSecurityCountersRequest*,
    v1::SecurityCounters* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::Status status = auth_->Admit(*context, absl::StrCat(kService, "GetSecurityCounters")).status();
  if (status.ok()) *response = auth_->Counters();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

grpc::ServerWriteReactor<v1::CardNumberScanProgress>* AuditService::ScanForCardNumbers(
    grpc::CallbackServerContext* context, const v1::ScanForCardNumbersRequest*) {
  return Stream<v1::CardNumberScanProgress>(context, "ScanForCardNumbers", [this](const auto& emit) {
    v1::CardNumberScanProgress progress;
    progress.set_total(store_->LastPosition());
    std::unique_ptr<eventstore::LogIterator> it = store_->ScanAll(1);
    while (progress.records_scanned() < progress.total()) {
      absl::StatusOr<std::optional<eventstore::Record>> next = it->Next();
      if (!next.ok()) return next.status();
      if (!next->has_value()) break;
      const eventstore::Record& r = **next;
      progress.set_records_scanned(progress.records_scanned() + 1);
      std::vector<std::string> fields = CardNumberFields(r);
      if (!fields.empty()) {
        progress.set_findings(progress.findings() + 1);
        v1::CardNumberScanProgress found = progress;
        v1::CardNumberFinding& f = *found.mutable_finding();
        f.set_position(r.position());
        f.set_stream(r.stream());
        f.set_revision(r.revision());
        f.set_case_id(std::string(workflows::CaseIdOfStream(r.stream())));
        f.set_event_type(r.event_type());
        *f.mutable_recorded_at() = r.recorded_at();
        for (std::string& field : fields) f.add_fields(std::move(field));
        if (!emit(std::move(found))) return absl::CancelledError("client went away");
      } else if (progress.records_scanned() % 10000 == 0 && !emit(progress)) {
        return absl::CancelledError("client went away");
      }
    }
    progress.set_done(true);
    emit(progress);
    return absl::OkStatus();
  });
}

}  // namespace tripdesk::services
