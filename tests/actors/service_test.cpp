// Tenant service tests against a real RocksDB journal in a temporary directory.
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "actors/service.hpp"
#include "domain/commands.hpp"
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
