#include "tools/cli/case_commands.h"

#include <google/protobuf/text_format.h>
#include <google/protobuf/util/time_util.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "tools/cli/field_flags.h"
#include "tools/cli/output.h"
#include "tools/client_credentials.h"
#include "tripdesk/v1/cases.grpc.pb.h"
#include "workflows/money.h"

ABSL_DECLARE_FLAG(int64_t, timeout_seconds);
ABSL_DECLARE_FLAG(std::string, token);
ABSL_DECLARE_FLAG(std::string, as);
ABSL_DECLARE_FLAG(std::string, dev_dir);
ABSL_DECLARE_FLAG(std::string, command_id);
ABSL_DECLARE_FLAG(std::string, case_id);
ABSL_DECLARE_FLAG(int64_t, expected_revision);
ABSL_DECLARE_FLAG(uint64_t, min_position);
ABSL_DECLARE_FLAG(std::string, state);
ABSL_DECLARE_FLAG(std::string, queue);
ABSL_DECLARE_FLAG(std::string, agent);
ABSL_DECLARE_FLAG(std::string, updated_since);
ABSL_DECLARE_FLAG(uint32_t, page_size);
ABSL_DECLARE_FLAG(std::string, page_token);
ABSL_DECLARE_FLAG(std::string, from_date);
ABSL_DECLARE_FLAG(std::string, to_date);
ABSL_DECLARE_FLAG(std::string, company);
ABSL_DECLARE_FLAG(std::string, customer);
ABSL_DECLARE_FLAG(std::string, client_company);
ABSL_DECLARE_FLAG(std::string, reference);
ABSL_DECLARE_FLAG(std::string, travel_from);
ABSL_DECLARE_FLAG(std::string, travel_to);
ABSL_DECLARE_FLAG(std::string, destination);
ABSL_DECLARE_FLAG(std::string, priority);
ABSL_DECLARE_FLAG(std::string, tag);
ABSL_DECLARE_FLAG(bool, waiting_on_customer);
ABSL_FLAG(std::string, workflow, "",
          "case open: the workflow of the case ('tripdesk case commands' lists them; the server's "
          "first by default); other commands: the workflow when a name is shared");
ABSL_FLAG(std::string, kind, "",
          "case find: the kind of reference; deadlines: the kind of deadline, e.g. "
          "sla.first_response.breach (every kind when empty)");
ABSL_FLAG(std::string, due_before, "", "deadlines: due at or before this RFC 3339 instant");
ABSL_FLAG(bool, breached, false, "deadlines: the breached SLAs of open cases instead");
ABSL_FLAG(bool, preview, false,
          "case commands: show what the command would do (its events, the case after it, an RV "
          "estimate with its alternate-dates columns) and write nothing");

namespace tripdesk::cli {
namespace {

using google::protobuf::util::TimeUtil;

std::string CommandId() {
  std::string id = absl::GetFlag(FLAGS_command_id);
  if (!id.empty()) return id;
  unsigned char bytes[8];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) return "";
  return absl::StrCat("cli-", absl::BytesToHexString(
                                  absl::string_view(reinterpret_cast<const char*>(bytes), 8)));
}

std::string Time(const google::protobuf::Timestamp& ts) {
  return ts.seconds() == 0 ? "" : TimeUtil::ToString(ts);
}

std::string Money(const v1::Money& m) { return m.currency().empty() ? "" : workflows::FormatMoney(m); }

void PrintCase(const v1::CaseView& v) {
  Table t({"FIELD", "VALUE"});
  t.Add({"case", v.case_id()});
  t.Add({"workflow", v1::Workflow_Name(v.workflow())});
  t.Add({"state", absl::StrCat(v.state(), v.open() ? " (open)" : " (closed)")});
  t.Add({"customer", absl::StrCat(v.customer().name(), " <", v.customer().email(), ">")});
  if (v.workflow() == v1::WORKFLOW_MANUAL_CAR_BOOKING) {
    t.Add({"company", v.client_company()});
    t.Add({"channel", v1::Channel_Name(v.channel())});
    t.Add({"ticket", absl::StrCat(v.ticket_ref(), " in ", v.queue())});
  } else {
    t.Add({"queue", v.queue()});
  }
  t.Add({"agent", v.assigned_agent()});
  t.Add({"status", absl::StrCat(v1::CaseStatus_Name(v.status()), ", priority ",
                                v1::CasePriority_Name(v.priority()))});
  if (!v.tags().empty()) t.Add({"tags", absl::StrJoin(v.tags(), ", ")});
  for (const v1::CaseReference& r : v.references()) t.Add({r.kind(), r.value()});
  if (!v.linked_cases().empty()) t.Add({"linked", absl::StrJoin(v.linked_cases(), ", ")});
  for (const v1::SlaClock& s : v.sla()) {
    std::string status = v1::SlaStatus_Name(s.status()).substr(strlen("SLA_STATUS_"));
    if (s.breached()) absl::StrAppend(&status, ", BREACHED");
    if (s.warned() && !s.breached()) absl::StrAppend(&status, ", warned");
    t.Add({absl::StrCat("sla ", s.metric()),
           absl::StrCat(status, s.status() == v1::SLA_STATUS_PAUSED ? "" : ", due " + Time(s.due_at()),
                        " (", s.policy(), ", ", s.calendar(), ")")});
  }
  for (const v1::PendingTimer& d : v.deadlines()) {
    t.Add({absl::StrCat("deadline ", d.kind()),
           absl::StrCat(Time(d.due_at()), " (", d.due_local(), " ", d.zone(), ")")});
  }
  t.Add({"revision", absl::StrCat(v.revision(), " (log position ", v.last_position(), ")")});
  t.Add({"created", Time(v.created_at())});
  t.Add({"updated", Time(v.updated_at())});
  t.Add({"next", absl::StrJoin(v.allowed_commands(), ", ")});
  t.Add({"any case", absl::StrJoin(v.allowed_case_steps(), ", ")});
  t.Add({"notes", absl::StrCat(v.note_count(), v.note_count() > static_cast<uint64_t>(v.notes_size())
                                                   ? " (the last shown; tripdesk case notes CASE_ID)"
                                                   : "")});
  std::cout << t.Render();
  for (const v1::CaseNote& n : v.notes()) {
    std::cout << "note " << Time(n.at()) << " " << n.author() << ": " << n.text() << "\n";
  }
}

void Identify(grpc::ClientContext& context) {
  absl::StatusOr<std::string> token = tripdesk::tools::TokenFor(
      absl::GetFlag(FLAGS_token), absl::GetFlag(FLAGS_as), absl::GetFlag(FLAGS_dev_dir));
  // Without a token the call goes out bare and the server says UNAUTHENTICATED.
  if (!token.ok()) {
    std::cerr << "warning: " << token.status().message() << "\n";
    return;
  }
  context.AddMetadata("authorization", "Bearer " + *token);
}


// An RV estimate as the seed's estimate screen shows it: one column, or
// with alternate dates three (the dates asked for in the middle).
void PrintEstimate(const v1::RvReservationDetail& rv) {
  std::vector<const v1::RvEstimate*> columns = {&rv.estimate()};
  if (rv.alternates_size() == 2) columns = {&rv.alternates(0), &rv.estimate(), &rv.alternates(1)};
  std::vector<std::string> header = {"ROLL DATE"};
  for (size_t i = 0; i < columns.size(); ++i) {
    header.push_back(columns.size() == 1 ? columns[i]->pick_up_date()
                                         : absl::StrCat(i + 1, "=", columns[i]->pick_up_date()));
  }
  Table t(header);
  std::vector<std::string> labels;
  for (const v1::RvEstimate* e : columns) {
    for (const v1::RvEstimateLine& line : e->lines()) {
      if (std::find(labels.begin(), labels.end(), line.label()) == labels.end()) labels.push_back(line.label());
    }
  }
  for (const std::string& label : labels) {
    std::vector<std::string> row = {label};
    for (const v1::RvEstimate* e : columns) {
      std::string cell;
      for (const v1::RvEstimateLine& line : e->lines()) {
        if (line.label() == label) cell = workflows::FormatAmount(line.amount());
      }
      row.push_back(cell);
    }
    t.Add(row);
  }
  std::vector<std::string> total = {"TOTAL"};
  for (const v1::RvEstimate* e : columns) total.push_back(workflows::FormatAmount(e->total()));
  t.Add(total);
  std::cout << t.Render();
  if (columns.size() == 3) std::cout << "CHOOSE COLUMN 1/2/3: save with --choose_column=N\n";
}

// A fleet booking as the wizard stands: the choices, the billing summary,
// the ids the server gave, the booking reference.
void PrintFleet(const v1::FleetBookingState& f) {
  Table t({"FLEET", "VALUE"});
  t.Add({"stage", v1::FleetStage_Name(f.stage())});
  t.Add({"start", f.start_local()});
  if (!f.asset().id().empty()) {
    t.Add({"asset", absl::StrCat(f.asset().id(), " (", f.asset().asset_class(), ", ",
                                 f.asset().description(), ") at ", f.asset().location())});
  }
  if (f.has_options()) {
    const v1::FleetOptionsChosen& o = f.options();
    t.Add({"end", o.end_local()});
    t.Add({"options", absl::StrCat(o.duration_label(), ", ", o.mileage_label(),
                                   o.extra_ids().empty() ? "" : ", extras: ",
                                   absl::StrJoin(o.extra_ids(), ", "))});
    for (const v1::FleetBillingLine& line : o.billing().lines()) {
      t.Add({absl::StrCat("  ", line.label()), Money(line.amount())});
    }
    t.Add({"  subtotal", Money(o.billing().subtotal())});
    if (!o.billing().promo_code().empty()) {
      t.Add({absl::StrCat("  promo ", o.billing().promo_code()), Money(o.billing().discount())});
    }
    t.Add({"  tax", Money(o.billing().tax())});
    t.Add({"  total", Money(o.billing().total())});
  }
  if (!f.added_account_id().empty()) t.Add({"account added", f.added_account_id()});
  if (!f.added_driver_id().empty()) t.Add({"driver added", f.added_driver_id()});
  if (!f.account_id().empty()) t.Add({"account", absl::StrCat(f.account_name(), " (", f.account_id(), ")")});
  if (!f.driver_id().empty()) t.Add({"driver", absl::StrCat(f.driver_name(), " (", f.driver_id(), ")")});
  if (!f.handover_mode().empty()) t.Add({"handover", f.handover_mode()});
  if (!f.booking_reference().empty()) t.Add({"booking reference", f.booking_reference()});
  std::cout << t.Render();
}

// A flight change: the booking, its old and new itinerary, the cost, the
// documents issued.
void PrintFlightChange(const v1::FlightChangeState& fc) {
  auto flights = [](const v1::FlightItinerary& it) -> std::string {
    if (it.segments().empty()) return "";
    std::vector<std::string> out;
    for (const v1::FlightSegment& s : it.segments()) {
      out.push_back(absl::StrCat(s.airline(), s.flight_number(), " ", s.origin(), "-", s.destination(), " ",
                                 s.departure()));
    }
    return absl::StrCat(absl::StrJoin(out, ", "), " (fare ", Money(it.fare()), " + taxes ", Money(it.taxes()), ")");
  };
  Table t({"CHANGE", "VALUE"});
  t.Add({"stage", v1::FlightChangeStage_Name(fc.stage())});
  t.Add({"booking", absl::StrCat(fc.booking().booking_reference(), " (", fc.booking().airline(), " ",
                                 fc.booking().fare_family(), ")")});
  t.Add({"old itinerary", flights(fc.booking().itinerary())});
  if (fc.has_chosen()) t.Add({"new itinerary", flights(fc.chosen().itinerary())});
  if (fc.has_cost()) {
    const v1::ChangeCostComputed& c = fc.cost();
    t.Add({"change fee", absl::StrCat(Money(c.change_fee()), c.fee_waived() ? " (waived)" : "")});
    t.Add({"fare / tax difference", absl::StrCat(Money(c.fare_difference()), " / ", Money(c.tax_difference()))});
    t.Add({"due", Money(c.due())});
    if (c.residual().minor_units() > 0) {
      t.Add({"residual", absl::StrCat(Money(c.residual()), " ", v1::ResidualTreatment_Name(c.residual_treatment()))});
    }
  }
  if (fc.has_payment()) t.Add({"paid", absl::StrCat(Money(fc.payment().amount()), " card ..", fc.payment().card().last4())});
  if (fc.has_update()) {
    t.Add({"issued", fc.update().ticket_numbers().empty() ? fc.update().confirmation_number()
                                                          : absl::StrJoin(fc.update().ticket_numbers(), ", ")});
  }
  if (fc.has_itinerary_sent()) t.Add({"itinerary sent", fc.itinerary_sent().to()});
  if (fc.has_declined()) t.Add({"declined at", fc.declined().at()});
  std::cout << t.Render();
}

int PrintPreview(const Context& ctx, const grpc::Status& status, const v1::CommandPreview& preview) {
  if (!status.ok()) return Fail(status);
  if (ctx.json) {
    std::cout << ToJsonLine(preview) << "\n";
    return 0;
  }
  std::cout << "preview (nothing written): case " << preview.case_id() << " would record";
  for (const v1::CaseEvent& e : preview.events()) {
    const google::protobuf::Reflection* r = e.GetReflection();
    const google::protobuf::FieldDescriptor* workflow =
        r->GetOneofFieldDescriptor(e, e.GetDescriptor()->oneof_decl(0));
    const google::protobuf::Message& inner = r->GetMessage(e, workflow);
    const google::protobuf::FieldDescriptor* which = inner.GetReflection()->GetOneofFieldDescriptor(
        inner, inner.GetDescriptor()->oneof_decl(0));
    std::cout << " " << (which != nullptr ? which->message_type()->name() : "?");
  }
  if (preview.events().empty()) std::cout << " nothing (already done)";
  std::cout << "\n";
  PrintCase(preview.view());
  if (preview.reservation().has_rv()) PrintEstimate(preview.reservation().rv());
  return 0;
}

int PrintReply(const Context& ctx, const grpc::Status& status, const v1::CommandReply& reply,
               const std::string& command_id) {
  if (!status.ok()) return Fail(status);
  if (ctx.json) {
    std::cout << ToJsonLine(reply) << "\n";
    return 0;
  }
  std::cout << (reply.duplicate() ? "already done (retry of " : "done (command ") << command_id
            << "): case " << reply.case_id() << " at revision " << reply.revision()
            << ", log position " << reply.last_position() << "\n";
  PrintCase(reply.view());
  if (reply.reservation().has_fleet()) PrintFleet(reply.reservation().fleet());
  if (reply.reservation().has_flight_change()) PrintFlightChange(reply.reservation().flight_change());
  return 0;
}

// Calls one CaseService RPC with the deadline and identity set.
template <typename Request, typename Response>
grpc::Status CallCases(const Context& ctx,
                       grpc::Status (v1::CaseService::Stub::*rpc)(grpc::ClientContext*,
                                                                  const Request&, Response*),
                       const Request& request, Response* response) {
  auto stub = v1::CaseService::NewStub(ctx.channel);
  grpc::ClientContext context;
  SetDeadline(context);
  return (stub.get()->*rpc)(&context, request, response);
}

}  // namespace

void SetDeadline(grpc::ClientContext& context) {
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(absl::GetFlag(FLAGS_timeout_seconds)));
  Identify(context);
}

namespace {

// A workflow's command, found by name among every workflow's commands.
struct CommandField {
  const google::protobuf::FieldDescriptor* workflow;  // in CaseCommand
  const google::protobuf::FieldDescriptor* command;   // in the workflow's command
};

absl::StatusOr<CommandField> FindCommand(const std::string& name,
                                        const std::string& wanted = absl::GetFlag(FLAGS_workflow)) {
  const google::protobuf::Descriptor* root = v1::CaseCommand::descriptor();
  std::vector<CommandField> found;
  std::vector<std::string> workflows;
  for (int i = 0; i < root->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* w = root->field(i);
    workflows.push_back(w->name());
    if (!wanted.empty() && w->name() != wanted) continue;
    if (const auto* c = w->message_type()->FindFieldByName(name)) found.push_back({w, c});
  }
  if (!wanted.empty() && std::find(workflows.begin(), workflows.end(), wanted) == workflows.end()) {
    return absl::InvalidArgumentError(absl::StrCat("--workflow: '", wanted, "' is not one of ",
                                                   absl::StrJoin(workflows, ", ")));
  }
  if (found.empty()) {
    return absl::NotFoundError(absl::StrCat("no case command '", name, "'"));
  }
  // A name shared with a step every case has means that step (it applies
  // to a case of any workflow); --workflow picks a workflow's own.
  if (found.size() > 1 && wanted.empty()) {
    for (const CommandField& f : found) {
      if (f.workflow->message_type() == v1::CaseStepCommand::descriptor()) return f;
    }
  }
  if (found.size() > 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, " is a command of several workflows: add --workflow=",
        absl::StrJoin(found, " or --workflow=", [](std::string* out, const CommandField& f) {
          out->append(f.workflow->name());
        })));
  }
  return found[0];
}

// The workflows and their declared steps, from the server.
absl::StatusOr<v1::DescribeWorkflowsResponse> Describe(const Context& ctx) {
  v1::DescribeWorkflowsResponse described;
  grpc::Status status = CallCases(ctx, &v1::CaseService::Stub::DescribeWorkflows,
                                  v1::DescribeWorkflowsRequest(), &described);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        absl::StrCat("DescribeWorkflows: ", status.error_message()));
  }
  return described;
}

// Fills the command's fields from --field=value words into `out`.
absl::Status BuildCommand(const Context& ctx, const CommandField& f, v1::CaseCommand& out) {
  google::protobuf::Message* workflow = out.GetReflection()->MutableMessage(&out, f.workflow);
  google::protobuf::Message* body = workflow->GetReflection()->MutableMessage(workflow, f.command);
  return SetFields(ctx.fields, *body);
}

}  // namespace

int CaseOpen(const Context& ctx, const Args& args) {
  if (!args.empty()) {
    std::cerr << "usage: tripdesk case open [--workflow=rv] --field=value ... (see "
                 "'tripdesk case commands')\n";
    return 2;
  }
  // The workflow's opening command, as the server declares it.
  absl::StatusOr<v1::DescribeWorkflowsResponse> described = Describe(ctx);
  if (!described.ok()) {
    std::cerr << "error: " << described.status().message() << "\n";
    return 1;
  }
  const std::string wanted = absl::GetFlag(FLAGS_workflow);
  std::string opening_name;
  std::string opening_workflow;
  std::vector<std::string> names;
  for (const v1::WorkflowDescription& w : described->workflows()) {
    names.push_back(w.name());
    // The first workflow is the default.
    if ((!wanted.empty() && w.name() != wanted) || !opening_name.empty()) continue;
    for (const v1::WorkflowStep& step : w.steps()) {
      if (step.opens() && opening_name.empty()) {
        opening_name = step.command();
        opening_workflow = w.name();
      }
    }
  }
  if (opening_name.empty()) {
    std::cerr << "error: --workflow: '" << wanted << "' is not one of " << absl::StrJoin(names, ", ")
              << "\n";
    return 2;
  }
  absl::StatusOr<CommandField> opening = FindCommand(opening_name, opening_workflow);
  if (!opening.ok()) {
    std::cerr << "error: " << opening.status().message() << "\n";
    return 2;
  }
  v1::OpenCaseRequest request;
  request.set_case_id(absl::GetFlag(FLAGS_case_id));
  request.set_command_id(CommandId());
  if (absl::Status s = BuildCommand(ctx, *opening, *request.mutable_command()); !s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return 2;
  }
  if (absl::GetFlag(FLAGS_preview)) {
    v1::PreviewCommandRequest preview;
    preview.set_case_id(request.case_id());
    preview.set_open(true);
    *preview.mutable_command() = request.command();
    v1::CommandPreview answer;
    return PrintPreview(ctx, CallCases(ctx, &v1::CaseService::Stub::PreviewCommand, preview, &answer),
                        answer);
  }
  v1::CommandReply reply;
  grpc::Status status = CallCases(ctx, &v1::CaseService::Stub::OpenCase, request, &reply);
  return PrintReply(ctx, status, reply, request.command_id());
}

int CaseCommand(const Context& ctx, const std::string& name, const Args& args) {
  const std::string command_name = absl::StrReplaceAll(name, {{"-", "_"}});
  absl::StatusOr<CommandField> field = FindCommand(command_name);
  if (!field.ok() || args.size() != 1) {
    std::cerr << (field.ok() ? std::string() : absl::StrCat(field.status().message(), "\n"))
              << "usage: tripdesk case COMMAND CASE_ID [--field=value ...]; "
                 "'tripdesk case commands' lists them\n";
    return 2;
  }
  v1::SubmitCommandRequest request;
  request.set_case_id(args[0]);
  request.set_command_id(CommandId());
  if (absl::GetFlag(FLAGS_expected_revision) >= 0) {
    request.set_expected_revision(static_cast<uint64_t>(absl::GetFlag(FLAGS_expected_revision)));
  }
  if (absl::Status s = BuildCommand(ctx, *field, *request.mutable_command()); !s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return 2;
  }
  if (absl::GetFlag(FLAGS_preview)) {
    v1::PreviewCommandRequest preview;
    preview.set_case_id(request.case_id());
    *preview.mutable_command() = request.command();
    v1::CommandPreview answer;
    return PrintPreview(ctx, CallCases(ctx, &v1::CaseService::Stub::PreviewCommand, preview, &answer),
                        answer);
  }
  v1::CommandReply reply;
  grpc::Status status = CallCases(ctx, &v1::CaseService::Stub::SubmitCommand, request, &reply);
  return PrintReply(ctx, status, reply, request.command_id());
}

int CaseCommandList(const Context& ctx, const Args&) {
  absl::StatusOr<v1::DescribeWorkflowsResponse> described = Describe(ctx);
  if (!described.ok()) {
    std::cerr << "error: " << described.status().message() << "\n";
    return 1;
  }
  if (ctx.json) {
    std::cout << ToJsonLine(*described) << "\n";
    return 0;
  }
  for (const v1::WorkflowDescription& w : described->workflows()) {
    std::cout << "# --workflow=" << w.name() << "\n";
    for (const v1::WorkflowStep& step : w.steps()) {
      absl::StatusOr<CommandField> field = FindCommand(step.command(), w.name());
      std::cout << "case " << step.command() << (step.opens() ? " (or case open)" : "");
      if (field.ok()) {
        for (const std::string& path : FieldPaths(*field->command->message_type())) {
          std::cout << " --" << path;
        }
      }
      std::cout << "\n    roles: " << absl::StrJoin(step.roles(), ", ")
                << "; after: " << absl::StrJoin(step.from_stages(), ", ") << "\n";
    }
  }
  return 0;
}

int UnitsAvailable(const Context& ctx, const Args& args) {
  if (args.size() != 1) {
    std::cerr << "usage: tripdesk units available CLASS --from_date=YYYY-MM-DD --to_date=YYYY-MM-DD\n";
    return 2;
  }
  v1::ListAvailableUnitsRequest request;
  request.set_class_code(args[0]);
  request.set_from_date(absl::GetFlag(FLAGS_from_date));
  request.set_to_date(absl::GetFlag(FLAGS_to_date));
  request.set_min_position(absl::GetFlag(FLAGS_min_position));
  v1::ListAvailableUnitsResponse response;
  grpc::Status status =
      CallCases(ctx, &v1::CaseService::Stub::ListAvailableUnits, request, &response);
  if (!status.ok()) return Fail(status);
  if (ctx.json) {
    for (const v1::AvailableUnit& unit : response.units()) std::cout << ToJsonLine(unit) << "\n";
    return 0;
  }
  Table t({"UNIT", "CLASS", "LOCATION"});
  for (const v1::AvailableUnit& unit : response.units()) {
    t.Add({unit.vehicle_number(), unit.class_code(), unit.location()});
  }
  std::cout << t.Render();
  return 0;
}

int ReferenceShow(const Context& ctx, const Args& args) {
  if (args.size() > 1) {
    std::cerr << "usage: tripdesk reference [car_booking|rv]\n";
    return 2;
  }
  v1::GetReferenceDataRequest request;
  if (!args.empty()) request.set_section(args[0]);
  v1::ReferenceData data;
  grpc::Status status = CallCases(ctx, &v1::CaseService::Stub::GetReferenceData, request, &data);
  if (!status.ok()) return Fail(status);
  if (ctx.json) {
    std::cout << ToJsonLine(data) << "\n";
    return 0;
  }
  // The reference file's own format: what a command's codes may be.
  std::string text;
  google::protobuf::TextFormat::PrintToString(data, &text);
  std::cout << text;
  return 0;
}

int CaseShow(const Context& ctx, const Args& args) {
  if (args.size() != 1) {
    std::cerr << "usage: tripdesk case show CASE_ID [--min_position=N]\n";
    return 2;
  }
  v1::GetCaseRequest request;
  request.set_case_id(args[0]);
  request.set_min_position(absl::GetFlag(FLAGS_min_position));
  v1::CaseView view;
  grpc::Status status = CallCases(ctx, &v1::CaseService::Stub::GetCase, request, &view);
  if (!status.ok()) return Fail(status);
  if (ctx.json) {
    std::cout << ToJsonLine(view) << "\n";
  } else {
    PrintCase(view);
  }
  return 0;
}

int CaseFind(const Context& ctx, const Args& args) {
  if (args.size() != 1) {
    std::cerr << "usage: tripdesk case find REFERENCE [--kind=confirmation_number|ra_number|...]\n";
    return 2;
  }
  v1::FindCaseByReferenceRequest request;
  request.set_value(args[0]);
  request.set_kind(absl::GetFlag(FLAGS_kind));
  v1::FindCaseByReferenceResponse response;
  grpc::Status status =
      CallCases(ctx, &v1::CaseService::Stub::FindCaseByReference, request, &response);
  if (!status.ok()) return Fail(status);
  if (ctx.json) {
    std::cout << ToJsonLine(response) << "\n";
    return 0;
  }
  Table t({"KIND", "REFERENCE", "CASE", "HELD"});
  for (const v1::ReferenceState& h : response.holders()) {
    t.Add({h.kind(), h.value(), h.case_id(), h.held() ? "yes" : "no (released)"});
  }
  std::cout << t.Render();
  return 0;
}

int CaseNotes(const Context& ctx, const Args& args) {
  if (args.size() != 1) {
    std::cerr << "usage: tripdesk case notes CASE_ID [--page_size=N] [--page_token=T]\n";
    return 2;
  }
  v1::ListNotesRequest request;
  request.set_case_id(args[0]);
  request.set_page_size(absl::GetFlag(FLAGS_page_size));
  request.set_page_token(absl::GetFlag(FLAGS_page_token));
  request.set_min_position(absl::GetFlag(FLAGS_min_position));
  v1::ListNotesResponse response;
  grpc::Status status = CallCases(ctx, &v1::CaseService::Stub::ListNotes, request, &response);
  if (!status.ok()) return Fail(status);
  if (ctx.json) {
    std::cout << ToJsonLine(response) << "\n";
    return 0;
  }
  std::cout << response.note_count() << " notes, newest first\n";
  for (const v1::CaseNote& n : response.notes()) {
    std::cout << "#" << n.number() << " " << Time(n.at()) << " " << n.author() << ": " << n.text()
              << "\n";
  }
  if (!response.next_page_token().empty()) {
    std::cout << "more: --page_token=" << response.next_page_token() << "\n";
  }
  return 0;
}

int CaseList(const Context& ctx, const Args&) {
  v1::ListCasesRequest request;
  request.set_state(absl::GetFlag(FLAGS_state));
  request.set_queue(absl::GetFlag(FLAGS_queue));
  request.set_assigned_agent(absl::GetFlag(FLAGS_agent));
  request.set_customer(absl::GetFlag(FLAGS_customer));
  request.set_client_company(absl::GetFlag(FLAGS_client_company));
  request.set_reference(absl::GetFlag(FLAGS_reference));
  request.set_travel_from(absl::GetFlag(FLAGS_travel_from));
  request.set_travel_to(absl::GetFlag(FLAGS_travel_to));
  request.set_destination(absl::GetFlag(FLAGS_destination));
  request.set_tag(absl::GetFlag(FLAGS_tag));
  request.set_waiting_on_customer(absl::GetFlag(FLAGS_waiting_on_customer));
  if (const std::string p = absl::AsciiStrToUpper(absl::GetFlag(FLAGS_priority)); !p.empty()) {
    v1::CasePriority priority;
    if (!v1::CasePriority_Parse(absl::StartsWith(p, "CASE_PRIORITY_") ? p : "CASE_PRIORITY_" + p,
                                &priority)) {
      std::cerr << "error: --priority takes low, normal, high or urgent\n";
      return 2;
    }
    request.set_priority(priority);
  }
  request.set_page_size(absl::GetFlag(FLAGS_page_size));
  request.set_page_token(absl::GetFlag(FLAGS_page_token));
  request.set_min_position(absl::GetFlag(FLAGS_min_position));
  if (!absl::GetFlag(FLAGS_updated_since).empty() &&
      !TimeUtil::FromString(absl::GetFlag(FLAGS_updated_since), request.mutable_updated_since())) {
    std::cerr << "error: --updated_since expects an RFC 3339 time\n";
    return 2;
  }
  v1::ListCasesResponse response;
  grpc::Status status = CallCases(ctx, &v1::CaseService::Stub::ListCases, request, &response);
  if (!status.ok()) return Fail(status);
  if (ctx.json) {
    for (const v1::CaseView& v : response.cases()) std::cout << ToJsonLine(v) << "\n";
  } else {
    Table t({"CASE", "STATE", "COMPANY", "CUSTOMER", "QUEUE", "AGENT", "UPDATED"});
    for (const v1::CaseView& v : response.cases()) {
      t.Add({v.case_id(), v.state(), v.client_company(), v.customer().name(), v.queue(),
             v.assigned_agent(), Time(v.updated_at())});
    }
    std::cout << t.Render();
  }
  if (!response.next_page_token().empty()) {
    std::cerr << "more: --page_token=" << response.next_page_token() << "\n";
  }
  return 0;
}

int ReservationShow(const Context& ctx, const Args& args) {
  if (args.size() != 1) {
    std::cerr << "usage: tripdesk reservation show CASE_ID\n";
    return 2;
  }
  v1::GetReservationRequest request;
  request.set_case_id(args[0]);
  request.set_min_position(absl::GetFlag(FLAGS_min_position));
  v1::ReservationView r;
  grpc::Status status = CallCases(ctx, &v1::CaseService::Stub::GetReservation, request, &r);
  if (!status.ok()) return Fail(status);
  if (ctx.json) {
    std::cout << ToJsonLine(r) << "\n";
    return 0;
  }
  Table t({"FIELD", "VALUE"});
  t.Add({"case", r.case_id()});
  if (r.has_rv()) {  // an RV reservation and its rental agreement
    const v1::RvReservationDetail& rv = r.rv();
    t.Add({"stage", v1::RvStage_Name(rv.stage())});
    t.Add({"pick-up", absl::StrCat(rv.pick_up().location(), " ", rv.pick_up().date(), " ", rv.pick_up().time())});
    t.Add({"return", absl::StrCat(rv.drop_off().location(), " ", rv.drop_off().date(), " ", rv.drop_off().time())});
    t.Add({"class / rate", absl::StrCat(rv.class_code(), " / ", rv.rate_code())});
    t.Add({"unit / RA", absl::StrCat(rv.vehicle_number(), " / ", rv.ra_number())});
    t.Add({"estimate", Money(rv.estimate().total())});
    t.Add({"deposits", Money(rv.deposits_total())});
    t.Add({"balance", Money(rv.balance())});
    if (!rv.voucher().voucher_number().empty()) {
      t.Add({"voucher", absl::StrCat(rv.voucher().it_code(), " ", rv.voucher().voucher_number(),
                                     " value ", Money(rv.voucher_value()))});
    }
    std::cout << t.Render();
    PrintEstimate(rv);
    return 0;
  }
  if (r.has_fleet()) {
    std::cout << t.Render();
    PrintFleet(r.fleet());
    return 0;
  }
  if (r.has_flight_change()) {
    std::cout << t.Render();
    PrintFlightChange(r.flight_change());
    return 0;
  }
  t.Add({"vendor", absl::StrCat(r.vendor_name(), " (", r.vendor_code(), ")")});
  t.Add({"car", absl::StrCat(r.car_model(), " (", r.car_class(), ")")});
  t.Add({"pick-up", absl::StrCat(r.pick_up().location(), " ", Time(r.pick_up().time()))});
  t.Add({"drop-off", absl::StrCat(r.drop_off().location(), " ", Time(r.drop_off().time()))});
  t.Add({"platform", v1::BookingPlatform_Name(r.platform())});
  t.Add({"confirmation", r.confirmation_number()});
  t.Add({"trip", r.trip_id()});
  t.Add({"voucher", r.voucher_number()});
  t.Add({"corporate discount", r.corporate_discount_id()});
  t.Add({"billing number", r.billing_number()});
  t.Add({"MIS", r.mis_billing() == v1::MIS_BILLING_UNSPECIFIED ? "not filed"
                                                                  : v1::MisBilling_Name(r.mis_billing())});
  t.Add({"quote", Money(r.quote_amount())});
  std::cout << t.Render();
  return 0;
}

int TrackerList(const Context& ctx, const Args&) {
  v1::ListTrackerRowsRequest request;
  request.set_from_date(absl::GetFlag(FLAGS_from_date));
  request.set_to_date(absl::GetFlag(FLAGS_to_date));
  request.set_client_company(absl::GetFlag(FLAGS_company));
  request.set_page_size(absl::GetFlag(FLAGS_page_size));
  request.set_page_token(absl::GetFlag(FLAGS_page_token));
  request.set_min_position(absl::GetFlag(FLAGS_min_position));
  v1::ListTrackerRowsResponse response;
  grpc::Status status =
      CallCases(ctx, &v1::CaseService::Stub::ListTrackerRows, request, &response);
  if (!status.ok()) return Fail(status);
  if (ctx.json) {
    for (const v1::TrackerRow& row : response.rows()) std::cout << ToJsonLine(row) << "\n";
  } else {
    Table t({"DATE", "CASE", "AGENT", "COMPANY", "VENDOR", "CONFIRMATION", "MIS", "FEE", "CLOSED"});
    for (const v1::TrackerRow& row : response.rows()) {
      t.Add({row.date(), row.case_id(), row.agent(), row.client_company(), row.vendor_code(),
             row.confirmation_number(), row.mis_filed() ? "filed" : "-",
             row.fee_charged() ? Money(row.fee()) : "-", Time(row.closed_at())});
    }
    std::cout << t.Render();
  }
  if (!response.next_page_token().empty()) {
    std::cerr << "more: --page_token=" << response.next_page_token() << "\n";
  }
  return 0;
}

int DeadlinesList(const Context& ctx, const Args&) {
  v1::ListDeadlinesRequest request;
  if (const std::string before = absl::GetFlag(FLAGS_due_before); !before.empty()) {
    absl::Time at;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, before, &at, &error)) {
      std::cerr << "--due_before: '" << before << "' is not an RFC 3339 time: " << error << "\n";
      return 2;
    }
    request.mutable_due_before()->set_seconds(absl::ToUnixSeconds(at));
  }
  request.set_kind(absl::GetFlag(FLAGS_kind));
  request.set_breached(absl::GetFlag(FLAGS_breached));
  request.set_page_size(absl::GetFlag(FLAGS_page_size));
  request.set_page_token(absl::GetFlag(FLAGS_page_token));
  request.set_min_position(absl::GetFlag(FLAGS_min_position));
  v1::ListDeadlinesResponse response;
  grpc::Status status = CallCases(ctx, &v1::CaseService::Stub::ListDeadlines, request, &response);
  if (!status.ok()) return Fail(status);
  if (ctx.json) {
    for (const v1::Deadline& d : response.deadlines()) std::cout << ToJsonLine(d) << "\n";
  } else {
    Table t({"DUE", "CASE", "KIND", "TIMER"});
    for (const v1::Deadline& d : response.deadlines()) {
      t.Add({Time(d.due_at()), d.case_id(), d.kind(), d.timer_id().empty() ? "-" : d.timer_id()});
    }
    std::cout << t.Render();
  }
  if (!response.next_page_token().empty()) {
    std::cerr << "more: --page_token=" << response.next_page_token() << "\n";
  }
  return 0;
}

}  // namespace tripdesk::cli
