// The log's Merkle tree against RFC 6962/9162's published test vectors (the
// Certificate Transparency reference leaves, roots and proofs), and the
// server's proofs checked by the auditor's separate verifier
// (tools/proofcheck) for every leaf and every pair of sizes of larger trees.
#include "eventstore/merkle_tree.h"

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/proofcheck/proofcheck.h"

namespace tripdesk::eventstore::merkle {
namespace {

std::string Bytes(const std::string& hex) { return absl::HexStringToBytes(hex); }
std::string Hex(const std::string& bytes) { return absl::BytesToHexString(bytes); }

// The reference leaves of RFC 6962's test vectors.
const std::vector<std::string>& Leaves() {
  static const auto* const kLeaves = new std::vector<std::string>{
      "", Bytes("00"), Bytes("10"), Bytes("2021"), Bytes("3031"), Bytes("40414243"),
      Bytes("5051525354555657"), Bytes("606162636465666768696a6b6c6d6e6f")};
  return *kLeaves;
}

const char* const kRoots[] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

// A tree in memory: the nodes the writer would store, by (level, index).
struct StoredTree {
  explicit StoredTree(const std::vector<std::string>& data) {
    for (const std::string& d : data) {
      frontier.Append(LeafHash(d), [&](int level, uint64_t index, const std::string& hash) {
        nodes[{level, index}] = hash;
      });
    }
  }
  NodeReader Reader() const {
    return [this](int level, uint64_t index) -> absl::StatusOr<std::string> {
      auto it = nodes.find({level, index});
      if (it == nodes.end()) return absl::DataLossError("missing node");
      return it->second;
    };
  }
  Frontier frontier;
  std::map<std::pair<int, uint64_t>, std::string> nodes;
};

TEST(MerkleTree, RootsMatchTheRfcVectorsAtEverySize) {
  EXPECT_EQ(Hex(EmptyRoot()), kRoots[0]);
  for (size_t n = 1; n <= Leaves().size(); ++n) {
    const StoredTree tree(std::vector<std::string>(Leaves().begin(), Leaves().begin() + n));
    EXPECT_EQ(Hex(tree.frontier.Root()), kRoots[n]) << n << " leaves";
    EXPECT_EQ(Hex(*SubtreeRoot(tree.Reader(), 0, n)), kRoots[n]) << n << " leaves, from nodes";
    absl::StatusOr<Frontier> loaded = Frontier::Load(n, tree.Reader());
    ASSERT_TRUE(loaded.ok());
    EXPECT_EQ(Hex(loaded->Root()), kRoots[n]) << n << " leaves, reloaded";
  }
}

TEST(MerkleTree, InclusionProofsMatchTheRfcVectors) {
  const StoredTree tree(Leaves());
  struct Vector {
    uint64_t index;
    uint64_t size;
    std::vector<std::string> path;
  };
  const std::vector<Vector> vectors = {
      {0, 8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {5, 8,
       {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
      {1, 5,
       {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
  };
  for (const Vector& v : vectors) {
    absl::StatusOr<std::vector<std::string>> proof = InclusionProof(tree.Reader(), v.index, v.size);
    ASSERT_TRUE(proof.ok()) << proof.status();
    std::vector<std::string> hex;
    for (const std::string& h : *proof) hex.push_back(Hex(h));
    EXPECT_EQ(hex, v.path) << "leaf " << v.index << " of " << v.size;
    EXPECT_TRUE(proofcheck::VerifyInclusion(v.index, v.size, LeafHash(Leaves()[v.index]), *proof,
                                            Bytes(kRoots[v.size])));
    EXPECT_FALSE(proofcheck::VerifyInclusion(v.index, v.size, LeafHash("forged"), *proof,
                                             Bytes(kRoots[v.size])));
  }
}

TEST(MerkleTree, ConsistencyProofsMatchTheRfcVectors) {
  const StoredTree tree(Leaves());
  struct Vector {
    uint64_t old_size;
    uint64_t new_size;
    std::vector<std::string> path;
  };
  const std::vector<Vector> vectors = {
      {1, 1, {}},
      {1, 8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {6, 8,
       {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2, 5,
       {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
  };
  for (const Vector& v : vectors) {
    absl::StatusOr<std::vector<std::string>> proof =
        ConsistencyProof(tree.Reader(), v.old_size, v.new_size);
    ASSERT_TRUE(proof.ok()) << proof.status();
    std::vector<std::string> hex;
    for (const std::string& h : *proof) hex.push_back(Hex(h));
    EXPECT_EQ(hex, v.path) << v.old_size << " -> " << v.new_size;
    EXPECT_TRUE(proofcheck::VerifyConsistency(v.old_size, v.new_size, Bytes(kRoots[v.old_size]),
                                              Bytes(kRoots[v.new_size]), *proof));
  }
}

TEST(MerkleTree, EveryProofOfLargerTreesVerifiesAndATamperedOneDoesNot) {
  std::vector<std::string> data;
  for (int i = 0; i < 70; ++i) data.push_back(std::string(1, static_cast<char>(i)) + "record");
  const StoredTree tree(data);
  std::vector<std::string> roots = {EmptyRoot()};
  for (size_t n = 1; n <= data.size(); ++n) roots.push_back(*SubtreeRoot(tree.Reader(), 0, n));
  for (uint64_t size = 1; size <= data.size(); ++size) {
    for (uint64_t index = 0; index < size; ++index) {
      const std::vector<std::string> proof = *InclusionProof(tree.Reader(), index, size);
      ASSERT_TRUE(proofcheck::VerifyInclusion(index, size, LeafHash(data[index]), proof,
                                              roots[size]))
          << index << " of " << size;
      if (!proof.empty()) {
        std::vector<std::string> bad = proof;
        bad.back()[0] ^= 1;
        EXPECT_FALSE(proofcheck::VerifyInclusion(index, size, LeafHash(data[index]), bad,
                                                 roots[size]));
      }
    }
    for (uint64_t old_size = 1; old_size <= size; ++old_size) {
      const std::vector<std::string> proof = *ConsistencyProof(tree.Reader(), old_size, size);
      ASSERT_TRUE(proofcheck::VerifyConsistency(old_size, size, roots[old_size], roots[size], proof))
          << old_size << " -> " << size;
      if (old_size < size) {
        // A different old tree (one record changed) is not extended by this one.
        std::string other = roots[old_size];
        other[0] ^= 1;
        EXPECT_FALSE(proofcheck::VerifyConsistency(old_size, size, other, roots[size], proof));
      }
    }
  }
  // The verifier agrees with the server's hashing.
  EXPECT_EQ(proofcheck::LeafHash("x"), LeafHash("x"));
  EXPECT_EQ(proofcheck::NodeHash("a", "b"), NodeHash("a", "b"));
}

TEST(MerkleTree, ChunkRootsFoldIntoTheRootAndNameTheFirstChangedChunk) {
  std::vector<std::string> data;
  for (int i = 0; i < 70; ++i) data.push_back(std::string(1, static_cast<char>(i)) + "record");
  const StoredTree tree(data);
  for (uint64_t size = 0; size <= data.size(); ++size) {
    const std::string root = *SubtreeRoot(tree.Reader(), 0, size);
    for (uint64_t chunk : {1, 2, 4, 8, 64, 128}) {
      const std::vector<std::string> roots = *ChunkRoots(tree.Reader(), size, chunk);
      ASSERT_EQ(roots.size(), (size + chunk - 1) / chunk) << size << " by " << chunk;
      EXPECT_EQ(proofcheck::RootFromChunks(roots), root) << size << " by " << chunk;
    }
  }
  // Chunk size 1: the chunk roots are the leaves.
  EXPECT_EQ((*ChunkRoots(tree.Reader(), 3, 1))[2], LeafHash(data[2]));
  // Leaf 37 changed: chunks before it agree, its chunk (37 / 8 = 4) does not.
  std::vector<std::string> changed = data;
  changed[37] += "!";
  const StoredTree forged(changed);
  const std::vector<std::string> kept = *ChunkRoots(tree.Reader(), 70, 8);
  const std::vector<std::string> now = *ChunkRoots(forged.Reader(), 70, 8);
  for (size_t i = 0; i < kept.size(); ++i) EXPECT_EQ(kept[i] == now[i], i != 4) << "chunk " << i;

  EXPECT_EQ(ChunkRoots(tree.Reader(), 70, 3).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ChunkRoots(tree.Reader(), 70, 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(proofcheck::ChunkSizeFor(0), 1u);
  EXPECT_EQ(proofcheck::ChunkSizeFor(65536), 1u);
  EXPECT_EQ(proofcheck::ChunkSizeFor(65537), 2u);
  EXPECT_EQ(proofcheck::ChunkSizeFor(10'000'000), 256u);  // 39,063 chunks
}

TEST(MerkleTree, ProofsOutsideTheTreeAreRefused) {
  const StoredTree tree(Leaves());
  EXPECT_EQ(InclusionProof(tree.Reader(), 8, 8).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(ConsistencyProof(tree.Reader(), 5, 4).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_FALSE(proofcheck::VerifyInclusion(8, 8, LeafHash(""), {}, Bytes(kRoots[8])));
  EXPECT_FALSE(proofcheck::VerifyConsistency(5, 4, Bytes(kRoots[5]), Bytes(kRoots[4]), {}));
}

}  // namespace
}  // namespace tripdesk::eventstore::merkle
