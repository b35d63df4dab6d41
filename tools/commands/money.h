// Amounts for tests: the seeds' bookings are in dollars.
#ifndef TRIPDESK_TOOLS_COMMANDS_MONEY_H_
#define TRIPDESK_TOOLS_COMMANDS_MONEY_H_

#include <cstdint>

#include "tripdesk/v1/common.pb.h"

namespace tripdesk::commands {

inline v1::Money Usd(int64_t cents) {
  v1::Money m;
  m.set_minor_units(cents);
  m.set_currency("USD");
  return m;
}

}  // namespace tripdesk::commands

#endif  // TRIPDESK_TOOLS_COMMANDS_MONEY_H_
