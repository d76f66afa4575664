// Tenant service tests against a real RocksDB journal in a temporary directory.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "actors/service.hpp"
#include "domain/commands.hpp"
#include "domain/rate_limit.hpp"
#include "domain/lease.hpp"

namespace bulwark::actors {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "bulwark-actors-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Fixed clock, so tests choose the budget day and step past expiry deadlines.
struct TestClock {
  std::atomic<std::int64_t> unix_ms{1'796'000'000'000};  // 2026-11-30T...Z
  std::chrono::system_clock::time_point now() const {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(unix_ms.load()));
  }
};

ServiceOptions options_for(const std::string& dir, TestClock& clock) {
  ServiceOptions options;
  options.data_dir = dir;
  options.snapshot_every_events = 10;
  options.clock = [&clock] { return clock.now(); };
  return options;
}

Reply call(TenantService& service, const std::string& tenant, domain::Command command) {
  std::promise<Reply> promise;
  auto future = promise.get_future();
  service.submit(RequestContext{tenant, "alice", "req"}, std::move(command),
                 [&promise](Reply reply) { promise.set_value(std::move(reply)); });
  return future.get();
}

Reply ask(TenantService& service, const std::string& tenant, TenantQuery query) {
  std::promise<Reply> promise;
  auto future = promise.get_future();
  service.query(RequestContext{tenant, "alice", "req"}, query,
                [&promise](Reply reply) { promise.set_value(std::move(reply)); });
  return future.get();
}

TEST(TenantService, ConcurrentReservesRespectLimit) {
  TempDir dir;
  TestClock clock;
  {
    TenantService service(options_for(dir.path(), clock));
    ASSERT_EQ(call(service, "t1", domain::SetBudget{100000, "USD", "Europe/Berlin"}).status,
              Reply::Status::ok);

    std::mutex mutex;
    std::condition_variable done;
    int answered = 0, accepted = 0, limited = 0;
    for (int i = 0; i < 50; ++i) {
      service.submit(RequestContext{"t1", "alice", "r" + std::to_string(i)},
                     domain::Reserve{"r-" + std::to_string(i), 3000, 300}, [&](Reply reply) {
                       std::lock_guard lock(mutex);
                       if (reply.status == Reply::Status::ok) ++accepted;
                       if (reply.rejection &&
                           reply.rejection->code == domain::RejectionCode::limit_exceeded) {
                         ++limited;
                       }
                       ++answered;
                       done.notify_one();
                     });
    }
    std::unique_lock lock(mutex);
    done.wait(lock, [&] { return answered == 50; });
    EXPECT_EQ(accepted, 33);
    EXPECT_EQ(limited, 17);
  }
  // A new service over the same journal recovers the same totals.
  TenantService service(options_for(dir.path(), clock));
  Reply summary = ask(service, "t1", TenantQuery{});
  ASSERT_EQ(summary.status, Reply::Status::ok);
  EXPECT_EQ(summary.body["budget"]["reserved_minor"], 99000);
  EXPECT_EQ(summary.body["last_seq"], 34);
}

TEST(TenantService, RepeatedReserveWritesNothing) {
  TempDir dir;
  TestClock clock;
  TenantService service(options_for(dir.path(), clock));
  ASSERT_EQ(call(service, "t1", domain::SetBudget{100000, "USD", "UTC"}).status,
            Reply::Status::ok);
  Reply first = call(service, "t1", domain::Reserve{"r-1", 500, 60});
  Reply second = call(service, "t1", domain::Reserve{"r-1", 500, 60});
  EXPECT_TRUE(first.created);
  EXPECT_EQ(first.body, second.body);
  Reply conflict = call(service, "t1", domain::Reserve{"r-1", 600, 60});
  ASSERT_TRUE(conflict.rejection);
  EXPECT_EQ(conflict.rejection->code, domain::RejectionCode::idempotency_conflict);
  EXPECT_EQ(ask(service, "t1", TenantQuery{}).body["last_seq"], 2);
}

TEST(TenantService, ReservationExpiresAfterRestart) {
  TempDir dir;
  TestClock clock;
  {
    TenantService service(options_for(dir.path(), clock));
    ASSERT_EQ(call(service, "t1", domain::SetBudget{100000, "USD", "UTC"}).status,
              Reply::Status::ok);
    ASSERT_EQ(call(service, "t1", domain::Reserve{"r-1", 500, 1}).status, Reply::Status::ok);
  }
  clock.unix_ms += 1500;  // past the deadline while the node was down
  TenantService service(options_for(dir.path(), clock));
  service.recover_tenants();
  TenantQuery events{TenantQuery::Kind::events, {}, 0, 100};
  nlohmann::json last;
  for (int attempt = 0; attempt < 100; ++attempt) {
    last = ask(service, "t1", events).body["events"].back();
    if (last["type"] == "spend_expired") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(last["type"], "spend_expired");
  EXPECT_EQ(last["principal"], "system");
  EXPECT_EQ(ask(service, "t1", TenantQuery{}).body["budget"]["reserved_minor"], 0);
}

TEST(TenantService, SnapshotAndEventsRecoverSameState) {
  TempDir dir;
  TestClock clock;
  nlohmann::json before;
  {
    TenantService service(options_for(dir.path(), clock));
    ASSERT_EQ(call(service, "t1", domain::SetBudget{1000000, "USD", "UTC"}).status,
              Reply::Status::ok);
    for (int i = 0; i < 25; ++i) {
      auto id = "r-" + std::to_string(i);
      ASSERT_EQ(call(service, "t1", domain::Reserve{id, 100 + i, 600}).status, Reply::Status::ok);
      if (i % 2 == 0) {
        ASSERT_EQ(call(service, "t1", domain::Commit{id, 50}).status, Reply::Status::ok);
      }
    }
    before = ask(service, "t1", TenantQuery{}).body;
  }
  TenantService service(options_for(dir.path(), clock));
  EXPECT_EQ(ask(service, "t1", TenantQuery{}).body, before);
}

TEST(TenantService, FailedAppendFailsReplyAndRecovers) {
  TempDir dir;
  TestClock clock;
  std::atomic<bool> fail_next{false};
  ServiceOptions options = options_for(dir.path(), clock);
  options.inject_write_failure = [&fail_next] { return fail_next.exchange(false); };
  TenantService service(options);
  ASSERT_EQ(call(service, "t1", domain::SetBudget{100000, "USD", "UTC"}).status,
            Reply::Status::ok);

  fail_next = true;
  Reply failed = call(service, "t1", domain::Reserve{"r-1", 500, 60});
  EXPECT_EQ(failed.status, Reply::Status::unavailable);

  // The actor restarted from the journal: the failed reservation is absent and can be retried.
  Reply summary = ask(service, "t1", TenantQuery{});
  EXPECT_EQ(summary.body["last_seq"], 1);
  EXPECT_EQ(summary.body["budget"]["reserved_minor"], 0);
  Reply retried = call(service, "t1", domain::Reserve{"r-1", 500, 60});
  EXPECT_EQ(retried.status, Reply::Status::ok);
  EXPECT_EQ(ask(service, "t1", TenantQuery{}).body["last_seq"], 2);
}

// Rate limits in the tenant actor, with a clock that steps forward and back.

domain::RateLimitConfig approvals_per_principal(std::int64_t rate_per_minute, std::int64_t burst) {
  domain::RateLimitConfig config = domain::default_rate_limits();
  config.approvals.per_principal = domain::RateLimit{rate_per_minute, burst};
  return config;
}

// Proposes actions a-0 .. a-(count - 1), which proposals do not draw on any rate limit.
void propose_actions(TenantService& service, int count) {
  for (int i = 0; i < count; ++i) {
    domain::ProposeAction propose{"a-" + std::to_string(i), "create_po", 100,
                                  nlohmann::json::object(), std::string(64, 'a')};
    ASSERT_EQ(call(service, "t1", propose).status, Reply::Status::ok) << "propose a-" << i;
  }
}

struct ApprovalCounts {
  int accepted = 0;
  int limited = 0;
  std::int64_t retry_after_s_max = 0;
};

// Approves actions first .. first + count - 1 and counts the outcomes.
ApprovalCounts approve_range(TenantService& service, int first, int count) {
  ApprovalCounts counts;
  for (int i = first; i < first + count; ++i) {
    Reply reply = call(service, "t1", domain::ApproveAction{"a-" + std::to_string(i)});
    if (reply.status == Reply::Status::ok) ++counts.accepted;
    if (reply.rejection && reply.rejection->code == domain::RejectionCode::rate_limited) {
      ++counts.limited;
      counts.retry_after_s_max = std::max<std::int64_t>(
          counts.retry_after_s_max, reply.rejection->details["retry_after_s"].get<std::int64_t>());
    }
  }
  return counts;
}

TEST(TenantService, RateLimitSurvivesClockJumps) {
  TempDir dir;
  TestClock clock;
  TenantService service(options_for(dir.path(), clock));
  ASSERT_EQ(call(service, "t1", domain::SetRateLimits{approvals_per_principal(10, 10)}).status,
            Reply::Status::ok);
  ASSERT_NO_FATAL_FAILURE(propose_actions(service, 60));
  std::uint64_t seq_before = ask(service, "t1", TenantQuery{}).body["last_seq"];

  ApprovalCounts burst = approve_range(service, 0, 15);
  EXPECT_EQ(burst.accepted, 10);
  EXPECT_EQ(burst.limited, 5);
  EXPECT_EQ(burst.retry_after_s_max, 6);
  // Limited requests write nothing: only the ten approvals were journaled.
  EXPECT_EQ(ask(service, "t1", TenantQuery{}).body["last_seq"], seq_before + 10);

  // A day forward refills one burst, not a day's worth of requests.
  clock.unix_ms += 24 * 3600 * 1000;
  ApprovalCounts forward = approve_range(service, 15, 15);
  EXPECT_EQ(forward.accepted, 10);
  EXPECT_EQ(forward.limited, 5);

  // Two days back neither refills the burst nor locks the principal out for two days.
  clock.unix_ms -= 2 * 24 * 3600 * 1000;
  ApprovalCounts backward = approve_range(service, 30, 3);
  EXPECT_EQ(backward.accepted, 0);
  EXPECT_EQ(backward.retry_after_s_max, 6);
  clock.unix_ms += 6000;
  ApprovalCounts recovered = approve_range(service, 33, 2);
  EXPECT_EQ(recovered.accepted, 1);
  EXPECT_EQ(recovered.limited, 1);
}

TEST(TenantService, RepeatedApprovalSkipsRateLimit) {
  TempDir dir;
  TestClock clock;
  TenantService service(options_for(dir.path(), clock));
  ASSERT_EQ(call(service, "t1", domain::SetRateLimits{approvals_per_principal(1, 1)}).status,
            Reply::Status::ok);
  ASSERT_NO_FATAL_FAILURE(propose_actions(service, 2));
  Reply first = call(service, "t1", domain::ApproveAction{"a-0"});
  ASSERT_EQ(first.status, Reply::Status::ok);

  Reply limited = call(service, "t1", domain::ApproveAction{"a-1"});
  ASSERT_TRUE(limited.rejection);
  EXPECT_EQ(limited.rejection->code, domain::RejectionCode::rate_limited);
  EXPECT_EQ(limited.rejection->details["retry_after_s"], 60);

  // The same approval again gets its first outcome although the allowance is used up.
  Reply repeat = call(service, "t1", domain::ApproveAction{"a-0"});
  EXPECT_EQ(repeat.status, Reply::Status::ok);
  EXPECT_EQ(repeat.body, first.body);
}

TEST(TenantService, RateLimitConfigSurvivesRestart) {
  TempDir dir;
  TestClock clock;
  {
    TenantService service(options_for(dir.path(), clock));
    ASSERT_EQ(call(service, "t1", domain::SetRateLimits{approvals_per_principal(2, 2)}).status,
              Reply::Status::ok);
  }
  TenantService service(options_for(dir.path(), clock));
  Reply summary = ask(service, "t1", TenantQuery{});
  EXPECT_EQ(summary.body["rate_limits"]["approvals"]["per_principal"]["burst"], 2);
  EXPECT_EQ(summary.body["rate_limits"]["configured"], true);
  ASSERT_NO_FATAL_FAILURE(propose_actions(service, 3));
  ApprovalCounts counts = approve_range(service, 0, 3);
  EXPECT_EQ(counts.accepted, 2);
  EXPECT_EQ(counts.limited, 1);
}

TEST(TenantService, LimiterDebtDelaysPassivation) {
  TempDir dir;
  TestClock clock;
  ServiceOptions options = options_for(dir.path(), clock);
  options.passivate_after = std::chrono::milliseconds(20);
  TenantService service(options);
  ASSERT_EQ(call(service, "t1", domain::SetRateLimits{approvals_per_principal(1, 1)}).status,
            Reply::Status::ok);
  ASSERT_NO_FATAL_FAILURE(propose_actions(service, 2));
  ASSERT_EQ(call(service, "t1", domain::ApproveAction{"a-0"}).status, Reply::Status::ok);

  // Idle far beyond passivate_after while the principal still owes 60 s of the fake clock: the
  // actor must stay, or a new actor would grant a fresh burst.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(service.stats().passivations_total, 0u);
  Reply limited = call(service, "t1", domain::ApproveAction{"a-1"});
  ASSERT_TRUE(limited.rejection);
  EXPECT_EQ(limited.rejection->code, domain::RejectionCode::rate_limited);

  // Once the allowance has refilled, the idle actor passivates as usual.
  clock.unix_ms += 60'000;
  for (int attempt = 0; attempt < 100 && service.stats().passivations_total == 0; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(service.stats().passivations_total, 1u);
}

std::string code_of(const Reply& reply) {
  return reply.rejection ? domain::to_string(reply.rejection->code) : "accepted";
}

std::uint64_t first_event_seq(TenantService& service, const std::string& tenant) {
  TenantQuery query;
  query.kind = TenantQuery::Kind::events;
  query.limit = 1;
  auto page = ask(service, tenant, query).body.at("events");
  return page.empty() ? 0 : page[0].at("seq").get<std::uint64_t>();
}

TEST(TenantService, LeaseCommandsReachOnlySystemTenant) {
  TempDir dir;
  TestClock clock;
  TenantService service(options_for(dir.path(), clock));
  domain::Command acquire = domain::LeaseCommand{domain::AcquireLease{"retention", "a", 1000}};

  EXPECT_EQ(code_of(call(service, "t1", acquire)), "invalid_request");
  EXPECT_EQ(code_of(call(service, domain::system_tenant_id, domain::SetBudget{1000, "USD", "UTC"})),
            "invalid_request");
  auto acquired = call(service, domain::system_tenant_id, acquire);
  ASSERT_EQ(acquired.status, Reply::Status::ok) << code_of(acquired);
  EXPECT_EQ(acquired.body.at("token"), 1);
}

TEST(TenantService, StaleTokenDeletesNothing) {
  TempDir dir;
  TestClock clock;
  TenantService service(options_for(dir.path(), clock));
  ASSERT_EQ(call(service, "t1", domain::SetBudget{1000000, "USD", "UTC"}).status,
            Reply::Status::ok);
  for (int i = 0; i < 11; ++i) {
    auto id = "r-" + std::to_string(i);
    ASSERT_EQ(call(service, "t1", domain::Reserve{id, 100, 600}).status, Reply::Status::ok);
  }
  const std::string system = domain::system_tenant_id;
  ASSERT_EQ(call(service, system, domain::LeaseCommand{domain::AcquireLease{"retention", "a", 1000}})
                .status,
            Reply::Status::ok);
  clock.unix_ms += 1000;
  auto taken = call(service, system, domain::LeaseCommand{domain::AcquireLease{"retention", "b", 60000}});
  ASSERT_EQ(taken.status, Reply::Status::ok) << code_of(taken);
  ASSERT_EQ(taken.body.at("token"), 2);

  auto commit = [&](const std::string& owner, std::uint64_t token) {
    domain::RetentionApplied record{"retention", owner, token, "t1", 0, 4, 0};
    return call(service, system, domain::LeaseCommand{domain::RecordRetention{record}});
  };
  EXPECT_EQ(code_of(commit("a", 1)), "lease_fenced");
  EXPECT_EQ(first_event_seq(service, "t1"), 1u);

  auto current = commit("b", 2);
  EXPECT_EQ(current.status, Reply::Status::ok) << code_of(current) << " " << current.error;
  EXPECT_EQ(first_event_seq(service, "t1"), 4u);
}

}  // namespace
}  // namespace bulwark::actors
