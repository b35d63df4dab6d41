// "Loopback" is decided by parsing the listen address, never by how its
// text starts; peer addresses lose their port for per-address limits.
#include "gtest/gtest.h"
#include "services/identity.h"
#include "services/security.h"

namespace tripdesk::services {
namespace {

TEST(Loopback, IsDecidedByTheParsedAddress) {
  EXPECT_TRUE(IsLoopback("127.0.0.1:50051"));
  EXPECT_TRUE(IsLoopback("127.1.2.3:0"));
  EXPECT_TRUE(IsLoopback("localhost:0"));
  EXPECT_TRUE(IsLoopback("LOCALHOST:0"));
  EXPECT_TRUE(IsLoopback("[::1]:50051"));
  EXPECT_TRUE(IsLoopback("[::ffff:127.0.0.1]:1"));
  EXPECT_FALSE(IsLoopback("127.example.com:50051")) << "a DNS name that starts like an address";
  EXPECT_FALSE(IsLoopback("127.0.0.1.nip.io:1"));
  EXPECT_FALSE(IsLoopback("0.0.0.0:50051"));
  EXPECT_FALSE(IsLoopback("[::]:50051"));
  EXPECT_FALSE(IsLoopback(":50051")) << "every interface";
  EXPECT_FALSE(IsLoopback("10.0.0.7:50051"));
  EXPECT_FALSE(IsLoopback("[::ffff:10.0.0.7]:1"));
  EXPECT_FALSE(IsLoopback("128.0.0.1:1"));
}

TEST(PeerAddress, DropsThePort) {
  EXPECT_EQ(PeerAddress("ipv4:127.0.0.1:54321"), "127.0.0.1");
  EXPECT_EQ(PeerAddress("ipv6:[::1]:54321"), "::1");
  EXPECT_EQ(PeerAddress("ipv6:[2001:db8::7]:443"), "2001:db8::7");
  EXPECT_EQ(PeerAddress("unix:/tmp/sock"), "unix:/tmp/sock");
}

}  // namespace
}  // namespace tripdesk::services
