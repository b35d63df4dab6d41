// AuditService's tamper evidence: the log's signed tree heads, the key that
// signs them, and RFC 9162 inclusion and consistency proofs against them.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/audit_service.h"
#include "services/grpc_status.h"
#include "tools/proofcheck/proofcheck.h"

namespace tripdesk::services {
namespace {

constexpr char kService[] = "tripdesk.v1.AuditService/";

// Admits the caller to `rpc`, then answers with `fill`'s status.
template <typename Fill>
grpc::ServerUnaryReactor* Answer(grpc::CallbackServerContext* context, Authenticator* auth,
                                 absl::string_view rpc, Fill fill) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::Status status = auth->Admit(*context, absl::StrCat(kService, rpc)).status();
  if (status.ok()) status = fill();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

// `size`, or the latest signed head's when 0.
absl::StatusOr<uint64_t> SizeOrLatest(TreeHeads& heads, uint64_t size) {
  if (size != 0) return size;
  absl::StatusOr<v1::SignedTreeHead> head = heads.Latest();
  if (!head.ok()) return head.status();
  return head->tree_size();
}

}  // namespace

grpc::ServerUnaryReactor* AuditService::GetSignedTreeHead(
    grpc::CallbackServerContext* context, const v1::GetSignedTreeHeadRequest* request,
    v1::SignedTreeHead* response) {
  return Answer(context, auth_, "GetSignedTreeHead", [&]() -> absl::Status {
    absl::StatusOr<v1::SignedTreeHead> head =
        request->fresh() ? tree_heads_->SignNow() : tree_heads_->Latest();
    if (!head.ok()) return head.status();
    *response = *std::move(head);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AuditService::GetLogPublicKey(grpc::CallbackServerContext* context,
                                                        const v1::GetLogPublicKeyRequest*,
                                                        v1::LogPublicKey* response) {
  return Answer(context, auth_, "GetLogPublicKey", [&]() -> absl::Status {
    response->set_pem(tree_heads_->signer().public_key_pem());
    response->set_key_id(tree_heads_->signer().key_id());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AuditService::GetInclusionProof(
    grpc::CallbackServerContext* context, const v1::GetInclusionProofRequest* request,
    v1::InclusionProof* response) {
  return Answer(context, auth_, "GetInclusionProof", [&]() -> absl::Status {
    absl::StatusOr<uint64_t> size = SizeOrLatest(*tree_heads_, request->tree_size());
    if (!size.ok()) return size.status();
    absl::StatusOr<std::vector<std::string>> proof =
        store_->InclusionProof(request->position(), *size);
    if (!proof.ok()) return proof.status();
    absl::StatusOr<std::vector<eventstore::Record>> record = store_->ReadAll(request->position(), 1);
    if (!record.ok()) return record.status();
    if (record->empty() || (*record)[0].position() != request->position()) {
      return absl::DataLossError(absl::StrFormat(
          "the record at position %d is missing from the log", request->position()));
    }
    response->set_leaf_index(request->position() - 1);
    response->set_tree_size(*size);
    for (std::string& h : *proof) response->add_hashes(std::move(h));
    *response->mutable_record() = std::move((*record)[0]);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AuditService::GetConsistencyProof(
    grpc::CallbackServerContext* context, const v1::GetConsistencyProofRequest* request,
    v1::ConsistencyProof* response) {
  return Answer(context, auth_, "GetConsistencyProof", [&]() -> absl::Status {
    absl::StatusOr<uint64_t> new_size = SizeOrLatest(*tree_heads_, request->new_size());
    if (!new_size.ok()) return new_size.status();
    absl::StatusOr<std::vector<std::string>> proof =
        store_->ConsistencyProof(request->old_size(), *new_size);
    if (!proof.ok()) return proof.status();
    response->set_old_size(request->old_size());
    response->set_new_size(*new_size);
    for (std::string& h : *proof) response->add_hashes(std::move(h));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AuditService::GetTreeChunkRoots(
    grpc::CallbackServerContext* context, const v1::GetTreeChunkRootsRequest* request,
    v1::TreeChunkRoots* response) {
  return Answer(context, auth_, "GetTreeChunkRoots", [&]() -> absl::Status {
    absl::StatusOr<uint64_t> size = SizeOrLatest(*tree_heads_, request->tree_size());
    if (!size.ok()) return size.status();
    const uint64_t chunk = request->chunk_size();
    if (chunk != 0 && (*size + chunk - 1) / chunk > proofcheck::kMaxChunkRoots) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "chunk_size: %d cuts the tree of %d records into more than %d chunks; ask for %d",
          chunk, *size, proofcheck::kMaxChunkRoots, proofcheck::ChunkSizeFor(*size)));
    }
    absl::StatusOr<std::vector<std::string>> roots = store_->TreeChunkRoots(*size, chunk);
    if (!roots.ok()) return roots.status();
    response->set_tree_size(*size);
    response->set_chunk_size(chunk);
    for (std::string& root : *roots) response->add_roots(std::move(root));
    return absl::OkStatus();
  });
}

}  // namespace tripdesk::services
