// Generic code names no workflow: the command path, the case views, the log
// and the kit work for any workflow from the registry and the declarations.
// A grep over every generic source file; the workflow-specific read models
// that still live beside the generic code are listed here, by name, with
// why, so no new one creeps in unseen.
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "gtest/gtest.h"

namespace tripdesk {
namespace {

TEST(GenericCode, NamesNoWorkflow) {
  const std::map<std::string, std::string> read_models = {
      // The one place workflows are registered.
      {"workflows/registry.cc", "registers each workflow (one line each)"},
      // Views and reads one workflow's users asked for.
      {"projections/tracker_projection.cc", "the car booking's US Production Tracker"},
      {"projections/unit_rental_projection.cc", "the RV fleet's rentals by unit"},
      {"projections/queries.cc", "ListAvailableUnits reads the RV fleet"},
      {"projections/queries.h", "ListAvailableUnits reads the RV fleet"},
      {"services/case_service.cc", "ListAvailableUnits and GetReferenceData's sections"},
      {"services/identity.cc", "an RV user sees only their own access entry"},
      {"tools/cli/case_commands.cc", "prints the RV estimate columns and the car booking's ticket"},
  };
  const std::regex workflow_name(R"(car_booking|CarBooking|ManualCarBooking|\brv\b|Rv[A-Z]|RV_)");
  const std::filesystem::path root(TRIPDESK_SOURCE_DIR);
  int checked = 0;
  for (const char* dir : {"services", "projections", "eventstore", "workflows", "tools/cli"}) {
    // Only the folder's own files: a workflow's folder is its own.
    for (const auto& entry : std::filesystem::directory_iterator(root / dir)) {
      const std::string ext = entry.path().extension().string();
      if (!entry.is_regular_file() || (ext != ".cc" && ext != ".h")) continue;
      const std::string name = std::filesystem::relative(entry.path(), root).string();
      std::ifstream in(entry.path());
      std::string line;
      int number = 0;
      bool names = false;
      while (std::getline(in, line)) {
        ++number;
        const std::string code = line.substr(0, line.find("//"));  // comments may give examples
        if (std::regex_search(code, workflow_name)) {
          names = true;
          if (!read_models.contains(name)) {
            ADD_FAILURE() << name << ":" << number << " names a workflow: " << line;
          }
        }
      }
      if (read_models.contains(name)) {
        EXPECT_TRUE(names) << name << " no longer names a workflow: take it off the list";
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 40);
}

}  // namespace
}  // namespace tripdesk
