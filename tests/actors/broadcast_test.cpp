#include "actors/broadcast.hpp"

#include <gtest/gtest.h>

#include <type_traits>
#include <vector>

namespace bulwark::actors {
namespace {

// A message without a scope cannot be built, and publish() takes only the two scoped types.
static_assert(!std::is_default_constructible_v<TenantMessage>);
static_assert(!std::is_default_constructible_v<PlatformMessage>);
static_assert(!std::is_constructible_v<PlatformMessage, std::string>);

struct Recorder {
  std::vector<std::string> payloads;
  PushSink sink() {
    return [this](const PushFrame& frame) { payloads.push_back(*frame.payload); };
  }
};

TEST(Broadcaster, TenantMessageReachesOnlyItsTenant) {
  Broadcaster broadcaster;
  Recorder a, b, platform;
  auto sub_a = broadcaster.subscribe_tenant("a", a.sink());
  auto sub_b = broadcaster.subscribe_tenant("b", b.sink());
  auto sub_platform = broadcaster.subscribe_platform(platform.sink());

  broadcaster.publish(TenantMessage("a", 1, "budget_set", "a1"));
  broadcaster.publish(TenantMessage("a", 2, "spend_reserved", "a2"));
  broadcaster.publish(TenantMessage("b", 1, "budget_set", "b1"));
  broadcaster.publish(PlatformMessage("platform_stats", "p1"));

  EXPECT_EQ(a.payloads, (std::vector<std::string>{"a1", "a2"}));
  EXPECT_EQ(b.payloads, (std::vector<std::string>{"b1"}));
  EXPECT_EQ(platform.payloads, (std::vector<std::string>{"p1"}));
}

TEST(Broadcaster, UnsubscribeStopsDelivery) {
  Broadcaster broadcaster;
  Recorder first, second;
  auto sub_first = broadcaster.subscribe_tenant("a", first.sink());
  auto sub_second = broadcaster.subscribe_tenant("a", second.sink());
  EXPECT_EQ(broadcaster.tenant_subscribers(), 2u);
  sub_first.reset();
  EXPECT_EQ(broadcaster.tenant_subscribers(), 1u);
  broadcaster.publish(TenantMessage("a", 1, "budget_set", "a1"));
  EXPECT_TRUE(first.payloads.empty());
  EXPECT_EQ(second.payloads, (std::vector<std::string>{"a1"}));
}

}  // namespace
}  // namespace bulwark::actors
