// A decider's table of steps: which stages each command may follow, and the
// rule said to a person when it is asked for at any other time. Shared by
// the workflows so every one refuses an out-of-order command the same way.
//
// Immutable after construction; thread-safe.
#ifndef TRIPDESK_WORKFLOWS_STEP_TABLE_H_
#define TRIPDESK_WORKFLOWS_STEP_TABLE_H_

#include <algorithm>
#include <string>
#include <vector>

namespace tripdesk::workflows {

// `Command` is a workflow's command message (a oneof `command`); `Stage`
// its stage enum.
template <typename Command, typename Stage>
class StepTable {
 public:
  using CommandCase = typename Command::CommandCase;
  struct Step {
    CommandCase command;
    std::vector<Stage> from;
    const char* rule;
  };

  explicit StepTable(std::vector<Step> steps) : steps_(std::move(steps)) {}

  const Step* Find(CommandCase command) const {
    for (const Step& step : steps_) {
      if (step.command == command) return &step;
    }
    return nullptr;
  }

  // Whether `command` may follow `stage` (false for a command not in the table).
  bool Allows(CommandCase command, Stage stage) const {
    const Step* step = Find(command);
    return step != nullptr && std::find(step->from.begin(), step->from.end(), stage) != step->from.end();
  }

  // The commands `stage` accepts, by name, in table order.
  std::vector<std::string> Allowed(Stage stage) const {
    std::vector<std::string> names;
    for (const Step& step : steps_) {
      if (std::find(step.from.begin(), step.from.end(), stage) != step.from.end()) {
        names.push_back(Name(step.command));
      }
    }
    return names;
  }

  // The command's field name, e.g. "send_quote".
  static std::string Name(CommandCase command) {
    const auto* field = Command::descriptor()->FindFieldByNumber(command);
    return field != nullptr ? field->name() : "unknown";
  }

 private:
  std::vector<Step> steps_;
};

}  // namespace tripdesk::workflows

#endif  // TRIPDESK_WORKFLOWS_STEP_TABLE_H_
