// Rate limits on approvals against a real node: one allowance shared by every connection, 429
// with Retry-After, nothing journaled for a limited request, and the configuration kept across a
// restart.
#include <atomic>
#include <mutex>
#include <thread>

#include "e2e_support.hpp"

namespace bulwark::e2e {
namespace {

class RateLimitE2E : public NodeTest {
 protected:
  // Limits approvals per principal to 10 per minute with a burst of 10.
  void limit_approvals_to_ten_per_minute() {
    HttpClient http(node_->port());
    json body = {{"approvals",
                  {{"per_principal", {{"rate_per_minute", 10}, {"burst", 10}}},
                   {"per_tenant", {{"rate_per_minute", 600}, {"burst", 100}}}}}};
    auto response = http.put("/v1/tenant/rate-limits", body, admin_);
    ASSERT_EQ(response.status, 200) << "PUT /v1/tenant/rate-limits: " << response.describe();
    EXPECT_EQ(response.body_json["approvals"]["per_principal"]["burst"], 10) << response.body;
    EXPECT_EQ(response.body_json["configured"], true) << response.body;
  }

  void propose_actions(int count) {
    HttpClient http(node_->port());
    for (int i = 0; i < count; ++i) {
      std::string id = "po-" + std::to_string(i);
      auto response = http.post(
          "/v1/actions",
          {{"action_id", id}, {"kind", "create_po"}, {"amount_minor", 100}, {"payload", json::object()}},
          operator_);
      ASSERT_EQ(response.status, 201) << "propose " << id << ": " << response.describe();
    }
  }
};

// Outcomes of the concurrent approvals.
struct ApprovalOutcomes {
  std::mutex mutex;
  int accepted = 0;
  int limited = 0;
  int limited_without_retry_after = 0;
  std::vector<std::string> retry_after_values;
  std::vector<std::string> unexpected;
};

TEST_F(RateLimitE2E, HundredApprovalsGiveTenAcrossRestart) {
  ASSERT_NO_FATAL_FAILURE(start_node());
  ASSERT_NO_FATAL_FAILURE(limit_approvals_to_ten_per_minute());
  constexpr int action_count = 100;
  ASSERT_NO_FATAL_FAILURE(propose_actions(action_count));

  // The configuration is journaled, so the restarted node enforces it.
  ASSERT_EQ(node_->stop(), 0) << "the node did not stop cleanly";
  ASSERT_NO_FATAL_FAILURE(restart_node());
  HttpClient http(node_->port());
  auto summary = http.get("/v1/tenant", viewer_);
  ASSERT_EQ(summary.status, 200) << summary.describe();
  EXPECT_EQ(summary.body_json["rate_limits"]["approvals"]["per_principal"]["rate_per_minute"], 10)
      << summary.body;
  std::uint64_t seq_before = summary.body_json.value("last_seq", std::uint64_t{0});

  // One principal approves from four connections at once, and all of them draw on one allowance.
  constexpr int connection_count = 4;
  ApprovalOutcomes outcomes;
  StartGate gate;
  std::vector<std::thread> workers;
  for (int c = 0; c < connection_count; ++c) {
    workers.emplace_back([&, c] {
      HttpClient worker_http(node_->port());
      if (!worker_http.connect()) {
        std::lock_guard<std::mutex> lock(outcomes.mutex);
        outcomes.unexpected.push_back("connection " + std::to_string(c) + " failed");
        return;
      }
      gate.wait();
      for (int i = c; i < action_count; i += connection_count) {
        auto response =
            worker_http.request("POST", "/v1/actions/po-" + std::to_string(i) + "/approve", approver_);
        std::lock_guard<std::mutex> lock(outcomes.mutex);
        if (response.status == 200) {
          ++outcomes.accepted;
        } else if (response.status == 429 && response.error_code() == "rate_limited") {
          ++outcomes.limited;
          auto header = response.headers.find("retry-after");
          if (header == response.headers.end()) {
            ++outcomes.limited_without_retry_after;
          } else {
            outcomes.retry_after_values.push_back(header->second);
          }
        } else {
          outcomes.unexpected.push_back(response.describe());
        }
      }
    });
  }
  auto started = std::chrono::steady_clock::now();
  gate.open();
  for (auto& worker : workers) worker.join();
  auto elapsed = std::chrono::steady_clock::now() - started;

  // At 10 per minute one more approval fits after 6 s, so the counts are exact only below that.
  ASSERT_LT(elapsed, std::chrono::seconds(6)) << "the 100 approvals took too long to be exact";
  std::cerr << "100 approvals over " << connection_count << " connections took "
            << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms\n";
  EXPECT_TRUE(outcomes.unexpected.empty()) << outcomes.unexpected.size()
                                           << " unexpected responses, first: "
                                           << (outcomes.unexpected.empty() ? "" : outcomes.unexpected[0]);
  EXPECT_EQ(outcomes.accepted, 10);
  EXPECT_EQ(outcomes.limited, 90);
  EXPECT_EQ(outcomes.limited_without_retry_after, 0);
  for (const std::string& value : outcomes.retry_after_values) {
    int seconds = std::stoi(value);
    EXPECT_GE(seconds, 1) << "Retry-After: " << value;
    EXPECT_LE(seconds, 6) << "Retry-After: " << value;
  }

  // Limited requests write nothing: the journal contains exactly the ten approvals.
  std::string error;
  auto events = fetch_all_events(http, viewer_, error);
  ASSERT_EQ(error, "");
  EXPECT_EQ(count_type(events, "action_approved"), 10u);
  EXPECT_EQ(events.size(), seq_before + 10);
  EXPECT_EQ(count_type(events, "rate_limits_set"), 1u);
  EXPECT_EQ(check_gap_free(events), "");
}

TEST_F(RateLimitE2E, LimitedResponseNamesLimit) {
  ASSERT_NO_FATAL_FAILURE(start_node());
  HttpClient http(node_->port());
  json one_per_minute = {{"rate_per_minute", 1}, {"burst", 1}};
  auto set = http.put("/v1/tenant/rate-limits",
                      {{"executions", {{"per_principal", one_per_minute}, {"per_tenant", one_per_minute}}}},
                      admin_);
  ASSERT_EQ(set.status, 200) << set.describe();
  ASSERT_NO_FATAL_FAILURE(propose_actions(2));

  // The first execute is charged even though the missing budget rejects it.
  auto first = http.request("POST", "/v1/actions/po-0/execute", approver_);
  EXPECT_EQ(first.status, 409) << first.describe();
  auto limited = http.request("POST", "/v1/actions/po-1/execute", approver_);
  ASSERT_EQ(limited.status, 429) << limited.describe();
  EXPECT_EQ(limited.error_code(), "rate_limited");
  EXPECT_EQ(limited.headers["retry-after"], "60");
  const json& details = limited.body_json["error"]["details"];
  EXPECT_EQ(details["route_class"], "executions") << limited.body;
  EXPECT_EQ(details["scope"], "principal") << limited.body;
  EXPECT_EQ(details["limit"], one_per_minute) << limited.body;
  EXPECT_EQ(details["retry_after_s"], 60) << limited.body;

  // A float is invalid here as in every other integer field.
  auto invalid = http.put("/v1/tenant/rate-limits",
                          {{"executions", {{"per_principal", {{"rate_per_minute", 1.5}, {"burst", 1}}}}}},
                          admin_);
  EXPECT_EQ(invalid.status, 400) << invalid.describe();
  EXPECT_EQ(invalid.error_code(), "invalid_request");
}

}  // namespace
}  // namespace bulwark::e2e
