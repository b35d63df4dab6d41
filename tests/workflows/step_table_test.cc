// The workflows' declared steps: every command of every workflow is one
// step with roles and a rule, each workflow has one opening command, and
// the registry answers the declared roles and nothing else.
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "workflows/registry.h"

namespace tripdesk::workflows {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;

TEST(StepDeclarations, EveryCommandOfEveryWorkflowIsOneStepWithRolesAndARule) {
  const WorkflowRegistry& registry = WorkflowRegistry::Default();
  const google::protobuf::Descriptor* root = v1::CaseCommand::descriptor();
  std::set<std::string> declared;
  for (const StepDeclaration& step : registry.Steps()) {
    const std::string key = step.workflow + "." + step.command;
    EXPECT_TRUE(declared.insert(key).second) << key << " is declared twice";
    EXPECT_FALSE(step.roles.empty()) << key << " declares no role";
    EXPECT_FALSE(step.rule.empty()) << key << " declares no rule";
    EXPECT_FALSE(step.from.empty()) << key << " follows no stage";
  }
  int commands = 0;
  for (int w = 0; w < root->field_count(); ++w) {
    const google::protobuf::Descriptor* d = root->field(w)->message_type();
    for (int c = 0; c < d->field_count(); ++c, ++commands) {
      const std::string key = root->field(w)->name() + "." + d->field(c)->name();
      EXPECT_TRUE(declared.count(key)) << key << " has no declared step";
    }
  }
  EXPECT_EQ(static_cast<int>(declared.size()), commands);
}

TEST(StepDeclarations, EachWorkflowOpensWithOneCommand) {
  const v1::DescribeWorkflowsResponse described = WorkflowRegistry::Default().Describe();
  ASSERT_GE(described.workflows_size(), 2);
  // The first is the default a client opens.
  EXPECT_EQ(described.workflows(0).name(), "car_booking");
  // The steps every case has come last and open nothing.
  EXPECT_EQ(described.workflows().rbegin()->name(), "common");
  for (const v1::WorkflowDescription& w : described.workflows()) {
    if (w.workflow() == v1::WORKFLOW_UNSPECIFIED) continue;
    std::vector<std::string> opening;
    for (const v1::WorkflowStep& step : w.steps()) {
      if (!step.opens()) continue;
      opening.push_back(step.command());
      EXPECT_THAT(step.from_stages(), Contains("NOT_OPENED")) << w.name();
    }
    EXPECT_EQ(opening.size(), 1u) << w.name();
    EXPECT_FALSE(w.stages().empty());
  }
}

TEST(StepDeclarations, TheRegistryAnswersTheDeclaredRoles) {
  const WorkflowRegistry& registry = WorkflowRegistry::Default();
  EXPECT_THAT(registry.RolesForCommand("car_booking.decide_tech_spoc_approval"),
              ElementsAre("tech_spoc"));
  EXPECT_THAT(registry.RolesForCommand("car_booking.cancel_case"), ElementsAre("supervisor"));
  EXPECT_THAT(registry.RolesForCommand("rv.take_deposit"), ElementsAre("agent", "supervisor"));
  // Near misses are no command.
  EXPECT_TRUE(registry.RolesForCommand("rv.take_deposi").empty());
  EXPECT_TRUE(registry.RolesForCommand("rvX.take_deposit").empty());
  EXPECT_TRUE(registry.RolesForCommand("car_booking").empty());
  EXPECT_TRUE(registry.RolesForCommand("").empty());
}

}  // namespace
}  // namespace tripdesk::workflows
