#pragma once
// Shared fixtures for the persistence tests: a fresh database directory per test, one sample event
// of every type, and raw RocksDB access for damaging stored bytes the way a disk or an attacker
// would.
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "domain/events.hpp"
#include "domain/time.hpp"
#include "persistence/journal.hpp"

namespace bulwark::persistence::testing {

// A directory in the system temp directory (/tmp unless TMPDIR is set), unique per test and
// process, removed when the test ends.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string("bulwark-") + info->test_suite_name() + "-" + info->name() +
                       "-" + std::to_string(::getpid());
    path_ = std::filesystem::temp_directory_path() / name;
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] std::string path() const { return path_.string(); }
  [[nodiscard]] std::string db() const { return (path_ / "db").string(); }

 private:
  std::filesystem::path path_;
};

inline domain::TimePoint test_time(std::int64_t offset_ms = 0) {
  return domain::from_unix_ms(1'780'000'000'000 + offset_ms);
}

// One event data value of every type, in type id order.
inline std::vector<domain::EventData> sample_event_data() {
  using namespace domain;
  GuardrailRule max_amount;
  max_amount.kind = GuardrailRuleKind::max_amount;
  max_amount.max_amount_minor = 50'000;
  max_amount.enforcement = Enforcement::block;
  GuardrailRule allowed;
  allowed.kind = GuardrailRuleKind::allowed_kinds;
  allowed.allowed_kinds = {"create_po", "pause_orders"};
  allowed.enforcement = Enforcement::escalate;
  allowed.escalation_threshold = 3;

  return {
      BudgetSet{100'000, "EUR", "Europe/Berlin"},
      SpendReserved{"r-1", 2'500, "2026-06-01", test_time(60'000), 60, "a-1"},
      SpendCommitted{"r-1", 2'400},
      SpendReleased{"r-2"},
      SpendExpired{"r-3"},
      SafeModeChanged{true, "manual review", "manual",
                      std::vector<std::string>{"create_po", "wire_transfer"}},
      GuardrailSet{"g-1", allowed},
      GuardrailViolated{"g-1", "a-2", 2, Enforcement::block},
      GuardrailEscalated{"g-1", 3},
      ActionProposed{"a-1", "create_po", 2'500, std::string(64, 'a'),
                     nlohmann::json{{"supplier", "ACME"}, {"lines", {1, 2, 3}}},
                     ActionStatus::pending_approval},
      ActionApproved{"a-1", std::string(64, 'a')},
      ActionRejected{"a-3", std::string(64, 'b')},
      ActionExecutionStarted{"a-1", "r-1"},
      ActionExecuted{"a-1"},
      ActionFailed{"a-4", "supplier timed out"},
      WebhookApplied{"evt_1", "customer.subscription.updated", 1'700'000'000, "cus_1", "sub_1",
                     "active", "trialing"},
      WebhookIgnored{"evt_2", "invoice.paid", 1'700'000'001, "stale"},
      WebhookAttemptFailed{"evt_3", "customer.subscription.updated", 1'700'000'002, 1,
                           "invalid_transition", "canceled -> active is not allowed"},
      WebhookDeadLettered{"evt_3", "customer.subscription.updated", 1'700'000'002, 5,
                          "invalid_transition", "canceled -> active is not allowed",
                          R"({"id":"evt_3"})"},
      WebhookRequeued{"evt_3", "customer.subscription.updated"},
      StripeCustomersSet{{"cus_1", "cus_2"}},
      OutboxEnqueued{"t-1:40", "http://127.0.0.1:9/alerts", 0, "regime_changed",
                     nlohmann::json{{"to", "imbalanced_excess"}}},
      OutboxDelivered{"t-1:40", "http://127.0.0.1:9/alerts", 2},
      OutboxAttemptFailed{"t-1:40", "http://127.0.0.1:9/alerts", 1, "http 503"},
      AlertsTargetSet{"http://127.0.0.1:9/alerts"},
      RegimeSet{RegimeSettings{"wti-daily", 1'500, 10'000, 300}},
      RegimeChanged{"wti-daily", "balanced", "imbalanced_excess", 18'372, "2020-04-20", -3'698},
      RateLimitsSet{RateLimitConfig{{{10, 3}, {20, 6}}, {{5, 1}, {7, 2}}, {{1, 1}, {2, 2}}}},
      LeaseAcquired{"retention", "node-1", 3, test_time(90'000), "node-2"},
      LeaseRenewed{"retention", "node-1", 3, test_time(120'000)},
      LeaseReleased{"retention", "node-1", 3},
      RetentionApplied{"retention", "node-1", 3, "t-1", 500, 401, 400},
  };
}

inline domain::Event make_event(std::uint64_t seq, domain::EventData data) {
  domain::Event event;
  event.seq = seq;
  event.ts = test_time(static_cast<std::int64_t>(seq));
  event.principal = "alice";
  event.causation_id = "req-" + std::to_string(seq);
  event.data = std::move(data);
  return event;
}

// Events first_seq .. first_seq + count - 1, cycling through the sample types.
inline std::vector<domain::Event> make_events(std::uint64_t first_seq, std::size_t count) {
  auto samples = sample_event_data();
  std::vector<domain::Event> events;
  for (std::size_t i = 0; i < count; ++i) {
    events.push_back(make_event(first_seq + i, samples[(first_seq + i) % samples.size()]));
  }
  return events;
}

inline std::unique_ptr<Journal> open_journal(const std::string& path, JournalOptions options = {}) {
  auto opened = Journal::open(path, std::move(options));
  if (!opened.ok()) throw std::runtime_error("test journal did not open: " + opened.error());
  return std::move(opened).value();
}

// Opens the database with plain RocksDB, with no journal checks, and passes the handles by column
// family name. The journal must be closed first, since RocksDB allows one writer.
inline void with_raw_db(
    const std::string& path,
    const std::function<void(rocksdb::DB&, std::map<std::string, rocksdb::ColumnFamilyHandle*>&)>&
        body) {
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : names) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  auto status = rocksdb::DB::Open(rocksdb::DBOptions(), path, descriptors, &handles, &db);
  ASSERT_TRUE(status.ok()) << status.ToString();
  std::map<std::string, rocksdb::ColumnFamilyHandle*> by_name;
  for (auto* handle : handles) by_name[handle->GetName()] = handle;
  body(*db, by_name);
  for (auto* handle : handles) EXPECT_TRUE(db->DestroyColumnFamilyHandle(handle).ok());
  EXPECT_TRUE(db->Close().ok());
  delete db;
}

}  // namespace bulwark::persistence::testing
