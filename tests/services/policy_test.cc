// Every RPC of every tripdesk service has an entry in the access policy, so
// a new RPC cannot ship open; and every entry names a real RPC.
#include <google/protobuf/descriptor.h>

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

TEST(AccessPolicy, AnythingNotInTheTableIsDenied) {
  const workflows::Actor admin{"ops", "admin"};
  EXPECT_EQ(Authorize(admin, "tripdesk.v1.CaseService/DropEverything").code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(AccessPolicy, AuditorsAndDashboardsOnlyRead) {
  for (const char* role : {"auditor", "dashboard"}) {
    const workflows::Actor reader{"r", role};
    EXPECT_EQ(Authorize(reader, "tripdesk.v1.CaseService/SubmitCommand").code(),
              absl::StatusCode::kPermissionDenied) << role;
    EXPECT_EQ(Authorize(reader, "tripdesk.v1.CaseService/OpenCase").code(),
              absl::StatusCode::kPermissionDenied) << role;
    EXPECT_TRUE(Authorize(reader, "tripdesk.v1.CaseService/GetCase").ok()) << role;
  }
  EXPECT_EQ(Authorize({"d", "dashboard"}, "tripdesk.v1.AuditService/VerifyLog").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(Authorize({"a", "auditor"}, "tripdesk.v1.AuditService/VerifyLog").ok());
  EXPECT_EQ(Authorize({"a", "agent"}, "tripdesk.v1.EventLog/ReadAll").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(Authorize({"x", "agent"}, "grpc.health.v1.Health/Check").ok());
}

}  // namespace
}  // namespace tripdesk::services
