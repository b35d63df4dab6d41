// The reference data the server ships (deploy/reference.textproto), for
// tests that need the real vendors, fees, rates and units.
#ifndef TRIPDESK_TESTS_TESTING_REFERENCE_H_
#define TRIPDESK_TESTS_TESTING_REFERENCE_H_

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "workflows/reference_data.h"

namespace tripdesk::testing {

inline std::string ShippedReferenceText() {
  std::ifstream in(std::string(TRIPDESK_SOURCE_DIR) + "/deploy/reference.textproto");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The shipped service levels (calendars and SLA policies), which the
// server's embedded default reads after the reference data.
inline std::string ShippedServiceLevelsText() {
  std::ifstream in(std::string(TRIPDESK_SOURCE_DIR) + "/deploy/service_levels.textproto");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Without service levels: a workflow's own events, no SLA clocks (what
// ServerProcess starts with unless a test asks for them).
inline std::shared_ptr<const workflows::ReferenceData> ShippedReference() {
  auto data = workflows::ReferenceData::FromTextProto(ShippedReferenceText());
  if (!data.ok()) std::abort();
  return *data;
}

inline std::shared_ptr<const workflows::ReferenceData> ShippedReferenceWithServiceLevels() {
  auto data = workflows::ReferenceData::FromTextProto(ShippedReferenceText() + "\n" +
                                                      ShippedServiceLevelsText());
  if (!data.ok()) std::abort();
  return *data;
}

// The --reference_data flag for a server with (or without) the shipped
// service levels.
inline std::string ReferenceDataFlag(bool service_levels) {
  const std::string dir = std::string(TRIPDESK_SOURCE_DIR) + "/deploy/";
  return "--reference_data=" + dir + "reference.textproto" +
         (service_levels ? "," + dir + "service_levels.textproto" : "");
}

}  // namespace tripdesk::testing

#endif  // TRIPDESK_TESTS_TESTING_REFERENCE_H_
