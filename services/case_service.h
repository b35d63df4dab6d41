// CaseService: tripdesk.v1.CaseService over the CommandRunner (writes) and
// the projections' queries (reads). Handlers adapt and map statuses only.
//
// Thread-safe.
#ifndef TRIPDESK_SERVICES_CASE_SERVICE_H_
#define TRIPDESK_SERVICES_CASE_SERVICE_H_

#include "projections/projection_runner.h"
#include "projections/queries.h"
#include "projections/fleet_projection.h"
#include "projections/timer_projection.h"
#include "services/command_runner.h"
#include "services/identity.h"
#include "services/live_feed.h"
#include "services/metrics.h"
#include "tripdesk/v1/cases.grpc.pb.h"

namespace tripdesk::services {

class CaseService final : public v1::CaseService::CallbackService {
 public:
  CaseService(CommandRunner* runner, const projections::CaseQueries* queries,
              const projections::TimerQueries* timers, const projections::FleetQueries* fleet,
              projections::ProjectionRunner* projections,
              const workflows::WorkflowRegistry& registry,
              std::shared_ptr<const workflows::ReferenceData> reference, Authenticator* auth,
              LiveFeed* feed, ServerMetrics* metrics)
      : runner_(runner), queries_(queries), timers_(timers), fleet_(fleet), projections_(projections),
        registry_(registry), reference_(std::move(reference)), auth_(auth), feed_(feed),
        metrics_(metrics) {}

  grpc::ServerUnaryReactor* OpenCase(grpc::CallbackServerContext* context,
                                     const v1::OpenCaseRequest* request,
                                     v1::CommandReply* reply) override;
  grpc::ServerUnaryReactor* SubmitCommand(grpc::CallbackServerContext* context,
                                          const v1::SubmitCommandRequest* request,
                                          v1::CommandReply* reply) override;
  grpc::ServerUnaryReactor* PreviewCommand(grpc::CallbackServerContext* context,
                                           const v1::PreviewCommandRequest* request,
                                           v1::CommandPreview* preview) override;
  grpc::ServerUnaryReactor* GetCase(grpc::CallbackServerContext* context,
                                    const v1::GetCaseRequest* request,
                                    v1::CaseView* response) override;
  grpc::ServerUnaryReactor* ListCases(grpc::CallbackServerContext* context,
                                      const v1::ListCasesRequest* request,
                                      v1::ListCasesResponse* response) override;
  grpc::ServerUnaryReactor* ListNotes(grpc::CallbackServerContext* context,
                                      const v1::ListNotesRequest* request,
                                      v1::ListNotesResponse* response) override;
  grpc::ServerUnaryReactor* ListCustomerTimeline(grpc::CallbackServerContext* context,
                                                 const v1::ListCustomerTimelineRequest* request,
                                                 v1::ListCustomerTimelineResponse* response) override;
  grpc::ServerUnaryReactor* FindCaseByReference(grpc::CallbackServerContext* context,
                                                const v1::FindCaseByReferenceRequest* request,
                                                v1::FindCaseByReferenceResponse* response) override;
  grpc::ServerUnaryReactor* GetReservation(grpc::CallbackServerContext* context,
                                           const v1::GetReservationRequest* request,
                                           v1::ReservationView* response) override;
  grpc::ServerUnaryReactor* ListTrackerRows(grpc::CallbackServerContext* context,
                                            const v1::ListTrackerRowsRequest* request,
                                            v1::ListTrackerRowsResponse* response) override;
  grpc::ServerUnaryReactor* ListDeadlines(grpc::CallbackServerContext* context,
                                          const v1::ListDeadlinesRequest* request,
                                          v1::ListDeadlinesResponse* response) override;
  grpc::ServerUnaryReactor* ListAvailableUnits(grpc::CallbackServerContext* context,
                                               const v1::ListAvailableUnitsRequest* request,
                                               v1::ListAvailableUnitsResponse* response) override;
  grpc::ServerUnaryReactor* ListFleetBookings(grpc::CallbackServerContext* context,
                                              const v1::ListFleetBookingsRequest* request,
                                              v1::ListFleetBookingsResponse* response) override;
  grpc::ServerUnaryReactor* GetFleetAvailability(grpc::CallbackServerContext* context,
                                                 const v1::FleetAssetAvailabilityRequest* request,
                                                 v1::FleetAssetAvailabilityResponse* response) override;
  grpc::ServerUnaryReactor* ListFleetAccounts(grpc::CallbackServerContext* context,
                                              const v1::ListFleetAccountsRequest* request,
                                              v1::ListFleetAccountsResponse* response) override;
  grpc::ServerUnaryReactor* GetReferenceData(grpc::CallbackServerContext* context,
                                             const v1::GetReferenceDataRequest* request,
                                             v1::ReferenceData* response) override;
  grpc::ServerUnaryReactor* DescribeWorkflows(grpc::CallbackServerContext* context,
                                              const v1::DescribeWorkflowsRequest* request,
                                              v1::DescribeWorkflowsResponse* response) override;
  grpc::ServerWriteReactor<v1::CaseChanges>* WatchCases(
      grpc::CallbackServerContext* context, const v1::WatchCasesRequest* request) override;

 private:
  // Identity, the command's roles, then the runner; `answer` fills the
  // response of a command that succeeded.
  void Execute(grpc::CallbackServerContext* context, grpc::ServerUnaryReactor* reactor,
               absl::string_view rpc, CaseCommandRequest request,
               std::function<void(const CaseCommandResult&)> answer);
  void Run(grpc::CallbackServerContext* context, grpc::ServerUnaryReactor* reactor,
           absl::string_view rpc, CaseCommandRequest request, v1::CommandReply* reply);
  // A query: identity, authorization, read-your-writes, then `query`.
  template <typename Response, typename Query>
  grpc::ServerUnaryReactor* Serve(grpc::CallbackServerContext* context, absl::string_view rpc,
                                  uint64_t min_position, Response* response, Query query);
  absl::StatusOr<v1::FindCaseByReferenceResponse> FindByReference(
      const v1::FindCaseByReferenceRequest& request) const;
  // Identity, authorization and read-your-writes for the queries.
  absl::StatusOr<workflows::Actor> BeforeQuery(grpc::CallbackServerContext* context,
                                               absl::string_view rpc, uint64_t min_position);

  absl::StatusOr<v1::ListDeadlinesResponse> Deadlines(const v1::ListDeadlinesRequest& request) const;

  CommandRunner* runner_;
  const projections::CaseQueries* queries_;
  const projections::TimerQueries* timers_;
  const projections::FleetQueries* fleet_;
  projections::ProjectionRunner* projections_;
  const workflows::WorkflowRegistry& registry_;
  std::shared_ptr<const workflows::ReferenceData> reference_;
  Authenticator* auth_;
  LiveFeed* feed_;
  ServerMetrics* metrics_;  // may be null
};

}  // namespace tripdesk::services

#endif  // TRIPDESK_SERVICES_CASE_SERVICE_H_
