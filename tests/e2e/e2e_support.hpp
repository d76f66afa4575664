#pragma once
// GoogleTest fixture and helpers shared by the end-to-end suites: one node per test, tokens for one
// tenant at every role, and readers for the audit journal.
#include <gtest/gtest.h>

#include <condition_variable>
#include <iostream>
#include <mutex>

#include "node_process.hpp"

namespace bulwark::e2e {

inline constexpr const char* tenant_id = "acme";

// Starts a node in each test and prints the node's log tail when the test fails.
class NodeTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (!node_) return;
    if (HasFailure()) {
      node_->keep_files();
      std::cerr << "---- node data kept in " << node_->data_dir() << "\n---- node log tail:\n"
                << node_->log_tail() << "----\n";
    }
    node_.reset();
  }

  // Starts the node and mints the tenant's tokens. Fails the test (fatally) when it cannot start.
  void start_node(NodeOptions options = {}) {
    node_ = std::make_unique<NodeProcess>(options);
    ASSERT_TRUE(node_->start()) << "node did not start: " << node_->last_error();
    viewer_ = node_->token(tenant_id, "vera", gateway::Role::viewer);
    operator_ = node_->token(tenant_id, "otto", gateway::Role::operator_role);
    approver_ = node_->token(tenant_id, "anna", gateway::Role::approver);
    admin_ = node_->token(tenant_id, "adam", gateway::Role::admin);
  }

  void restart_node() { ASSERT_TRUE(node_->start()) << "restart failed: " << node_->last_error(); }

  [[nodiscard]] HttpClient client() const { return HttpClient(node_->port()); }

  // PUTs /v1/tenant/budget in Europe/Berlin. Fails the test unless the response is 200.
  void set_budget(std::int64_t daily_limit_minor) {
    HttpClient http(node_->port());
    auto response = http.put(
        "/v1/tenant/budget",
        {{"daily_limit_minor", daily_limit_minor}, {"currency", "EUR"}, {"time_zone", "Europe/Berlin"}},
        admin_);
    ASSERT_EQ(response.status, 200) << "PUT /v1/tenant/budget: " << response.describe();
  }

  std::unique_ptr<NodeProcess> node_;
  std::string viewer_;
  std::string operator_;
  std::string approver_;
  std::string admin_;
};

// Releases every waiting thread at once, so concurrent requests really overlap.
class StartGate {
 public:
  void wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    opened_.wait(lock, [this] { return open_; });
  }
  void open() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      open_ = true;
    }
    opened_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable opened_;
  bool open_ = false;
};

inline std::string event_type(const json& event) { return event.value("type", std::string()); }

// Sum of data.amount_minor over the events of `type`.
inline std::int64_t sum_amounts(const std::vector<json>& events, const std::string& type) {
  std::int64_t sum = 0;
  for (const auto& event : events) {
    if (event_type(event) == type) sum += event.at("data").value("amount_minor", std::int64_t{0});
  }
  return sum;
}

inline std::size_t count_type(const std::vector<json>& events, const std::string& type) {
  std::size_t count = 0;
  for (const auto& event : events) count += event_type(event) == type ? 1 : 0;
  return count;
}

// Returns "" when the seqs are exactly 1..n in order, or a description of the first break.
inline std::string check_gap_free(const std::vector<json>& events) {
  for (std::size_t i = 0; i < events.size(); ++i) {
    auto seq = events[i].value("seq", std::uint64_t{0});
    if (seq != i + 1) {
      return "event at index " + std::to_string(i) + " has seq " + std::to_string(seq) +
             ", expected " + std::to_string(i + 1);
    }
  }
  return "";
}

}  // namespace bulwark::e2e
