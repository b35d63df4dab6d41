// A workflow's steps, declared in one table: each command (its proto
// field), the stages it may follow, the roles that may issue it, the rule
// said to a person when it is asked for at any other time, and its handler.
// The table decides a command the same way for every workflow (stage, then
// role, then the handler) and publishes the declarations the server derives
// its access policy, the allowed commands and the command list from.
//
// Immutable after construction; thread-safe.
#ifndef TRIPDESK_WORKFLOWS_STEP_TABLE_H_
#define TRIPDESK_WORKFLOWS_STEP_TABLE_H_

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "workflows/workflow.h"

namespace tripdesk::workflows {

// `Command` is a workflow's command message (a oneof `command`), `Stage` its
// stage enum, whose zero value is a case not opened yet.
template <typename Command, typename Stage>
class StepTable {
 public:
  using CommandCase = typename Command::CommandCase;
  using Events = std::vector<v1::CaseEvent>;
  using Handler = std::function<absl::StatusOr<Events>(const Command&, const v1::CaseState&,
                                                        const DecisionContext&)>;
  struct Step {
    CommandCase command;
    // The stages it may follow; the zero stage makes it the opening command.
    std::vector<Stage> from;
    std::vector<std::string> roles;
    const char* rule;
    Handler handler;
  };
  struct Options {
    v1::Workflow type;  // WORKFLOW_UNSPECIFIED: steps of a case of any workflow
    // The stages a case ends in.
    std::vector<Stage> closed;
    std::vector<Step> steps;
  };

  explicit StepTable(Options options) : options_(std::move(options)) {}

  const Step* Find(CommandCase command) const {
    for (const Step& step : options_.steps) {
      if (step.command == command) return &step;
    }
    return nullptr;
  }

  bool IsClosed(Stage stage) const { return Contains(options_.closed, stage); }

  // The commands `stage` accepts, by name, in table order.
  std::vector<std::string> Allowed(Stage stage) const {
    std::vector<std::string> names;
    for (const Step& step : options_.steps) {
      if (Contains(step.from, stage)) names.push_back(Name(step.command));
    }
    return names;
  }

  // Decides `command` on `state` (whose stage is `stage`): a command not
  // allowed from the stage is FAILED_PRECONDITION naming the case, its stage,
  // the rule and what is allowed now; an actor acting in a role the step
  // does not declare is PERMISSION_DENIED; otherwise the step's handler.
  absl::StatusOr<Events> Decide(const Command& command, const v1::CaseState& state, Stage stage,
                                const DecisionContext& ctx) const {
    const Step* step = Find(command.command_case());
    if (step == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("command.", WorkflowField(), ": no command is set"));
    }
    // The steps every case has (type unspecified) apply to any workflow.
    if (options_.type != v1::WORKFLOW_UNSPECIFIED && state.exists() &&
        state.workflow() != options_.type) {
      return absl::FailedPreconditionError(
          absl::StrCat("case ", state.case_id(), " is a ", v1::Workflow_Name(state.workflow()),
                       " case; ", Name(step->command), " is a ", v1::Workflow_Name(options_.type),
                       " command"));
    }
    if (!Contains(step->from, stage)) return Refuse(state, stage, *step);
    if (!Contains(step->roles, ctx.actor.role)) {
      return absl::PermissionDeniedError(absl::StrCat(
          Name(step->command), " needs the ", absl::StrJoin(step->roles, " or "), " role; ",
          ctx.actor.id, " acts as '", ctx.actor.role, "'"));
    }
    return step->handler(command, state, ctx);
  }

  // The one refusal format: FAILED_PRECONDITION naming the case, its stage,
  // the command, the rule it breaks and the commands allowed now. Handlers
  // refuse with it too.
  absl::Status Refusal(const v1::CaseState& state, Stage stage, absl::string_view command,
                       absl::string_view rule) const {
    const std::vector<std::string> allowed = Allowed(stage);
    return absl::FailedPreconditionError(absl::StrCat(
        "case ", state.case_id().empty() ? "(new)" : state.case_id(), " is ",
        IsClosed(stage) ? absl::StrCat("closed (", StageName(stage), ")") : StageName(stage), ": ",
        command, " refused: ", rule,
        ". Allowed now: ", allowed.empty() ? "nothing" : absl::StrJoin(allowed, ", ")));
  }

  // What the table declares, for the registry.
  std::vector<StepDeclaration> Declarations() const {
    std::vector<StepDeclaration> out;
    for (const Step& step : options_.steps) {
      StepDeclaration d;
      d.workflow = WorkflowField();
      d.command = Name(step.command);
      for (Stage s : step.from) {
        d.from.push_back(StageName(s));
        if (s == Stage{}) d.opens = true;
      }
      d.roles = step.roles;
      d.rule = step.rule;
      out.push_back(std::move(d));
    }
    return out;
  }

  // A handler of one command's message: On(&Cmd::send_quote, &SendQuote).
  template <typename Message>
  static Handler On(const Message& (Command::*get)() const,
                    absl::StatusOr<Events> (*handle)(const Message&, const v1::CaseState&,
                                                     const DecisionContext&)) {
    return [get, handle](const Command& c, const v1::CaseState& state, const DecisionContext& ctx) {
      return handle((c.*get)(), state, ctx);
    };
  }

  // Every stage of an opened case but `excluded` (the stages a note may
  // follow, say).
  static std::vector<Stage> StagesBut(const std::vector<Stage>& excluded) {
    std::vector<Stage> out;
    const google::protobuf::EnumDescriptor* d = google::protobuf::GetEnumDescriptor<Stage>();
    for (int i = 0; i < d->value_count(); ++i) {
      const Stage s = static_cast<Stage>(d->value(i)->number());
      if (s != Stage{} && !Contains(excluded, s)) out.push_back(s);
    }
    return out;
  }

  // The command's field name, e.g. "send_quote".
  static std::string Name(CommandCase command) {
    const auto* field = Command::descriptor()->FindFieldByNumber(command);
    return field != nullptr ? field->name() : "unknown";
  }

  // The stage's value name; NOT_OPENED for the zero stage.
  static std::string StageName(Stage stage) {
    if (stage == Stage{}) return "NOT_OPENED";
    const auto* value = google::protobuf::GetEnumDescriptor<Stage>()->FindValueByNumber(stage);
    return value != nullptr ? value->name() : absl::StrCat(static_cast<int>(stage));
  }

  // The workflow's field in CaseCommand, e.g. "car_booking".
  static std::string WorkflowField() {
    const google::protobuf::Descriptor* root = v1::CaseCommand::descriptor();
    for (int i = 0; i < root->field_count(); ++i) {
      if (root->field(i)->message_type() == Command::descriptor()) return root->field(i)->name();
    }
    return "unknown";
  }

 private:
  template <typename T, typename U>
  static bool Contains(const std::vector<T>& v, const U& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  }

  absl::Status Refuse(const v1::CaseState& state, Stage stage, const Step& step) const {
    std::string rule = step.rule;
    if (IsClosed(stage)) rule = "a closed case takes no more commands";
    if (stage == Stage{}) {
      absl::StrAppend(&rule, " (the case must be opened with ", absl::StrJoin(Allowed(stage), " or "), ")");
    }
    return Refusal(state, stage, Name(step.command), rule);
  }

  Options options_;
};

}  // namespace tripdesk::workflows

#endif  // TRIPDESK_WORKFLOWS_STEP_TABLE_H_
