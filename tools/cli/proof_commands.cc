// tripdesk audit key / head save / head check: an auditor keeps a signed
// tree head in a file, and later proves with tools/proofcheck alone (the
// kept public key, the proofs, the records) that the log still extends it
// and that a case's records are in it.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include <google/protobuf/text_format.h>
#include <google/protobuf/util/time_util.h>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "tools/cli/case_commands.h"
#include "tools/cli/output.h"
#include "tools/proofcheck/proofcheck.h"
#include "tripdesk/v1/audit.grpc.pb.h"

ABSL_DECLARE_FLAG(std::string, case);

namespace tripdesk::cli {
namespace {

using proofcheck::Hex;

grpc::Status Unary(const Context& ctx, auto rpc, const auto& request, auto* response) {
  auto stub = v1::AuditService::NewStub(ctx.channel);
  grpc::ClientContext context;
  SetDeadline(context);
  return ((*stub).*rpc)(&context, request, response);
}

std::string Describe(const v1::SignedTreeHead& head) {
  return absl::StrCat("size ", head.tree_size(), ", root ", Hex(head.root_hash()), ", signed ",
                      google::protobuf::util::TimeUtil::ToString(head.timestamp()), " by key ",
                      head.key_id().substr(0, 16));
}

// Prints why the check failed and returns the exit code for it.
int Failed(const std::string& why) {
  std::cout << "FAILED: " << why << "\n";
  return 3;
}

std::vector<std::string> Hashes(const google::protobuf::RepeatedPtrField<std::string>& in) {
  return std::vector<std::string>(in.begin(), in.end());
}

// `case_id`'s records written before `head`, each with its inclusion proof
// against it; `why` says what could not be read.
bool BundleFor(const Context& ctx, const std::string& case_id, const v1::KeptTreeHead& head,
               v1::CaseProofBundle& bundle, std::string& why) {
  auto stub = v1::AuditService::NewStub(ctx.channel);
  grpc::ClientContext context;
  SetDeadline(context);
  v1::GetCaseHistoryRequest request;
  request.set_case_id(case_id);
  auto reader = stub->GetCaseHistory(&context, request);
  std::vector<uint64_t> positions;
  v1::HistoryEntry entry;
  while (reader->Read(&entry)) positions.push_back(entry.envelope().position());
  grpc::Status status = reader->Finish();
  if (!status.ok()) {
    why = absl::StrCat("the case history cannot be read: ", status.error_message());
    return false;
  }
  *bundle.mutable_head() = head;
  bundle.set_case_id(case_id);
  for (uint64_t position : positions) {
    if (position > head.head().tree_size()) break;  // written after the head
    v1::GetInclusionProofRequest prove;
    prove.set_position(position);
    prove.set_tree_size(head.head().tree_size());
    status = Unary(ctx, &v1::AuditService::Stub::GetInclusionProof, prove, bundle.add_records());
    if (!status.ok()) {
      why = absl::StrCat("position ", position, ": no inclusion proof: ", status.error_message());
      return false;
    }
  }
  return true;
}

// A fresh signed head and the key the server publishes, checked together.
grpc::Status FreshHead(const Context& ctx, v1::KeptTreeHead& head) {
  v1::LogPublicKey key;
  grpc::Status status =
      Unary(ctx, &v1::AuditService::Stub::GetLogPublicKey, v1::GetLogPublicKeyRequest(), &key);
  if (!status.ok()) return status;
  v1::GetSignedTreeHeadRequest request;
  request.set_fresh(true);
  status = Unary(ctx, &v1::AuditService::Stub::GetSignedTreeHead, request, head.mutable_head());
  if (!status.ok()) return status;
  head.set_public_key_pem(key.pem());
  if (std::string why = proofcheck::CheckTreeHeadSignature(head.head(), key.pem()); !why.empty()) {
    return grpc::Status(grpc::StatusCode::DATA_LOSS, why);
  }
  return grpc::Status::OK;
}

// The head's chunk roots, kept beside it once they fold into its root.
grpc::Status AddChunkRoots(const Context& ctx, v1::KeptTreeHead& kept) {
  v1::GetTreeChunkRootsRequest request;
  request.set_tree_size(kept.head().tree_size());
  request.set_chunk_size(proofcheck::ChunkSizeFor(kept.head().tree_size()));
  v1::TreeChunkRoots roots;
  grpc::Status status = Unary(ctx, &v1::AuditService::Stub::GetTreeChunkRoots, request, &roots);
  if (!status.ok()) return status;
  if (proofcheck::RootFromChunks(Hashes(roots.roots())) != kept.head().root_hash()) {
    return grpc::Status(grpc::StatusCode::DATA_LOSS,
                        "the server's chunk roots do not fold into its signed root");
  }
  kept.set_chunk_size(roots.chunk_size());
  *kept.mutable_chunk_roots() = roots.roots();
  return grpc::Status::OK;
}

// Where the log's first kept-size records first differ from the kept head,
// from its chunk roots: ", the first changed record is at position P" (or a
// chunk's range of positions); empty when no chunk differs.
std::string FirstChange(const Context& ctx, const v1::KeptTreeHead& kept) {
  if (kept.chunk_roots().empty()) {
    return " (this kept head has no chunk roots to name the first changed record: keep heads "
           "with this version's head-save)";
  }
  v1::GetTreeChunkRootsRequest request;
  request.set_tree_size(kept.head().tree_size());
  request.set_chunk_size(kept.chunk_size());
  v1::TreeChunkRoots now;
  grpc::Status status = Unary(ctx, &v1::AuditService::Stub::GetTreeChunkRoots, request, &now);
  if (!status.ok()) return absl::StrCat(" (its chunk roots cannot be read: ", status.error_message(), ")");
  for (int i = 0; i < kept.chunk_roots_size(); ++i) {
    if (i < now.roots_size() && now.roots(i) == kept.chunk_roots(i)) continue;
    const uint64_t first = i * kept.chunk_size() + 1;
    const uint64_t last = std::min(first + kept.chunk_size() - 1, kept.head().tree_size());
    return first == last ? absl::StrCat(", the first changed record is at position ", first)
                         : absl::StrCat(", the first changed record is at a position from ",
                                        first, " to ", last);
  }
  return "";
}

// Reads the auditor's kept head from `path`; false, having said why, when
// it cannot.
bool ReadKept(const std::string& path, v1::KeptTreeHead& kept) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  if (!in || !google::protobuf::TextFormat::ParseFromString(text.str(), &kept)) {
    std::cerr << path << " is not a kept tree head (tripdesk audit head-save writes one)\n";
    return false;
  }
  return true;
}

// Whether the log `now` still holds the kept head's records unchanged;
// prints why not and returns the exit code, or 0 when it does.
int CheckExtends(const Context& ctx, const v1::KeptTreeHead& kept, const v1::SignedTreeHead& now) {
  const uint64_t kept_size = kept.head().tree_size();
  if (now.tree_size() < kept_size) {
    const uint64_t first = now.tree_size() + 1;
    return Failed(absl::StrCat("the log has ", now.tree_size(), " records, fewer than the ",
                               kept_size, " of the kept head: ",
                               first == kept_size
                                   ? absl::StrCat("position ", first, " was")
                                   : absl::StrCat("positions ", first, " to ", kept_size, " were"),
                               " removed"));
  }
  const std::string& key = kept.public_key_pem();
  if (std::string why = proofcheck::CheckTreeHeadSignature(now, key); !why.empty()) {
    const std::string change = FirstChange(ctx, kept);
    return Failed(absl::StrCat(
        "the current head is not signed by the kept key (", why, ")",
        change.empty() ? absl::StrCat("; its first ", kept_size,
                                      " records are unchanged: if the log's key was rotated, "
                                      "confirm the new key with its operator, then keep a new head")
                       : absl::StrCat(" and the log was rewritten", change)));
  }
  v1::GetConsistencyProofRequest consistency;
  consistency.set_old_size(kept_size);
  consistency.set_new_size(now.tree_size());
  v1::ConsistencyProof proof;
  grpc::Status status =
      Unary(ctx, &v1::AuditService::Stub::GetConsistencyProof, consistency, &proof);
  if (!status.ok()) return Fail(status);
  if (!proofcheck::VerifyConsistency(kept_size, now.tree_size(), kept.head().root_hash(),
                                     now.root_hash(), Hashes(proof.hashes()))) {
    return Failed(absl::StrCat("the log no longer extends the kept head: of its first ", kept_size,
                               " records some were changed", FirstChange(ctx, kept)));
  }
  std::cout << "the log extends the kept head (consistency proof of " << proof.hashes_size()
            << " hashes)\n";
  return 0;
}

}  // namespace

int AuditKey(const Context& ctx, const Args&) {
  v1::LogPublicKey key;
  grpc::Status status =
      Unary(ctx, &v1::AuditService::Stub::GetLogPublicKey, v1::GetLogPublicKeyRequest(), &key);
  if (!status.ok()) return Fail(status);
  std::cout << key.pem() << "key id " << key.key_id() << "\n";
  return 0;
}

int AuditHeadSave(const Context& ctx, const Args& args) {
  if (args.size() != 1) {
    std::cerr << "usage: tripdesk audit head-save FILE\n";
    return 2;
  }
  v1::KeptTreeHead kept;
  if (grpc::Status status = FreshHead(ctx, kept); !status.ok()) return Fail(status);
  if (grpc::Status status = AddChunkRoots(ctx, kept); !status.ok()) return Fail(status);
  std::string text;
  google::protobuf::TextFormat::PrintToString(kept, &text);
  std::ofstream out(args[0]);
  out << text;
  if (!out.flush()) {
    std::cerr << "cannot write " << args[0] << "\n";
    return 1;
  }
  std::cout << "kept " << Describe(kept.head()) << " and its " << kept.chunk_roots_size()
            << " chunk roots of " << kept.chunk_size() << " records in " << args[0] << "\n";
  return 0;
}

int AuditHeadCheck(const Context& ctx, const Args& args) {
  if (args.size() != 1) {
    std::cerr << "usage: tripdesk audit head-check FILE [--case=CASE_ID]\n";
    return 2;
  }
  v1::KeptTreeHead kept;
  if (!ReadKept(args[0], kept)) return 2;
  const std::string& key = kept.public_key_pem();
  if (std::string why = proofcheck::CheckTreeHeadSignature(kept.head(), key); !why.empty()) {
    return Failed(absl::StrCat("the kept head: ", why));
  }
  v1::GetSignedTreeHeadRequest request;
  request.set_fresh(true);
  v1::SignedTreeHead now;
  grpc::Status status = Unary(ctx, &v1::AuditService::Stub::GetSignedTreeHead, request, &now);
  if (!status.ok()) return Fail(status);
  std::cout << "kept:    " << Describe(kept.head()) << "\n";
  std::cout << "current: " << Describe(now) << "\n";
  if (int code = CheckExtends(ctx, kept, now); code != 0) return code;
  if (const std::string case_id = absl::GetFlag(FLAGS_case); !case_id.empty()) {
    v1::KeptTreeHead current;
    *current.mutable_head() = now;
    current.set_public_key_pem(key);
    v1::CaseProofBundle bundle;
    std::string why;
    if (!BundleFor(ctx, case_id, current, bundle, why)) return Failed(why);
    int records = 0;
    if (why = proofcheck::CheckCaseBundle(bundle, key, records); !why.empty()) {
      return Failed(absl::StrCat("case ", case_id, ": ", why));
    }
    std::cout << "case " << case_id << ": " << records
              << " records, each chain hash recomputed and proven in the current head\n";
  }
  return 0;
}

int AuditBundle(const Context& ctx, const Args& args) {
  if (args.size() != 2) {
    std::cerr << "usage: tripdesk audit bundle CASE_ID FILE   (check it with tripdesk-proofcheck)\n";
    return 2;
  }
  v1::KeptTreeHead head;
  if (grpc::Status status = FreshHead(ctx, head); !status.ok()) return Fail(status);
  v1::CaseProofBundle bundle;
  std::string why;
  if (!BundleFor(ctx, args[0], head, bundle, why)) return Failed(why);
  std::string text;
  google::protobuf::TextFormat::PrintToString(bundle, &text);
  std::ofstream out(args[1]);
  out << text;
  if (!out.flush()) {
    std::cerr << "cannot write " << args[1] << "\n";
    return 1;
  }
  std::cout << "case " << args[0] << ": " << bundle.records_size() << " records with their proofs "
            << "against " << Describe(head.head()) << " in " << args[1] << "\n";
  return 0;
}

}  // namespace tripdesk::cli
