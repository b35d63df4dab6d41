// Appends until killed, recording each acknowledged append on its own line
// of the ack file: "<command id> <first position> <last position>". Used by
// crash_test.cc, which SIGKILLs it at a random moment.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "eventstore/event_store.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s DATA_DIR ACK_FILE ROUND\n", argv[0]);
    return 2;
  }
  tripdesk::eventstore::Options options;
  options.path = argv[1];
  auto store = tripdesk::eventstore::EventStore::Open(options);
  if (!store.ok()) {
    std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
    return 1;
  }
  const int ack = open(argv[2], O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (ack < 0) return 1;
  const std::string round = argv[3];
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0;; ++i) {
        // Three events over two streams: a half-written command would show.
        tripdesk::eventstore::AppendRequest request;
        request.command_id = absl::StrCat("r", round, "-t", t, "-", i);
        request.streams.push_back({absl::StrCat("case-", t, "-", i % 50),
                                   tripdesk::eventstore::ExpectedRevision::Any(),
                                   {{"Opened", std::string(100, 'a')},
                                    {"Noted", std::string(50, 'b')}}});
        request.streams.push_back({absl::StrCat("unit-", i % 3),
                                   tripdesk::eventstore::ExpectedRevision::Any(),
                                   {{"Reserved", std::string(20, 'c')}}});
        auto outcome = (*store)->Append(request);
        if (!outcome.ok()) {
          std::fprintf(stderr, "append: %s\n", outcome.status().ToString().c_str());
          std::_Exit(1);
        }
        const std::string line =
            absl::StrCat(request.command_id, " ", outcome->first_position(), " ",
                         outcome->last_position(), "\n");
        if (write(ack, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
          std::_Exit(1);
        }
      }
    });
  }
  for (std::thread& w : writers) w.join();
  return 0;
}
