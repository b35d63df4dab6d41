#include "services/case_service.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/grpc_status.h"
#include "services/identity.h"
#include "services/stream_reactor.h"
#include "workflows/streams.h"
#include "workflows/validation.h"

namespace tripdesk::services {
namespace {

constexpr char kService[] = "tripdesk.v1.CaseService/";

// A retried OpenCase (same command id) must land on the same case.
std::string NewCaseId(const std::string& command_id) {
  unsigned char bytes[SHA256_DIGEST_LENGTH];
  if (!command_id.empty()) {
    SHA256(reinterpret_cast<const unsigned char*>(command_id.data()), command_id.size(), bytes);
  } else if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    SHA256(reinterpret_cast<const unsigned char*>(&bytes), sizeof(bytes), bytes);
  }
  return absl::StrCat(
      "C", absl::AsciiStrToUpper(absl::BytesToHexString(
               absl::string_view(reinterpret_cast<const char*>(bytes), 6))));
}

// How often a quiet watch sends an empty batch: proof of life to the page,
// and how a stream learns its client has gone.
constexpr absl::Duration kWatchHeartbeat = absl::Seconds(10);

// How long a query may wait for the views to catch up: the call's deadline,
// at most 10 s.
absl::Time QueryDeadline(const grpc::CallbackServerContext& context) {
  const absl::Time cap = absl::Now() + absl::Seconds(10);
  const absl::Time deadline = absl::FromChrono(context.deadline());
  return std::min(cap, deadline);
}

void MaskFor(v1::CaseView& view) { MaskPersonalData(view); }
void MaskFor(v1::ListCasesResponse& list) {
  for (v1::CaseView& view : *list.mutable_cases()) MaskPersonalData(view);
}
template <typename T>
void MaskFor(T&) {}  // no personal data

}  // namespace

void CaseService::Execute(grpc::CallbackServerContext* context, grpc::ServerUnaryReactor* reactor,
                          absl::string_view rpc, CaseCommandRequest request,
                          std::function<void(const CaseCommandResult&)> answer) {
  // Every answer, refusals included, is counted by workflow, command and code.
  auto finish = [reactor, metrics = metrics_, key = CommandKey(request.command),
                 started = absl::Now()](const absl::Status& status) {
    if (metrics != nullptr) {
      metrics->CommandAnswered(key, absl::StatusCodeToString(status.code()),
                               absl::Now() - started);
    }
    reactor->Finish(ToGrpcStatus(status));
  };
  absl::StatusOr<workflows::Actor> actor = auth_->Admit(*context, absl::StrCat(kService, rpc));
  if (!actor.ok()) {
    finish(actor.status());
    return;
  }
  if (absl::Status s = auth_->AdmitCommand(*context, *actor, request.command); !s.ok()) {
    finish(s);
    return;
  }
  request.actor = *std::move(actor);
  // A call past its deadline writes nothing: the runner and the store check.
  request.deadline = absl::FromChrono(context->deadline());
  runner_->Execute(std::move(request), [finish = std::move(finish), answer = std::move(answer)](
                                           absl::StatusOr<CaseCommandResult> result) {
    if (result.ok()) answer(*result);
    finish(result.status());
  });
}

void CaseService::Run(grpc::CallbackServerContext* context, grpc::ServerUnaryReactor* reactor,
                      absl::string_view rpc, CaseCommandRequest request, v1::CommandReply* reply) {
  Execute(context, reactor, rpc, std::move(request), [this, reply](const CaseCommandResult& r) {
    reply->set_case_id(r.state->case_id());
    reply->set_revision(r.state->revision());
    reply->set_first_position(r.outcome.first_position());
    reply->set_last_position(r.outcome.last_position());
    reply->set_duplicate(r.outcome.duplicate());
    *reply->mutable_view() = registry_.View(*r.state);
    if (std::optional<v1::ReservationView> booking = registry_.ReplyReservation(*r.state)) {
      *reply->mutable_reservation() = *std::move(booking);
    }
  });
}

grpc::ServerUnaryReactor* CaseService::PreviewCommand(grpc::CallbackServerContext* context,
                                                      const v1::PreviewCommandRequest* request,
                                                      v1::CommandPreview* preview) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  CaseCommandRequest command;
  command.case_id = request->open() && request->case_id().empty() ? NewCaseId("") : request->case_id();
  command.open = request->open();
  command.command = request->command();
  command.preview = true;
  Execute(context, reactor, "PreviewCommand", std::move(command),
          [this, preview](const CaseCommandResult& r) {
            preview->set_case_id(r.state->case_id());
            for (const v1::CaseEvent& e : r.events) *preview->add_events() = e;
            *preview->mutable_view() = registry_.View(*r.state);
            if (std::optional<v1::ReservationView> booking = registry_.ReplyReservation(*r.state)) {
              *preview->mutable_reservation() = *std::move(booking);
            }
          });
  return reactor;
}

grpc::ServerUnaryReactor* CaseService::OpenCase(grpc::CallbackServerContext* context,
                                                const v1::OpenCaseRequest* request,
                                                v1::CommandReply* reply) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  CaseCommandRequest command;
  command.case_id = request->case_id().empty() ? NewCaseId(request->command_id())
                                               : request->case_id();
  command.open = true;
  command.command_id = request->command_id();
  command.correlation_id = request->correlation_id();
  command.command = request->command();
  Run(context, reactor, "OpenCase", std::move(command), reply);
  return reactor;
}

grpc::ServerUnaryReactor* CaseService::SubmitCommand(grpc::CallbackServerContext* context,
                                                     const v1::SubmitCommandRequest* request,
                                                     v1::CommandReply* reply) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  CaseCommandRequest command;
  command.case_id = request->case_id();
  command.command_id = request->command_id();
  command.correlation_id = request->correlation_id();
  if (request->has_expected_revision()) command.expected_revision = request->expected_revision();
  command.command = request->command();
  Run(context, reactor, "SubmitCommand", std::move(command), reply);
  return reactor;
}

absl::StatusOr<workflows::Actor> CaseService::BeforeQuery(grpc::CallbackServerContext* context,
                                                          absl::string_view rpc,
                                                          uint64_t min_position) {
  absl::StatusOr<workflows::Actor> actor = auth_->Admit(*context, absl::StrCat(kService, rpc));
  if (!actor.ok() || min_position == 0) return actor;
  if (absl::Status s = projections_->WaitFor(min_position, QueryDeadline(*context)); !s.ok()) return s;
  return actor;
}

template <typename Response, typename Query>
grpc::ServerUnaryReactor* CaseService::Serve(grpc::CallbackServerContext* context,
                                             absl::string_view rpc, uint64_t min_position,
                                             Response* response, Query query) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<workflows::Actor> actor = BeforeQuery(context, rpc, min_position);
  absl::Status status = actor.status();
  if (status.ok()) {
    absl::StatusOr<Response> result = query();
    if (result.ok()) {
      *response = *std::move(result);
      // Dashboards see who, not how to reach them.
      if (actor->role == "dashboard") MaskFor(*response);
    }
    status = result.status();
  }
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

grpc::ServerUnaryReactor* CaseService::GetCase(grpc::CallbackServerContext* context,
                                               const v1::GetCaseRequest* request,
                                               v1::CaseView* response) {
  return Serve(context, "GetCase", request->min_position(), response,
               [&] { return queries_->GetCase(request->case_id()); });
}

grpc::ServerUnaryReactor* CaseService::ListCases(grpc::CallbackServerContext* context,
                                                 const v1::ListCasesRequest* request,
                                                 v1::ListCasesResponse* response) {
  return Serve(context, "ListCases", request->min_position(), response,
               [&] { return queries_->ListCases(*request); });
}

grpc::ServerUnaryReactor* CaseService::ListCustomerTimeline(
    grpc::CallbackServerContext* context, const v1::ListCustomerTimelineRequest* request,
    v1::ListCustomerTimelineResponse* response) {
  return Serve(context, "ListCustomerTimeline", request->min_position(), response,
               [&] { return queries_->ListCustomerTimeline(*request); });
}

grpc::ServerUnaryReactor* CaseService::ListNotes(grpc::CallbackServerContext* context,
                                                 const v1::ListNotesRequest* request,
                                                 v1::ListNotesResponse* response) {
  return Serve(context, "ListNotes", request->min_position(), response,
               [&] { return queries_->ListNotes(*request); });
}

absl::StatusOr<v1::FindCaseByReferenceResponse> CaseService::FindByReference(
    const v1::FindCaseByReferenceRequest& request) const {
  const std::string value = absl::AsciiStrToUpper(request.value());
  if (absl::Status s = workflows::CheckText("value", value, true); !s.ok()) return s;
  const std::vector<std::string> known = registry_.ReferenceKinds();
  std::vector<std::string> kinds = known;
  if (!request.kind().empty()) {
    if (std::find(known.begin(), known.end(), request.kind()) == known.end()) {
      return absl::InvalidArgumentError(absl::StrCat("kind: '", request.kind(),
                                                     "' is not a kind of reference; one of ",
                                                     absl::StrJoin(known, ", ")));
    }
    kinds = {request.kind()};
  }
  v1::FindCaseByReferenceResponse response;
  for (const std::string& kind : kinds) {
    absl::StatusOr<v1::SharedState> shared = runner_->LoadShared(workflows::ReferenceStream(kind, value));
    if (!shared.ok()) return shared.status();
    if (shared->exists()) *response.add_holders() = shared->reference();
  }
  if (response.holders().empty()) {
    return absl::NotFoundError(absl::StrCat("no case holds or held ", value, " as ",
                                            absl::StrJoin(kinds, " or ")));
  }
  return response;
}

grpc::ServerUnaryReactor* CaseService::FindCaseByReference(
    grpc::CallbackServerContext* context, const v1::FindCaseByReferenceRequest* request,
    v1::FindCaseByReferenceResponse* response) {
  return Serve(context, "FindCaseByReference", 0, response,
               [&] { return FindByReference(*request); });
}

grpc::ServerUnaryReactor* CaseService::GetReservation(grpc::CallbackServerContext* context,
                                                      const v1::GetReservationRequest* request,
                                                      v1::ReservationView* response) {
  return Serve(context, "GetReservation", request->min_position(), response,
               [&] { return queries_->GetReservation(request->case_id()); });
}

grpc::ServerUnaryReactor* CaseService::ListAvailableUnits(
    grpc::CallbackServerContext* context, const v1::ListAvailableUnitsRequest* request,
    v1::ListAvailableUnitsResponse* response) {
  return Serve(context, "ListAvailableUnits", request->min_position(), response, [&] {
    return queries_->ListAvailableUnits(*request, reference_->proto().rv());
  });
}

grpc::ServerUnaryReactor* CaseService::ListFleetBookings(
    grpc::CallbackServerContext* context, const v1::ListFleetBookingsRequest* request,
    v1::ListFleetBookingsResponse* response) {
  return Serve(context, "ListFleetBookings", request->min_position(), response, [&] {
    return fleet_->ListBookings(*request, reference_->proto().fleet());
  });
}

grpc::ServerUnaryReactor* CaseService::GetFleetAvailability(
    grpc::CallbackServerContext* context, const v1::FleetAssetAvailabilityRequest* request,
    v1::FleetAssetAvailabilityResponse* response) {
  return Serve(context, "GetFleetAvailability", request->min_position(), response, [&] {
    return fleet_->Availability(*request, reference_->proto().fleet());
  });
}

grpc::ServerUnaryReactor* CaseService::ListFleetAccounts(
    grpc::CallbackServerContext* context, const v1::ListFleetAccountsRequest* request,
    v1::ListFleetAccountsResponse* response) {
  return Serve(context, "ListFleetAccounts", request->min_position(), response,
               [&] { return fleet_->ListAccounts(*request); });
}

grpc::ServerUnaryReactor* CaseService::ListTrackerRows(grpc::CallbackServerContext* context,
                                                       const v1::ListTrackerRowsRequest* request,
                                                       v1::ListTrackerRowsResponse* response) {
  return Serve(context, "ListTrackerRows", request->min_position(), response,
               [&] { return queries_->ListTrackerRows(*request); });
}

grpc::ServerUnaryReactor* CaseService::ListDeadlines(grpc::CallbackServerContext* context,
                                                     const v1::ListDeadlinesRequest* request,
                                                     v1::ListDeadlinesResponse* response) {
  return Serve(context, "ListDeadlines", request->min_position(), response,
               [&] { return Deadlines(*request); });
}

absl::StatusOr<v1::ListDeadlinesResponse> CaseService::Deadlines(
    const v1::ListDeadlinesRequest& request) const {
  if (request.page_size() > projections::kMaxPageSize) {
    return absl::InvalidArgumentError(absl::StrCat("page_size: ", request.page_size(),
                                                   " is above the maximum of ",
                                                   projections::kMaxPageSize));
  }
  const size_t page = request.page_size() == 0 ? 100 : request.page_size();
  std::string after;
  if (!request.page_token().empty() && !absl::WebSafeBase64Unescape(request.page_token(), &after)) {
    return absl::InvalidArgumentError(
        "page_token: not a token from this listing; repeat the request without it");
  }
  if (request.breached() && (request.has_due_before() || !request.kind().empty())) {
    return absl::InvalidArgumentError(
        "breached: lists breached SLAs; due_before and kind filter pending deadlines only");
  }
  const absl::Time up_to = request.has_due_before() ? workflows::FromProto(request.due_before())
                                                    : absl::InfiniteFuture();
  absl::StatusOr<std::vector<projections::DueTimer>> rows =
      request.breached() ? timers_->Breached(page + 1, after)
                         : timers_->Due(up_to, page + 1, request.kind(), after);
  if (!rows.ok()) return rows.status();
  v1::ListDeadlinesResponse response;
  for (size_t i = 0; i < rows->size() && i < page; ++i) {
    const projections::DueTimer& row = (*rows)[i];
    v1::Deadline& d = *response.add_deadlines();
    d.set_case_id(row.case_id);
    d.set_timer_id(row.timer_id);
    d.set_kind(row.kind);
    *d.mutable_due_at() = workflows::ToProto(row.due_at);
  }
  if (rows->size() > page) response.set_next_page_token(absl::WebSafeBase64Escape((*rows)[page - 1].key));
  return response;
}

grpc::ServerUnaryReactor* CaseService::GetReferenceData(grpc::CallbackServerContext* context,
                                                        const v1::GetReferenceDataRequest* request,
                                                        v1::ReferenceData* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<workflows::Actor> actor = BeforeQuery(context, "GetReferenceData", 0);
  absl::Status status = actor.status();
  if (status.ok()) {
    const std::string& section = request->section();
    if (!section.empty() && section != "car_booking" && section != "rv" && section != "fleet" &&
        section != "flight_change") {
      status = absl::InvalidArgumentError(absl::StrCat("section: '", section,
                                                       "' is not a section; car_booking, rv, fleet, "
                                                       "flight_change or empty for all"));
    } else {
      *response = ReferenceDataFor(reference_->proto(), *actor);
      if (!section.empty() && section != "car_booking") response->clear_car_booking();
      if (!section.empty() && section != "rv") response->clear_rv();
      if (!section.empty() && section != "fleet") response->clear_fleet();
      if (!section.empty() && section != "flight_change") response->clear_flight_change();
    }
  }
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

grpc::ServerUnaryReactor* CaseService::DescribeWorkflows(grpc::CallbackServerContext* context,
                                                         const v1::DescribeWorkflowsRequest*,
                                                         v1::DescribeWorkflowsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<workflows::Actor> actor = BeforeQuery(context, "DescribeWorkflows", 0);
  if (actor.ok()) *response = registry_.Describe();
  reactor->Finish(ToGrpcStatus(actor.status()));
  return reactor;
}

grpc::ServerWriteReactor<v1::CaseChanges>* CaseService::WatchCases(
    grpc::CallbackServerContext* context, const v1::WatchCasesRequest* request) {
  using Reactor = ProducerWriteReactor<v1::CaseChanges>;
  absl::Time expires = absl::InfiniteFuture();
  absl::StatusOr<workflows::Actor> actor =
      auth_->Admit(*context, absl::StrCat(kService, "WatchCases"), &expires);
  if (!actor.ok()) {
    return Reactor::Start([status = actor.status()](const Reactor::Emit&) { return status; });
  }
  if (!request->case_id().empty()) {
    if (absl::Status s = workflows::CheckCaseId(request->case_id()); !s.ok()) {
      return Reactor::Start([s](const Reactor::Emit&) { return s; });
    }
  }
  std::shared_ptr<LiveFeed::Watcher> watcher = feed_->Watch(request->case_id());
  return Reactor::Start(
      [watcher, expires](const Reactor::Emit& emit) -> absl::Status {
        // An empty batch first: the watch is open (an HTTP page learns it
        // was admitted before its response status is sent).
        if (!emit(v1::CaseChanges())) return absl::CancelledError("the watcher went away");
        for (;;) {
          if (absl::Now() >= expires) {
            return absl::UnauthenticatedError("the token has expired: sign in again");
          }
          absl::StatusOr<v1::CaseChanges> changes =
              watcher->Next(std::min(expires, absl::Now() + kWatchHeartbeat));
          if (!changes.ok()) return changes.status();
          if (!emit(*std::move(changes))) return absl::CancelledError("the watcher went away");
        }
      },
      4);
}

}  // namespace tripdesk::services
