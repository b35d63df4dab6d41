// The tamper evidence's costs (docs/benchmarks.md): proofs from a tree of
// 10M records stored as the log stores it (perfect subtrees in RocksDB,
// O(log n) point reads per proof), a head's Ed25519 signature, and the
// auditor's checks. The 10M-leaf tree is built once per run (about a minute).
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "eventstore/keys.h"
#include "eventstore/merkle_tree.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "services/tree_heads.h"
#include "tools/proofcheck/proofcheck.h"

namespace tripdesk {
namespace {

namespace merkle = eventstore::merkle;
constexpr uint64_t kLeaves = 10'000'000;

struct StoredTree {
  std::unique_ptr<rocksdb::DB> db;
  std::string root;
  merkle::NodeReader Reader() const {
    return [this](int level, uint64_t index) -> absl::StatusOr<std::string> {
      std::string hash;
      if (!db->Get(rocksdb::ReadOptions(), eventstore::keys::TreeNodeKey(level, index), &hash).ok()) {
        return absl::DataLossError("missing node");
      }
      return hash;
    };
  }
};

const StoredTree& Tree() {
  static const StoredTree* const kTree = [] {
    const std::string dir =
        (std::filesystem::temp_directory_path() / absl::StrCat("tripdesk-tree-bench-", getpid()))
            .string();
    std::filesystem::remove_all(dir);
    static std::string* const kDir = new std::string(dir);
    std::atexit([] { std::filesystem::remove_all(*kDir); });
    rocksdb::Options options;
    options.create_if_missing = true;
    options.write_buffer_size = 64 << 20;
    rocksdb::DB* raw = nullptr;
    if (!rocksdb::DB::Open(options, dir, &raw).ok()) std::abort();
    auto* tree = new StoredTree{std::unique_ptr<rocksdb::DB>(raw), ""};
    merkle::Frontier frontier;
    rocksdb::WriteBatch batch;
    rocksdb::WriteOptions unsynced;
    unsynced.disableWAL = true;
    for (uint64_t i = 0; i < kLeaves; ++i) {
      frontier.Append(merkle::LeafHash(absl::StrCat("record ", i)),
                      [&](int level, uint64_t index, const std::string& hash) {
                        batch.Put(eventstore::keys::TreeNodeKey(level, index), hash);
                      });
      if (batch.Count() >= 100000) {
        if (!raw->Write(unsynced, &batch).ok()) std::abort();
        batch.Clear();
      }
    }
    if (!raw->Write(unsynced, &batch).ok() || !raw->CompactRange({}, nullptr, nullptr).ok()) {
      std::abort();
    }
    tree->root = frontier.Root();
    return tree;
  }();
  return *kTree;
}

void BM_InclusionProofAt10M(benchmark::State& state) {
  const StoredTree& tree = Tree();
  std::mt19937_64 random(42);
  for (auto _ : state) {
    const uint64_t index = random() % kLeaves;
    absl::StatusOr<std::vector<std::string>> proof = merkle::InclusionProof(tree.Reader(), index, kLeaves);
    if (!proof.ok()) state.SkipWithError("no proof");
    benchmark::DoNotOptimize(proof);
  }
  // One checked end to end, so the figure is of a proof that verifies.
  const uint64_t index = 1234567;
  if (!proofcheck::VerifyInclusion(index, kLeaves,
                                   merkle::LeafHash(absl::StrCat("record ", index)),
                                   *merkle::InclusionProof(tree.Reader(), index, kLeaves), tree.root)) {
    state.SkipWithError("the proof does not verify");
  }
}
BENCHMARK(BM_InclusionProofAt10M)->Unit(benchmark::kMicrosecond);

void BM_ConsistencyProofAt10M(benchmark::State& state) {
  const StoredTree& tree = Tree();
  std::mt19937_64 random(7);
  for (auto _ : state) {
    const uint64_t old_size = 1 + random() % (kLeaves - 1);
    absl::StatusOr<std::vector<std::string>> proof =
        merkle::ConsistencyProof(tree.Reader(), old_size, kLeaves);
    if (!proof.ok()) state.SkipWithError("no proof");
    benchmark::DoNotOptimize(proof);
  }
}
BENCHMARK(BM_ConsistencyProofAt10M)->Unit(benchmark::kMicrosecond);

void BM_RootAt10M(benchmark::State& state) {
  const StoredTree& tree = Tree();
  for (auto _ : state) {
    absl::StatusOr<std::string> root = merkle::SubtreeRoot(tree.Reader(), 0, kLeaves);
    if (!root.ok() || *root != tree.root) state.SkipWithError("wrong root");
  }
}
BENCHMARK(BM_RootAt10M)->Unit(benchmark::kMicrosecond);

// What head-save asks for at 10M records: 39,063 chunk roots of 256 leaves,
// each one stored node (the last a few), and the auditor's fold back into
// the root.
void BM_ChunkRootsAt10M(benchmark::State& state) {
  const StoredTree& tree = Tree();
  const uint64_t chunk = proofcheck::ChunkSizeFor(kLeaves);
  for (auto _ : state) {
    absl::StatusOr<std::vector<std::string>> roots = merkle::ChunkRoots(tree.Reader(), kLeaves, chunk);
    if (!roots.ok()) state.SkipWithError("no chunk roots");
    benchmark::DoNotOptimize(roots);
  }
  const std::vector<std::string> roots = *merkle::ChunkRoots(tree.Reader(), kLeaves, chunk);
  if (proofcheck::RootFromChunks(roots) != tree.root) state.SkipWithError("does not fold");
  state.counters["chunks"] = static_cast<double>(roots.size());
}
BENCHMARK(BM_ChunkRootsAt10M)->Unit(benchmark::kMillisecond);

void BM_FoldChunkRootsAt10M(benchmark::State& state) {
  const StoredTree& tree = Tree();
  const std::vector<std::string> roots =
      *merkle::ChunkRoots(tree.Reader(), kLeaves, proofcheck::ChunkSizeFor(kLeaves));
  for (auto _ : state) benchmark::DoNotOptimize(proofcheck::RootFromChunks(roots));
}
BENCHMARK(BM_FoldChunkRootsAt10M)->Unit(benchmark::kMillisecond);

void BM_SignTreeHead(benchmark::State& state) {
  const std::string key =
      (std::filesystem::temp_directory_path() / absl::StrCat("tripdesk-bench-key-", getpid()))
          .string();
  auto signer = services::TreeHeadSigner::LoadOrCreate(key);
  if (!signer.ok()) {
    state.SkipWithError("no key");
    return;
  }
  const std::string root(32, 'r');
  uint64_t size = 0;
  for (auto _ : state) benchmark::DoNotOptimize((*signer)->Sign(++size, root, absl::Now()));
  std::filesystem::remove(key);
}
BENCHMARK(BM_SignTreeHead)->Unit(benchmark::kMicrosecond);

void BM_VerifyTreeHeadSignature(benchmark::State& state) {
  const std::string key =
      (std::filesystem::temp_directory_path() / absl::StrCat("tripdesk-bench-key2-", getpid()))
          .string();
  auto signer = services::TreeHeadSigner::LoadOrCreate(key);
  if (!signer.ok()) {
    state.SkipWithError("no key");
    return;
  }
  const v1::SignedTreeHead head = (*signer)->Sign(10, std::string(32, 'r'), absl::Now());
  for (auto _ : state) {
    if (!proofcheck::CheckTreeHeadSignature(head, (*signer)->public_key_pem()).empty()) {
      state.SkipWithError("does not verify");
    }
  }
  std::filesystem::remove(key);
}
BENCHMARK(BM_VerifyTreeHeadSignature)->Unit(benchmark::kMicrosecond);

// What the writer adds per record: one leaf hash and, on average, one node.
void BM_FrontierAppend(benchmark::State& state) {
  merkle::Frontier frontier;
  const std::string leaf = merkle::LeafHash("record");
  uint64_t nodes = 0;
  for (auto _ : state) {
    frontier.Append(merkle::LeafHash(leaf), [&](int, uint64_t, const std::string&) { ++nodes; });
  }
  state.counters["nodes_per_record"] =
      static_cast<double>(nodes) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_FrontierAppend);

}  // namespace
}  // namespace tripdesk

BENCHMARK_MAIN();
