// AuditService: tripdesk.v1.AuditService for auditors and supervisors: case
// histories with typed events, replays to any past point, hash-chain
// verification, exports and view rebuilds. Long answers stream from a
// producer thread (ProducerWriteReactor) so nothing is held whole in memory.
//
// Thread-safe. Stop() waits for running producers; call it before the store
// goes away.
#ifndef TRIPDESK_SERVICES_AUDIT_SERVICE_H_
#define TRIPDESK_SERVICES_AUDIT_SERVICE_H_

#include <condition_variable>
#include <mutex>

#include "eventstore/event_store.h"
#include "projections/projection_runner.h"
#include "projections/queries.h"
#include "services/stream_reactor.h"
#include "services/tree_heads.h"
#include "tripdesk/v1/audit.grpc.pb.h"
#include "workflows/registry.h"

#include "services/identity.h"

namespace tripdesk::services {

class AuditService final : public v1::AuditService::CallbackService {
 public:
  AuditService(eventstore::EventStore* store, const workflows::WorkflowRegistry& registry,
               const projections::CaseQueries* queries, projections::ProjectionRunner* projections,
               Authenticator* auth, TreeHeads* tree_heads)
      : store_(store), registry_(registry), queries_(queries), projections_(projections),
        auth_(auth), tree_heads_(tree_heads) {}
  ~AuditService() override { Stop(); }

  // Stops streams still producing (their callers see CANCELLED) and waits.
  void Stop();

  grpc::ServerWriteReactor<v1::HistoryEntry>* GetCaseHistory(
      grpc::CallbackServerContext* context, const v1::GetCaseHistoryRequest* request) override;
  grpc::ServerUnaryReactor* ReplayCase(grpc::CallbackServerContext* context,
                                       const v1::ReplayCaseRequest* request,
                                       v1::CaseView* response) override;
  grpc::ServerWriteReactor<v1::VerifyProgress>* VerifyLog(
      grpc::CallbackServerContext* context, const v1::VerifyLogRequest* request) override;
  grpc::ServerWriteReactor<v1::ExportChunk>* ExportCaseHistory(
      grpc::CallbackServerContext* context, const v1::ExportCaseHistoryRequest* request) override;
  grpc::ServerWriteReactor<v1::ExportChunk>* ExportTracker(
      grpc::CallbackServerContext* context, const v1::ExportTrackerRequest* request) override;
  grpc::ServerWriteReactor<v1::RebuildProgress>* RebuildViews(
      grpc::CallbackServerContext* context, const v1::RebuildViewsRequest* request) override;
  grpc::ServerUnaryReactor* GetSecurityCounters(grpc::CallbackServerContext* context,
                                                const v1::GetSecurityCountersRequest* request,
                                                v1::SecurityCounters* response) override;
  grpc::ServerWriteReactor<v1::CardNumberScanProgress>* ScanForCardNumbers(
      grpc::CallbackServerContext* context, const v1::ScanForCardNumbersRequest* request) override;

  // Tamper evidence (audit_proofs.cc): signed heads, the key, proofs.
  grpc::ServerUnaryReactor* GetSignedTreeHead(grpc::CallbackServerContext* context,
                                              const v1::GetSignedTreeHeadRequest* request,
                                              v1::SignedTreeHead* response) override;
  grpc::ServerUnaryReactor* GetLogPublicKey(grpc::CallbackServerContext* context,
                                            const v1::GetLogPublicKeyRequest* request,
                                            v1::LogPublicKey* response) override;
  grpc::ServerUnaryReactor* GetInclusionProof(grpc::CallbackServerContext* context,
                                              const v1::GetInclusionProofRequest* request,
                                              v1::InclusionProof* response) override;
  grpc::ServerUnaryReactor* GetConsistencyProof(grpc::CallbackServerContext* context,
                                                const v1::GetConsistencyProofRequest* request,
                                                v1::ConsistencyProof* response) override;
  grpc::ServerUnaryReactor* GetTreeChunkRoots(grpc::CallbackServerContext* context,
                                              const v1::GetTreeChunkRootsRequest* request,
                                              v1::TreeChunkRoots* response) override;

  // The case as it stood at the point `request` names.
  absl::StatusOr<v1::CaseView> Replay(const v1::ReplayCaseRequest& request) const;

 private:
  // Identity and role check, then a tracked producer streaming the answer.
  template <typename T>
  grpc::ServerWriteReactor<T>* Stream(grpc::CallbackServerContext* context, absl::string_view rpc,
                                      typename ProducerWriteReactor<T>::Producer producer);

  eventstore::EventStore* store_;
  const workflows::WorkflowRegistry& registry_;
  const projections::CaseQueries* queries_;
  projections::ProjectionRunner* projections_;
  Authenticator* auth_;
  TreeHeads* tree_heads_;

  std::mutex mu_;
  std::condition_variable idle_cv_;
  int producers_ = 0;
  bool stopping_ = false;
};

}  // namespace tripdesk::services

#endif  // TRIPDESK_SERVICES_AUDIT_SERVICE_H_
