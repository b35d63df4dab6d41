// Kills a process that appends in a loop at random moments, reopens the store
// and checks that every acknowledged append survived, whole.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <cstdlib>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "eventstore/event_store.h"
#include "eventstore/record_hash.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace tripdesk::eventstore {
namespace {

struct Ack {
  uint64_t first;
  uint64_t last;
};

std::map<std::string, Ack> ReadAcks(const std::string& path) {
  std::map<std::string, Ack> acks;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id;
    Ack ack{};
    // A line cut short by the kill is not an acknowledgement we can read.
    if (fields >> id >> ack.first >> ack.last) acks[id] = ack;
  }
  return acks;
}

TEST(EventStoreCrash, SigkillAtRandomMomentsLosesNoAcknowledgedAppend) {
  testing::TempDir dir;
  const std::string db = dir.Sub("db");
  const std::string ack_file = dir.Sub("acks");
  // The seed goes into the test's output (and its XML) so a failing run can
  // be repeated: CRASH_SEED=N.
  const char* fixed = std::getenv("CRASH_SEED");
  const unsigned seed = fixed != nullptr ? static_cast<unsigned>(std::strtoul(fixed, nullptr, 10))
                                         : std::random_device{}();
  std::cout << "crash test seed " << seed << " (CRASH_SEED=" << seed << " repeats it)\n";
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> delay_ms(150, 700);
  constexpr int kRounds = 5;

  for (int round = 0; round < kRounds; ++round) {
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      const std::string r = std::to_string(round);
      execl(TRIPDESK_CRASH_CHILD, TRIPDESK_CRASH_CHILD, db.c_str(), ack_file.c_str(),
            r.c_str(), nullptr);
      _exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(random)));
    ASSERT_EQ(kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the child exited by itself: " << status;
  }

  const std::map<std::string, Ack> acks = ReadAcks(ack_file);
  ASSERT_GT(acks.size(), 0u) << "the child never acknowledged an append";

  Options options;
  options.path = db;
  absl::StatusOr<std::unique_ptr<EventStore>> store = EventStore::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();

  // Gapless positions; every command's records all present; chains intact.
  absl::flat_hash_map<std::string, std::vector<uint64_t>> by_command;
  absl::flat_hash_map<std::string, std::string> chain;  // stream -> last hash
  absl::flat_hash_map<std::string, uint64_t> revisions;
  std::unique_ptr<LogIterator> it = (*store)->ScanAll(1);
  uint64_t expected = 1;
  for (;;) {
    absl::StatusOr<std::optional<Record>> r = it->Next();
    ASSERT_TRUE(r.ok()) << r.status();
    if (!r->has_value()) break;
    const Record& record = **r;
    ASSERT_EQ(record.position(), expected++);
    by_command[record.command_id()].push_back(record.position());
    auto [prev, inserted] = chain.try_emplace(record.stream(), GenesisHash());
    ASSERT_EQ(record.revision(), inserted ? 0 : revisions[record.stream()] + 1);
    ASSERT_EQ(record.hash(), ComputeRecordHash(prev->second, record))
        << "chain broken at position " << record.position();
    prev->second = record.hash();
    revisions[record.stream()] = record.revision();
  }
  EXPECT_EQ((*store)->LastPosition(), expected - 1);

  for (const auto& [id, positions] : by_command) {
    ASSERT_EQ(positions.size(), 3u) << "command " << id << " is half-written";
    EXPECT_EQ(positions.back() - positions.front(), 2u) << id;
  }
  for (const auto& [id, ack] : acks) {
    auto found = by_command.find(id);
    ASSERT_NE(found, by_command.end()) << "acknowledged command " << id << " was lost";
    EXPECT_EQ(found->second.front(), ack.first) << id;
    EXPECT_EQ(found->second.back(), ack.last) << id;
  }
  std::cout << acks.size() << " acknowledged appends over " << kRounds
            << " kills, " << expected - 1 << " records, all present\n";
}

}  // namespace
}  // namespace tripdesk::eventstore
