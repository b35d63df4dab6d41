// The tripdesk CLI's commands: what each subcommand does with the server.
#ifndef TRIPDESK_TOOLS_CLI_CASE_COMMANDS_H_
#define TRIPDESK_TOOLS_CLI_CASE_COMMANDS_H_

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

namespace tripdesk::cli {

using Args = std::vector<std::string>;

struct Context {
  std::shared_ptr<grpc::Channel> channel;
  bool json = false;
  // --field=value words that are not CLI flags: a command's fields.
  Args fields;
};

// Deadline from --timeout_seconds, identity from --actor/--role.
void SetDeadline(grpc::ClientContext& context);

int CaseOpen(const Context& ctx, const Args& args);
int CaseShow(const Context& ctx, const Args& args);
int CaseList(const Context& ctx, const Args& args);
int CaseFind(const Context& ctx, const Args& args);
int CaseNotes(const Context& ctx, const Args& args);
int CaseCommandList(const Context& ctx, const Args& args);
int ReservationShow(const Context& ctx, const Args& args);
int TrackerList(const Context& ctx, const Args& args);
int UnitsAvailable(const Context& ctx, const Args& args);
// The fleet's views (fleet_commands.cc); their filters are the request's
// fields: --from_date=... --asset_id=... --awaiting_approval=true.
int FleetBookings(const Context& ctx, const Args& args);
int FleetAvailability(const Context& ctx, const Args& args);
int FleetAccounts(const Context& ctx, const Args& args);
int ReferenceShow(const Context& ctx, const Args& args);
int AuditHistory(const Context& ctx, const Args& args);
int AuditReplay(const Context& ctx, const Args& args);
// Exits 3 when the log does not verify.
int AuditVerify(const Context& ctx, const Args& args);
int AuditExport(const Context& ctx, const Args& args);
// Tamper evidence (proof_commands.cc): the log's key, a kept head, a check
// of the log against it. head-check exits 3 when a check fails.
int AuditKey(const Context& ctx, const Args& args);
int ClockShow(const Context& ctx, const Args& args);
int DeadlinesList(const Context& ctx, const Args& args);
int ClockSet(const Context& ctx, const Args& args);
int ClockAdvance(const Context& ctx, const Args& args);
int AuditHeadSave(const Context& ctx, const Args& args);
int AuditHeadCheck(const Context& ctx, const Args& args);
int AuditBundle(const Context& ctx, const Args& args);
int AuditExportTracker(const Context& ctx, const Args& args);
int AdminRebuild(const Context& ctx, const Args& args);
int AdminDenials(const Context& ctx, const Args& args);
int AdminScanCardNumbers(const Context& ctx, const Args& args);
// tripdesk case COMMAND CASE_ID --field=value...
int CaseCommand(const Context& ctx, const std::string& command, const Args& args);

}  // namespace tripdesk::cli

#endif  // TRIPDESK_TOOLS_CLI_CASE_COMMANDS_H_
