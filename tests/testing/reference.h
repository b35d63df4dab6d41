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

inline std::shared_ptr<const workflows::ReferenceData> ShippedReference() {
  auto data = workflows::ReferenceData::FromTextProto(ShippedReferenceText());
  if (!data.ok()) std::abort();
  return *data;
}

}  // namespace tripdesk::testing

#endif  // TRIPDESK_TESTS_TESTING_REFERENCE_H_
