// tripdesk audit ... and tripdesk admin rebuild: the AuditService from the
// command line.
#include <google/protobuf/util/time_util.h>

#include <iostream>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tools/cli/case_commands.h"
#include "tools/cli/output.h"
#include "tripdesk/v1/audit.grpc.pb.h"

ABSL_FLAG(std::string, case, "", "audit verify: one case instead of the whole log");
ABSL_FLAG(int64_t, revision, -1, "audit replay: the case after this revision");
ABSL_FLAG(uint64_t, position, 0, "audit replay: the case after this log position");
ABSL_FLAG(std::string, at, "", "audit replay: the case at this RFC 3339 instant");
ABSL_FLAG(std::string, format, "jsonl", "audit export: jsonl or csv");
ABSL_FLAG(std::string, view, "", "admin rebuild: cases, reservations, tracker or unit_rentals (default all)");
ABSL_DECLARE_FLAG(std::string, from_date);
ABSL_DECLARE_FLAG(std::string, to_date);
ABSL_DECLARE_FLAG(std::string, company);

namespace tripdesk::cli {
namespace {

// Identity and identity only: audit streams may run longer than a deadline.
std::unique_ptr<grpc::ClientContext> StreamContext() {
  auto context = std::make_unique<grpc::ClientContext>();
  SetDeadline(*context);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::hours(24));
  return context;
}

int Usage(const char* usage) {
  std::cerr << "usage: " << usage << "\n";
  return 2;
}

}  // namespace

int AuditHistory(const Context& ctx, const Args& args) {
  if (args.size() != 1) return Usage("tripdesk audit history CASE_ID");
  auto stub = v1::AuditService::NewStub(ctx.channel);
  auto context = StreamContext();
  v1::GetCaseHistoryRequest request;
  request.set_case_id(args[0]);
  auto reader = stub->GetCaseHistory(context.get(), request);
  v1::HistoryEntry entry;
  Table table({"POSITION", "REV", "EVENT", "RECORDED AT", "ACTOR", "COMMAND", "HASH"});
  while (reader->Read(&entry)) {
    const v1::RecordEnvelope& r = entry.envelope();
    if (ctx.json) {
      std::cout << ToJsonLine(entry) << "\n";
    } else {
      table.Add({absl::StrCat(r.position()), absl::StrCat(r.revision()), r.event_type(),
                 google::protobuf::util::TimeUtil::ToString(r.recorded_at()),
                 absl::StrCat(r.actor_id(), "/", r.actor_role()), r.command_id(),
                 HexPrefix(r.hash(), 12)});
    }
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) return Fail(status);
  if (!ctx.json) std::cout << table.Render();
  return 0;
}

int AuditReplay(const Context& ctx, const Args& args) {
  if (args.size() != 1) {
    return Usage("tripdesk audit replay CASE_ID (--revision=N | --position=N | --at=TIME)");
  }
  v1::ReplayCaseRequest request;
  request.set_case_id(args[0]);
  if (absl::GetFlag(FLAGS_revision) >= 0) {
    request.set_revision(static_cast<uint64_t>(absl::GetFlag(FLAGS_revision)));
  } else if (absl::GetFlag(FLAGS_position) > 0) {
    request.set_position(absl::GetFlag(FLAGS_position));
  } else if (!absl::GetFlag(FLAGS_at).empty()) {
    if (!google::protobuf::util::TimeUtil::FromString(absl::GetFlag(FLAGS_at),
                                                      request.mutable_instant())) {
      std::cerr << "error: --at expects an RFC 3339 time such as 2026-12-01T09:00:00Z\n";
      return 2;
    }
  }
  auto stub = v1::AuditService::NewStub(ctx.channel);
  grpc::ClientContext context;
  SetDeadline(context);
  v1::CaseView view;
  grpc::Status status = stub->ReplayCase(&context, request, &view);
  if (!status.ok()) return Fail(status);
  if (ctx.json) {
    std::cout << ToJsonLine(view) << "\n";
  } else {
    std::cout << "case " << view.case_id() << " at revision " << view.revision() << ": "
              << view.state() << " (queue " << view.queue() << ", updated "
              << google::protobuf::util::TimeUtil::ToString(view.updated_at()) << ")\n";
  }
  return 0;
}

int AuditVerify(const Context& ctx, const Args& args) {
  if (!args.empty()) return Usage("tripdesk audit verify [--case CASE_ID]");
  auto stub = v1::AuditService::NewStub(ctx.channel);
  auto context = StreamContext();
  v1::VerifyLogRequest request;
  request.set_case_id(absl::GetFlag(FLAGS_case));
  auto reader = stub->VerifyLog(context.get(), request);
  v1::VerifyProgress progress;
  v1::VerifyProgress last;
  while (reader->Read(&progress)) {
    if (ctx.json) std::cout << ToJsonLine(progress) << "\n";
    if (!progress.done() && !ctx.json) {
      std::cerr << "checked " << progress.records_checked() << " of " << progress.total() << "\n";
    }
    last = progress;
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) return Fail(status);
  if (last.has_problem()) {
    if (!ctx.json) {
      const v1::VerifyProblem& p = last.problem();
      std::cout << "MISMATCH at position " << p.position() << " ("
                << (p.stream().empty() ? std::string("no stream names it")
                                       : absl::StrCat(p.stream(), " revision ", p.revision()))
                << "): " << p.problem() << "\n";
    }
    return 3;
  }
  if (!ctx.json) std::cout << "OK: " << last.records_checked() << " records verified\n";
  return 0;
}

namespace {

int WriteChunks(std::unique_ptr<grpc::ClientReader<v1::ExportChunk>> reader) {
  v1::ExportChunk chunk;
  while (reader->Read(&chunk)) std::cout << chunk.data();
  std::cout.flush();
  return Fail(reader->Finish());
}

}  // namespace

int AuditExport(const Context& ctx, const Args& args) {
  if (args.size() != 1) return Usage("tripdesk audit export CASE_ID [--format=jsonl|csv]");
  v1::ExportCaseHistoryRequest request;
  request.set_case_id(args[0]);
  const std::string format = absl::GetFlag(FLAGS_format);
  if (format == "jsonl") {
    request.set_format(v1::EXPORT_FORMAT_JSON_LINES);
  } else if (format == "csv") {
    request.set_format(v1::EXPORT_FORMAT_CSV);
  } else {
    return Usage("--format is jsonl or csv");
  }
  auto stub = v1::AuditService::NewStub(ctx.channel);
  auto context = StreamContext();
  return WriteChunks(stub->ExportCaseHistory(context.get(), request));
}

int AuditExportTracker(const Context& ctx, const Args& args) {
  if (!args.empty()) {
    return Usage("tripdesk audit export-tracker [--from_date=D] [--to_date=D] [--company=C]");
  }
  v1::ExportTrackerRequest request;
  request.set_from_date(absl::GetFlag(FLAGS_from_date));
  request.set_to_date(absl::GetFlag(FLAGS_to_date));
  request.set_client_company(absl::GetFlag(FLAGS_company));
  auto stub = v1::AuditService::NewStub(ctx.channel);
  auto context = StreamContext();
  return WriteChunks(stub->ExportTracker(context.get(), request));
}

// tripdesk admin denials: calls refused since the server started.
int AdminDenials(const Context& ctx, const Args&) {
  auto stub = v1::AuditService::NewStub(ctx.channel);
  grpc::ClientContext context;
  SetDeadline(context);
  v1::SecurityCounters counters;
  grpc::Status status = stub->GetSecurityCounters(&context, {}, &counters);
  if (!status.ok()) return Fail(status);
  if (ctx.json) {
    std::cout << ToJsonLine(counters) << "\n";
    return 0;
  }
  Table t({"DENIED", "COUNT"});
  t.Add({"unauthenticated", absl::StrCat(counters.unauthenticated())});
  t.Add({"permission denied", absl::StrCat(counters.permission_denied())});
  t.Add({"rate limited", absl::StrCat(counters.rate_limited())});
  t.Add({"(not logged)", absl::StrCat(counters.denials_not_logged())});
  for (const auto& [rpc, n] : counters.denied_by_rpc()) t.Add({absl::StrCat("  ", rpc), absl::StrCat(n)});
  std::cout << t.Render();
  return 0;
}

int AdminRebuild(const Context& ctx, const Args& args) {
  if (!args.empty()) return Usage("tripdesk admin rebuild [--view=cases|reservations|tracker]");
  v1::RebuildViewsRequest request;
  request.set_view(absl::GetFlag(FLAGS_view));
  auto stub = v1::AuditService::NewStub(ctx.channel);
  auto context = StreamContext();
  auto reader = stub->RebuildViews(context.get(), request);
  v1::RebuildProgress progress;
  while (reader->Read(&progress)) {
    if (ctx.json) {
      std::cout << ToJsonLine(progress) << "\n";
    } else {
      std::cout << progress.view() << ": " << progress.checkpoint() << " of " << progress.target()
                << (progress.done() ? " (done)" : "") << "\n";
    }
  }
  return Fail(reader->Finish());
}

// tripdesk admin scan-card-numbers: the records holding what looks like a
// card number, by position, case and field; exit 3 when there are any.
int AdminScanCardNumbers(const Context& ctx, const Args& args) {
  if (!args.empty()) return Usage("tripdesk admin scan-card-numbers");
  auto stub = v1::AuditService::NewStub(ctx.channel);
  auto context = StreamContext();
  auto reader = stub->ScanForCardNumbers(context.get(), v1::ScanForCardNumbersRequest());
  v1::CardNumberScanProgress progress;
  v1::CardNumberScanProgress last;
  Table table({"POSITION", "CASE", "STREAM@REV", "EVENT", "RECORDED AT", "FIELDS"});
  while (reader->Read(&progress)) {
    if (ctx.json) {
      std::cout << ToJsonLine(progress) << "\n";
    } else if (progress.has_finding()) {
      const v1::CardNumberFinding& f = progress.finding();
      table.Add({absl::StrCat(f.position()), f.case_id(), absl::StrCat(f.stream(), "@", f.revision()),
                 f.event_type(), google::protobuf::util::TimeUtil::ToString(f.recorded_at()),
                 absl::StrJoin(f.fields(), ", ")});
    } else if (!progress.done()) {
      std::cerr << "scanned " << progress.records_scanned() << " of " << progress.total() << "\n";
    }
    last = progress;
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) return Fail(status);
  if (!ctx.json) {
    if (last.findings() > 0) std::cout << table.Render();
    std::cout << last.records_scanned() << " records scanned, " << last.findings()
              << " hold what looks like a card number\n";
  }
  return last.findings() > 0 ? 3 : 0;
}

}  // namespace tripdesk::cli
