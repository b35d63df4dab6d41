// Amounts for tests: the seeds' bookings are in dollars.
#ifndef TRIPDESK_TESTS_TESTING_MONEY_H_
#define TRIPDESK_TESTS_TESTING_MONEY_H_

#include <cstdint>

#include "tripdesk/v1/common.pb.h"

namespace tripdesk::testing {

inline v1::Money Usd(int64_t cents) {
  v1::Money m;
  m.set_minor_units(cents);
  m.set_currency("USD");
  return m;
}

}  // namespace tripdesk::testing

#endif  // TRIPDESK_TESTS_TESTING_MONEY_H_
