// Every RPC of every tripdesk service has an entry in the access policy, so
// a new RPC cannot ship open; and every entry names a real RPC.
#include <google/protobuf/descriptor.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/identity.h"
#include "tripdesk/v1/audit.pb.h"
#include "tripdesk/v1/cases.pb.h"
#include "tripdesk/v1/log.pb.h"

namespace tripdesk::services {
namespace {

std::vector<std::string> AllRpcs() {
  std::vector<std::string> rpcs;
  // Every .proto file that defines a service, reached through one of its
  // messages (which also links it in).
  for (const google::protobuf::FileDescriptor* f :
       {v1::RecordEnvelope::descriptor()->file(), v1::CaseView::descriptor()->file(),
        v1::HistoryEntry::descriptor()->file()}) {
    for (int s = 0; s < f->service_count(); ++s) {
      const google::protobuf::ServiceDescriptor* service = f->service(s);
      for (int m = 0; m < service->method_count(); ++m) {
        rpcs.push_back(absl::StrCat(service->full_name(), "/", service->method(m)->name()));
      }
    }
  }
  return rpcs;
}

TEST(AccessPolicy, EveryRpcOfEveryServiceHasAnEntry) {
  const std::vector<std::string> rpcs = AllRpcs();
  EXPECT_GE(rpcs.size(), 17u);
  for (const std::string& rpc : rpcs) {
    EXPECT_FALSE(RolesFor(rpc).empty()) << rpc << " has no policy entry: it would be denied";
  }
}

bool May(const std::string& role, const std::string& rpc) {
  const std::vector<std::string> roles = RolesFor(rpc);
  return std::find(roles.begin(), roles.end(), role) != roles.end() ||
         std::find(roles.begin(), roles.end(), "*") != roles.end();
}

TEST(AccessPolicy, AnythingNotInTheTableIsDenied) {
  EXPECT_TRUE(RolesFor("tripdesk.v1.CaseService/DropEverything").empty());
  EXPECT_TRUE(RolesForCommand("car_booking.delete_everything").empty());
}

TEST(AccessPolicy, AuditorsAndDashboardsOnlyRead) {
  for (const std::string& rpc : AllRpcs()) {
    const bool writes = absl::EndsWith(rpc, "/OpenCase") || absl::EndsWith(rpc, "/SubmitCommand") ||
                        absl::EndsWith(rpc, "/Append") || absl::EndsWith(rpc, "/RebuildViews");
    if (!writes) continue;
    EXPECT_FALSE(May("auditor", rpc)) << rpc;
    EXPECT_FALSE(May("dashboard", rpc)) << rpc;
  }
  EXPECT_TRUE(May("dashboard", "tripdesk.v1.CaseService/GetCase"));
  EXPECT_FALSE(May("dashboard", "tripdesk.v1.AuditService/VerifyLog"));
  EXPECT_TRUE(May("auditor", "tripdesk.v1.AuditService/VerifyLog"));
  EXPECT_FALSE(May("agent", "tripdesk.v1.EventLog/ReadAll"));
  EXPECT_TRUE(May("agent", "grpc.health.v1.Health/Check"));
  // Rebuilding views is an admin's.
  EXPECT_TRUE(May("admin", "tripdesk.v1.AuditService/RebuildViews"));
  EXPECT_FALSE(May("supervisor", "tripdesk.v1.AuditService/RebuildViews"));
}

// Every command of every workflow, from the descriptors: a new command
// cannot ship without a policy entry.
TEST(AccessPolicy, EveryWorkflowCommandHasAnEntry) {
  const google::protobuf::Descriptor* root = v1::CaseCommand::descriptor();
  int commands = 0;
  for (int w = 0; w < root->field_count(); ++w) {
    const google::protobuf::Descriptor* d = root->field(w)->message_type();
    for (int c = 0; c < d->field_count(); ++c) {
      const std::string key = absl::StrCat(root->field(w)->name(), ".", d->field(c)->name());
      EXPECT_FALSE(RolesForCommand(key).empty()) << key << " has no policy entry";
      ++commands;
    }
  }
  EXPECT_GE(commands, 28);
  EXPECT_EQ(RolesForCommand("car_booking.decide_tech_spoc_approval"),
            std::vector<std::string>{"tech_spoc"});
  EXPECT_EQ(RolesForCommand("car_booking.cancel_case"), std::vector<std::string>{"supervisor"});
  const std::vector<std::string> rv = RolesForCommand("rv.open_rental_agreement");
  EXPECT_EQ(std::count(rv.begin(), rv.end(), "auditor"), 0);
}

TEST(AccessPolicy, CommandKeyNamesTheWorkflowAndTheCommand) {
  v1::CaseCommand command;
  EXPECT_EQ(CommandKey(command), "");
  command.mutable_rv()->mutable_take_deposit();
  EXPECT_EQ(CommandKey(command), "rv.take_deposit");
  command.mutable_car_booking()->mutable_cancel_case();
  EXPECT_EQ(CommandKey(command), "car_booking.cancel_case");
}

}  // namespace
}  // namespace tripdesk::services
