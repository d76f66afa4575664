#include "domain/lease.hpp"

#include <gtest/gtest.h>

#include "domain/audit.hpp"
#include "test_support.hpp"

namespace bulwark::domain {
namespace {

using testing::at;
using testing::code_of;
using testing::Tenant;
using testing::type_names;

constexpr std::int64_t ttl_ms = 30'000;

AcquireLease acquire(const std::string& owner) { return AcquireLease{"retention", owner, ttl_ms}; }

RenewLease renew(const std::string& owner, std::uint64_t token) {
  return RenewLease{"retention", owner, token, ttl_ms};
}

ReleaseLease release(const std::string& owner, std::uint64_t token) {
  return ReleaseLease{"retention", owner, token};
}

RecordRetention commit(const std::string& owner, std::uint64_t token) {
  return RecordRetention{RetentionApplied{"retention", owner, token, "t-1", 100, 51, 50}};
}

const Lease& lease_of(const Tenant& tenant) { return tenant.state.leases.leases.at("retention"); }

TEST(LeaseDecide, AcquiresFreeLeaseWithTokenOne) {
  Tenant tenant;
  auto decision = tenant.run(LeaseCommand{acquire("node-a")}, at("2026-12-04T10:00:00Z"));
  EXPECT_EQ(code_of(decision), "accepted");
  EXPECT_EQ(type_names(decision.events), std::vector<std::string>{"lease_acquired"});
  EXPECT_EQ(lease_of(tenant).owner, "node-a");
  EXPECT_EQ(lease_of(tenant).token, 1u);
  EXPECT_EQ(lease_of(tenant).expires_at, at("2026-12-04T10:00:30Z"));
}

TEST(LeaseDecide, RejectsAcquireOfLiveLease) {
  Tenant tenant;
  tenant.given(LeaseCommand{acquire("node-a")}, at("2026-12-04T10:00:00Z"));
  auto decision = tenant.run(LeaseCommand{acquire("node-b")}, at("2026-12-04T10:00:29.999Z"));
  EXPECT_EQ(code_of(decision), "lease_held");
  EXPECT_TRUE(decision.events.empty());
  EXPECT_EQ(decision.rejection->details.at("owner"), "node-a");
  EXPECT_EQ(lease_of(tenant).token, 1u);
}

TEST(LeaseDecide, RepeatedAcquireByHolderWritesNothing) {
  Tenant tenant;
  tenant.given(LeaseCommand{acquire("node-a")}, at("2026-12-04T10:00:00Z"));
  auto decision = tenant.run(LeaseCommand{acquire("node-a")}, at("2026-12-04T10:00:10Z"));
  EXPECT_EQ(code_of(decision), "accepted");
  EXPECT_TRUE(decision.events.empty());
  EXPECT_EQ(lease_of(tenant).token, 1u);
}

TEST(LeaseDecide, TakeoverAfterExpiryRaisesToken) {
  Tenant tenant;
  tenant.given(LeaseCommand{acquire("node-a")}, at("2026-12-04T10:00:00Z"));
  auto decision = tenant.run(LeaseCommand{acquire("node-b")}, at("2026-12-04T10:00:30Z"));
  ASSERT_EQ(code_of(decision), "accepted");
  EXPECT_EQ(lease_of(tenant).owner, "node-b");
  EXPECT_EQ(lease_of(tenant).token, 2u);
  EXPECT_EQ(std::get<LeaseAcquired>(decision.events.at(0)).previous_owner, "node-a");
}

TEST(LeaseDecide, AcquireAfterReleaseRaisesToken) {
  Tenant tenant;
  tenant.given(LeaseCommand{acquire("node-a")}, at("2026-12-04T10:00:00Z"));
  tenant.given(LeaseCommand{release("node-a", 1)}, at("2026-12-04T10:00:01Z"));
  tenant.given(LeaseCommand{acquire("node-a")}, at("2026-12-04T10:00:02Z"));
  EXPECT_EQ(lease_of(tenant).token, 2u);
  EXPECT_FALSE(lease_of(tenant).released);
}

TEST(LeaseDecide, RenewExtendsExpiry) {
  Tenant tenant;
  tenant.given(LeaseCommand{acquire("node-a")}, at("2026-12-04T10:00:00Z"));
  auto decision = tenant.run(LeaseCommand{renew("node-a", 1)}, at("2026-12-04T10:00:20Z"));
  EXPECT_EQ(code_of(decision), "accepted");
  EXPECT_EQ(lease_of(tenant).expires_at, at("2026-12-04T10:00:50Z"));
  EXPECT_EQ(lease_of(tenant).token, 1u);
}

TEST(LeaseDecide, RejectsRenewAfterExpiry) {
  Tenant tenant;
  tenant.given(LeaseCommand{acquire("node-a")}, at("2026-12-04T10:00:00Z"));
  auto decision = tenant.run(LeaseCommand{renew("node-a", 1)}, at("2026-12-04T10:00:30Z"));
  EXPECT_EQ(code_of(decision), "lease_expired");
  EXPECT_TRUE(decision.events.empty());
}

TEST(LeaseDecide, RejectsRenewWithWrongToken) {
  Tenant tenant;
  tenant.given(LeaseCommand{acquire("node-a")}, at("2026-12-04T10:00:00Z"));
  auto decision = tenant.run(LeaseCommand{renew("node-a", 2)}, at("2026-12-04T10:00:01Z"));
  EXPECT_EQ(code_of(decision), "lease_fenced");
}

TEST(LeaseDecide, StaleOwnerCannotRenewReleaseOrCommit) {
  Tenant tenant;
  tenant.given(LeaseCommand{acquire("node-a")}, at("2026-12-04T10:00:00Z"));
  tenant.given(LeaseCommand{acquire("node-b")}, at("2026-12-04T10:01:00Z"));
  auto now = at("2026-12-04T10:01:01Z");

  auto renewed = tenant.run(LeaseCommand{renew("node-a", 1)}, now);
  EXPECT_EQ(code_of(renewed), "lease_fenced");
  auto released = tenant.run(LeaseCommand{release("node-a", 1)}, now);
  EXPECT_EQ(code_of(released), "lease_fenced");
  auto committed = tenant.run(LeaseCommand{commit("node-a", 1)}, now);
  EXPECT_EQ(code_of(committed), "lease_fenced");
  EXPECT_EQ(committed.rejection->details.at("token"), 2);

  EXPECT_EQ(tenant.journal.size(), 2u);
  EXPECT_EQ(lease_of(tenant).owner, "node-b");
  EXPECT_FALSE(lease_of(tenant).released);
}

TEST(LeaseDecide, OtherJobLeaseCannotCommitRetention) {
  Tenant tenant;
  tenant.given(LeaseCommand{acquire("node-a")}, at("2026-12-04T10:00:00Z"));
  tenant.given(LeaseCommand{AcquireLease{"reports", "node-b", ttl_ms}}, at("2026-12-04T10:00:01Z"));

  // node-b holds a live lease, but of another job: it must not fence a deletion.
  auto committed = tenant.run(
      LeaseCommand{RecordRetention{RetentionApplied{"reports", "node-b", 1, "t-1", 100, 51, 50}}},
      at("2026-12-04T10:00:02Z"));
  EXPECT_EQ(code_of(committed), "invalid_request");
  EXPECT_EQ(tenant.journal.size(), 2u);
}

TEST(LeaseDecide, SameOwnerWithOldTokenIsFenced) {
  Tenant tenant;
  tenant.given(LeaseCommand{acquire("node-a")}, at("2026-12-04T10:00:00Z"));
  tenant.given(LeaseCommand{acquire("node-a")}, at("2026-12-04T10:00:31Z"));
  ASSERT_EQ(lease_of(tenant).token, 2u);
  auto committed = tenant.run(LeaseCommand{commit("node-a", 1)}, at("2026-12-04T10:00:32Z"));
  EXPECT_EQ(code_of(committed), "lease_fenced");
}

TEST(LeaseDecide, HolderCommitsWhileLive) {
  Tenant tenant;
  tenant.given(LeaseCommand{acquire("node-a")}, at("2026-12-04T10:00:00Z"));
  auto decision = tenant.run(LeaseCommand{commit("node-a", 1)}, at("2026-12-04T10:00:10Z"));
  EXPECT_EQ(code_of(decision), "accepted");
  EXPECT_EQ(type_names(decision.events), std::vector<std::string>{"retention_applied"});
}

TEST(LeaseDecide, RejectsCommitAfterExpiry) {
  Tenant tenant;
  tenant.given(LeaseCommand{acquire("node-a")}, at("2026-12-04T10:00:00Z"));
  auto decision = tenant.run(LeaseCommand{commit("node-a", 1)}, at("2026-12-04T10:00:30Z"));
  EXPECT_EQ(code_of(decision), "lease_expired");
}

TEST(LeaseDecide, RejectsCommitAfterRelease) {
  Tenant tenant;
  tenant.given(LeaseCommand{acquire("node-a")}, at("2026-12-04T10:00:00Z"));
  tenant.given(LeaseCommand{release("node-a", 1)}, at("2026-12-04T10:00:01Z"));
  auto decision = tenant.run(LeaseCommand{commit("node-a", 1)}, at("2026-12-04T10:00:02Z"));
  EXPECT_EQ(code_of(decision), "lease_expired");
}

TEST(LeaseDecide, ReleaseTwiceWritesOnce) {
  Tenant tenant;
  tenant.given(LeaseCommand{acquire("node-a")}, at("2026-12-04T10:00:00Z"));
  tenant.given(LeaseCommand{release("node-a", 1)}, at("2026-12-04T10:00:01Z"));
  auto again = tenant.run(LeaseCommand{release("node-a", 1)}, at("2026-12-04T10:00:02Z"));
  EXPECT_EQ(code_of(again), "accepted");
  EXPECT_TRUE(again.events.empty());
}

TEST(LeaseDecide, RejectsInvalidFields) {
  Tenant tenant;
  auto now = at("2026-12-04T10:00:00Z");
  EXPECT_EQ(code_of(tenant.run(LeaseCommand{AcquireLease{"", "node-a", ttl_ms}}, now)),
            "invalid_request");
  EXPECT_EQ(code_of(tenant.run(LeaseCommand{AcquireLease{"retention", "a b", ttl_ms}}, now)),
            "invalid_request");
  EXPECT_EQ(code_of(tenant.run(LeaseCommand{AcquireLease{"retention", "node-a", 0}}, now)),
            "invalid_request");
  EXPECT_EQ(code_of(tenant.run(LeaseCommand{AcquireLease{"retention", "node-a",
                                                         lease_ttl_ms_max + 1}},
                               now)),
            "invalid_request");
  EXPECT_TRUE(tenant.journal.empty());
}

TEST(LeaseState, SnapshotRoundTripKeepsTokens) {
  Tenant tenant;
  tenant.given(LeaseCommand{acquire("node-a")}, at("2026-12-04T10:00:00Z"));
  tenant.given(LeaseCommand{acquire("node-b")}, at("2026-12-04T10:01:00Z"));
  tenant.given(LeaseCommand{release("node-b", 2)}, at("2026-12-04T10:01:01Z"));
  TenantState restored = state_from_json(state_to_json(tenant.state));
  EXPECT_EQ(restored, tenant.state);
  EXPECT_EQ(restored.leases.leases.at("retention").token, 2u);
  EXPECT_TRUE(restored.leases.leases.at("retention").released);
}

TEST(LeaseAudit, FlagsTokenThatDoesNotGrowByOne) {
  Tenant tenant;
  tenant.given(LeaseCommand{acquire("node-a")}, at("2026-12-04T10:00:00Z"));
  Event forged;
  forged.seq = tenant.state.last_seq + 1;
  forged.ts = at("2026-12-04T10:01:00Z");
  forged.data = LeaseAcquired{"retention", "node-b", 1, at("2026-12-04T10:02:00Z"), "node-a"};
  auto violation = check_event(tenant.state, forged);
  ASSERT_TRUE(violation.has_value());
  EXPECT_EQ(violation->invariant, "fencing_token_order");
  EXPECT_THROW(apply(tenant.state, forged), std::logic_error);
}

}  // namespace
}  // namespace bulwark::domain
