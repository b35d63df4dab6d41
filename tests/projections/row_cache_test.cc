// The rows a projection keeps decoded between pages: what is written is
// what a fresh read would give, whether the row came from the cache or was
// evicted and read again, and an uncommitted page leaves nothing behind.
#include "projections/row_cache.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "projections/unit_rental_projection.h"
#include "tests/testing/temp_dir.h"

namespace tripdesk::projections {
namespace {

using Cache = RowCache<v1::UnitRentalRow>;

class RowCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto views = ViewStore::Open(dir_.Sub("views"), {kUnitRentalByCaseFamily, kUnitRentalFamily});
    ASSERT_TRUE(views.ok()) << views.status();
    views_ = *std::move(views);
  }

  // One page: opens (or moves) the RA of `case_id` on `unit`, or closes it.
  absl::Status Page(Cache& cache, const std::string& case_id, const std::string& unit,
                    bool open, bool commit = true) {
    ViewTxn txn(views_.get());
    absl::StatusOr<Cache::Entry*> entry = cache.Get(txn, case_id);
    if (!entry.ok()) return entry.status();
    (*entry)->row.set_vehicle_number(unit);
    (*entry)->row.set_open(open);
    if (absl::Status s = cache.Flush(txn, [&](const std::string& key, Cache::Entry& e) {
          Cache::ReplaceKeys(txn, kUnitRentalFamily, e, UnitRentalKeys(key, e.row), "x");
          return absl::OkStatus();
        });
        !s.ok()) {
      return s;
    }
    return commit ? txn.Commit() : absl::OkStatus();
  }

  std::vector<std::string> UnitKeys() {
    std::vector<std::string> keys;
    EXPECT_TRUE(views_
                    ->Scan(kUnitRentalFamily, "", "",
                           [&](absl::string_view key, absl::string_view) {
                             keys.emplace_back(key);
                             return true;
                           })
                    .ok());
    return keys;
  }

  testing::TempDir dir_;
  std::unique_ptr<ViewStore> views_;
};

TEST_F(RowCacheTest, AChangedRowReplacesItsOldKeysWhetherCachedOrReadAgain) {
  Cache cache(kUnitRentalByCaseFamily, UnitRentalKeys, /*capacity=*/4);
  ASSERT_TRUE(Page(cache, "c1", "U1", true).ok());
  ASSERT_TRUE(Page(cache, "c1", "U2", true).ok());  // from the cache
  EXPECT_EQ(UnitKeys(), std::vector<std::string>{"U2|c1"});

  // Enough other rows to push c1 out; its stored key is derived on re-read.
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(Page(cache, absl::StrCat("other", i), absl::StrCat("V", i), false).ok());
  }
  EXPECT_LE(cache.size(), 4u);
  ASSERT_TRUE(Page(cache, "c1", "U3", true).ok());
  EXPECT_EQ(UnitKeys(), std::vector<std::string>{"U3|c1"});

  ASSERT_TRUE(Page(cache, "c1", "U3", false).ok());
  EXPECT_TRUE(UnitKeys().empty());
}

TEST_F(RowCacheTest, ClearAfterAnUncommittedPageForgetsItsChanges) {
  Cache cache(kUnitRentalByCaseFamily, UnitRentalKeys);
  ASSERT_TRUE(Page(cache, "c1", "U1", true).ok());
  ASSERT_TRUE(Page(cache, "c1", "U9", true, /*commit=*/false).ok());
  cache.Clear();

  ViewTxn txn(views_.get());
  absl::StatusOr<Cache::Entry*> entry = cache.Get(txn, "c1");
  ASSERT_TRUE(entry.ok());
  EXPECT_EQ((*entry)->row.vehicle_number(), "U1");
  EXPECT_TRUE((*entry)->existed);
  EXPECT_EQ((*entry)->stored_keys, std::vector<std::string>{"U1|c1"});
}

TEST_F(RowCacheTest, AnUndecodableStoredRowIsDataLoss) {
  ASSERT_TRUE(views_->Write({{kUnitRentalByCaseFamily, "bad", std::string("\xff\xff\xff", 3)}}).ok());
  Cache cache(kUnitRentalByCaseFamily, UnitRentalKeys);
  ViewTxn txn(views_.get());
  absl::StatusOr<Cache::Entry*> entry = cache.Get(txn, "bad");
  EXPECT_EQ(entry.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(entry.status().message().find("bad"), std::string::npos);
}

}  // namespace
}  // namespace tripdesk::projections
