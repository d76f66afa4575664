// Actions, approvals, safe mode and guardrails against a real node, under concurrent requests.
#include <atomic>
#include <set>
#include <thread>

#include "e2e_support.hpp"

namespace bulwark::e2e {
namespace {

class ActionsE2E : public NodeTest {
 protected:
  HttpResponse propose(HttpClient& http, const std::string& id, const std::string& kind,
                       std::int64_t amount_minor, const json& payload) {
    return http.post("/v1/actions",
                     {{"action_id", id}, {"kind", kind}, {"amount_minor", amount_minor},
                      {"payload", payload}},
                     operator_);
  }

  HttpResponse execute(HttpClient& http, const std::string& id) {
    return http.request("POST", "/v1/actions/" + id + "/execute", approver_);
  }

  HttpResponse approve(HttpClient& http, const std::string& id, const json& body) {
    return http.post("/v1/actions/" + id + "/approve", body, approver_);
  }

  HttpResponse set_safe_mode(HttpClient& http, bool enabled, const std::string& reason) {
    return http.put("/v1/safe-mode", {{"enabled", enabled}, {"reason", reason}}, admin_);
  }

  std::vector<json> read_events() {
    HttpClient http(node_->port());
    std::string error;
    auto events = fetch_all_events(http, viewer_, error);
    EXPECT_EQ(error, "") << "reading the journal over HTTP failed";
    return events;
  }
};

// Outcome counts of the concurrent propose-and-execute workers.
struct RaceCounts {
  std::atomic<int> executed{0};
  std::atomic<int> approval_required{0};
  std::atomic<int> unexpected{0};
};

TEST_F(ActionsE2E, SafeModeApprovalBinding) {
  ASSERT_NO_FATAL_FAILURE(start_node());
  ASSERT_NO_FATAL_FAILURE(set_budget(1'000'000'000'000));
  HttpClient http(node_->port());

  auto safe_mode = set_safe_mode(http, true, "e2e: audit in progress");
  ASSERT_EQ(safe_mode.status, 200) << "PUT /v1/safe-mode on: " << safe_mode.describe();

  json payload = {{"supplier", "steelco"}, {"sku", "coil-7"}, {"quantity", 10}};
  auto proposed = propose(http, "po-1", "create_po", 5'000, payload);
  ASSERT_EQ(proposed.status, 201) << "propose create_po: " << proposed.describe();
  EXPECT_EQ(proposed.body_json.value("status", ""), "pending_approval")
      << "a create_po proposed under safe mode must wait for approval: " << proposed.body;

  auto unapproved = execute(http, "po-1");
  EXPECT_EQ(unapproved.status, 409) << "execute without approval: " << unapproved.describe();
  EXPECT_EQ(unapproved.error_code(), "approval_required") << unapproved.describe();

  auto mismatch = approve(http, "po-1", {{"amount_minor", 4'000}});
  EXPECT_EQ(mismatch.status, 409) << "approve another amount: " << mismatch.describe();
  EXPECT_EQ(mismatch.error_code(), "approval_mismatch") << mismatch.describe();

  auto edited_amount = propose(http, "po-1", "create_po", 6'000, payload);
  EXPECT_EQ(edited_amount.status, 409) << "re-propose with another amount: "
                                       << edited_amount.describe();
  EXPECT_EQ(edited_amount.error_code(), "idempotency_conflict") << edited_amount.describe();

  json edited_payload = payload;
  edited_payload["quantity"] = 99;
  auto edited = propose(http, "po-1", "create_po", 5'000, edited_payload);
  EXPECT_EQ(edited.status, 409) << "re-propose with another payload: " << edited.describe();
  EXPECT_EQ(edited.error_code(), "idempotency_conflict") << edited.describe();

  auto approved = approve(http, "po-1", {{"amount_minor", 5'000}});
  ASSERT_EQ(approved.status, 200) << "approve the shown amount: " << approved.describe();
  auto executed = execute(http, "po-1");
  ASSERT_EQ(executed.status, 200) << "execute after approval: " << executed.describe();
  EXPECT_EQ(executed.body_json.value("amount_minor", std::int64_t{0}), 5'000)
      << "execution must use the original amount: " << executed.body;
  EXPECT_EQ(executed.body_json.value("payload", json()), payload)
      << "execution must use the original payload: " << executed.body;

  {
    auto events = read_events();
    std::string proposed_sha;
    std::string approved_sha;
    std::int64_t reserved_minor = 0;
    for (const auto& event : events) {
      const json& data = event["data"];
      if (data.value("action_id", "") != "po-1") continue;
      if (event_type(event) == "action_proposed") proposed_sha = data.value("payload_sha256", "");
      if (event_type(event) == "action_approved") approved_sha = data.value("payload_sha256", "");
      if (event_type(event) == "spend_reserved") reserved_minor = data.value("amount_minor", 0);
    }
    EXPECT_FALSE(proposed_sha.empty()) << "no action_proposed for po-1";
    EXPECT_EQ(approved_sha, proposed_sha) << "the approval must bind the proposed payload hash";
    EXPECT_EQ(reserved_minor, 5'000) << "po-1's execution must reserve the original amount";
  }

  // One principal executes hundreds of actions a second here, beyond the default rate limits, so
  // the limits are raised to their maximum and only safe mode decides the outcome.
  json unlimited = {{"rate_per_minute", 1'000'000}, {"burst", 1'000'000}};
  json lifted = {{"per_principal", unlimited}, {"per_tenant", unlimited}};
  auto limits = http.put("/v1/tenant/rate-limits", {{"approvals", lifted}, {"executions", lifted}},
                         admin_);
  ASSERT_EQ(limits.status, 200) << "PUT /v1/tenant/rate-limits: " << limits.describe();

  // Toggles safe mode from one thread while others propose and execute create_po actions.
  constexpr int toggle_rounds = 200;
  constexpr int worker_count = 4;
  constexpr int actions_per_worker_max = 400;
  std::atomic<bool> toggling_done{false};
  std::atomic<int> toggle_failures{0};
  RaceCounts counts;
  StartGate gate;
  std::thread toggler([&] {
    HttpClient toggle_http(node_->port());
    gate.wait();
    for (int round = 0; round < toggle_rounds; ++round) {
      if (set_safe_mode(toggle_http, false, "round " + std::to_string(round) + " off").status != 200) {
        toggle_failures++;
      }
      if (set_safe_mode(toggle_http, true, "round " + std::to_string(round) + " on").status != 200) {
        toggle_failures++;
      }
    }
    toggling_done = true;
  });
  std::vector<std::thread> workers;
  for (int w = 0; w < worker_count; ++w) {
    workers.emplace_back([&, w] {
      HttpClient worker_http(node_->port());
      gate.wait();
      for (int i = 0; i < actions_per_worker_max && !toggling_done.load(); ++i) {
        std::string id = "race-" + std::to_string(w) + "-" + std::to_string(i);
        if (propose(worker_http, id, "create_po", 100, {{"n", i}}).status != 201) {
          counts.unexpected++;
          continue;
        }
        if (i % 3 == 0 && approve(worker_http, id, {{"amount_minor", 100}}).status != 200) {
          counts.unexpected++;
        }
        auto response = execute(worker_http, id);
        if (response.status == 200) {
          counts.executed++;
        } else if (response.status == 409 && response.error_code() == "approval_required") {
          counts.approval_required++;
        } else {
          counts.unexpected++;
        }
      }
    });
  }
  gate.open();
  toggler.join();
  for (auto& worker : workers) worker.join();
  EXPECT_EQ(toggle_failures.load(), 0) << "PUT /v1/safe-mode failures during the race";
  EXPECT_EQ(counts.unexpected.load(), 0) << "unexpected responses to propose, approve or execute";
  EXPECT_GT(counts.executed.load(), 0) << "no action executed during the race";

  // Rebuilds safe mode and approvals from the journal in seq order.
  auto events = read_events();
  EXPECT_EQ(check_gap_free(events), "") << "journal seqs must be gap-free";
  bool safe_mode_on = false;
  std::map<std::string, json> proposals;
  std::set<std::string> approved_ids;
  int started_under_safe_mode = 0;
  for (const auto& event : events) {
    const json& data = event["data"];
    std::string type = event_type(event);
    std::string action_id = data.value("action_id", "");
    if (type == "safe_mode_changed") {
      safe_mode_on = data.value("enabled", false);
    } else if (type == "action_proposed") {
      proposals[action_id] = data;
    } else if (type == "action_approved") {
      EXPECT_EQ(data.value("payload_sha256", ""), proposals[action_id].value("payload_sha256", ""))
          << "approval of " << action_id << " at seq " << event["seq"]
          << " names another payload than its proposal";
      approved_ids.insert(action_id);
    } else if (type == "action_execution_started") {
      const json& proposal = proposals[action_id];
      bool high_stakes = proposal.value("kind", "") == "create_po";
      if (high_stakes && safe_mode_on) {
        started_under_safe_mode++;
        EXPECT_EQ(approved_ids.count(action_id), 1u)
            << "create_po " << action_id << " started at seq " << event["seq"]
            << " while safe mode was on, without an approval before it";
      }
      if (proposal.value("status", "") == "pending_approval") {
        EXPECT_EQ(approved_ids.count(action_id), 1u)
            << action_id << " was proposed pending_approval but started at seq " << event["seq"]
            << " without an approval";
      }
    }
  }
  EXPECT_GT(started_under_safe_mode, 0) << "no execution happened while safe mode was on";

  EXPECT_EQ(node_->stop(), 0) << "the node must exit 0 on SIGTERM";
  auto replay = NodeProcess::run_tool({"replay", "--data", node_->data_dir(), "--verify"});
  EXPECT_EQ(replay.exit_code, 0) << "replay --verify output:\n" << replay.output;
}

TEST_F(ActionsE2E, GuardrailViolationsCounted) {
  ASSERT_NO_FATAL_FAILURE(start_node());
  ASSERT_NO_FATAL_FAILURE(set_budget(1'000'000'000'000));
  HttpClient http(node_->port());

  auto guardrail = http.put("/v1/guardrails/max-spend",
                            {{"rule", "max_amount"},
                             {"max_amount_minor", 1'000},
                             {"enforcement", "escalate"},
                             {"escalation_threshold", 50}},
                            admin_);
  ASSERT_EQ(guardrail.status, 200) << "PUT /v1/guardrails/max-spend: " << guardrail.describe();

  constexpr int action_count = 200;
  for (int i = 0; i < action_count; ++i) {
    auto response = propose(http, "restock-" + std::to_string(i), "restock", 5'000, json::object());
    ASSERT_EQ(response.status, 201) << "propose restock-" << i << ": " << response.describe();
  }

  constexpr int connection_count = 8;
  std::atomic<int> blocked{0};
  std::atomic<int> other{0};
  std::vector<std::string> other_responses(connection_count);
  StartGate gate;
  std::vector<std::thread> threads;
  for (int c = 0; c < connection_count; ++c) {
    threads.emplace_back([&, c] {
      HttpClient worker_http(node_->port());
      gate.wait();
      for (int i = c; i < action_count; i += connection_count) {
        auto response = execute(worker_http, "restock-" + std::to_string(i));
        if (response.status == 409 && response.error_code() == "guardrail_blocked") {
          blocked++;
        } else {
          other++;
          other_responses[c] = response.describe();
        }
      }
    });
  }
  gate.open();
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(blocked.load(), action_count) << "every violating execute must be 409 guardrail_blocked";
  EXPECT_EQ(other.load(), 0) << "executes that returned something else";
  for (const auto& unexpected_response : other_responses) {
    EXPECT_EQ(unexpected_response, "") << "an execute returned other than 409 guardrail_blocked";
  }

  auto listed = http.get("/v1/guardrails", viewer_);
  ASSERT_EQ(listed.status, 200) << "GET /v1/guardrails: " << listed.describe();
  const json& guardrails = listed.body_json.value("guardrails", json::array());
  ASSERT_EQ(guardrails.size(), 1u) << "GET /v1/guardrails: " << listed.body;
  EXPECT_EQ(guardrails[0].value("violation_count", std::int64_t{-1}), action_count)
      << "violation_count after " << action_count << " violations: " << listed.body;

  auto events = read_events();
  std::set<std::int64_t> violation_counts;
  for (const auto& event : events) {
    if (event_type(event) == "guardrail_violated") {
      violation_counts.insert(event["data"].value("violation_count", std::int64_t{0}));
    }
  }
  EXPECT_EQ(count_type(events, "guardrail_violated"), static_cast<std::size_t>(action_count))
      << "guardrail_violated events";
  EXPECT_EQ(violation_counts.size(), static_cast<std::size_t>(action_count))
      << "each violation must carry its own count";
  EXPECT_EQ(count_type(events, "guardrail_escalated"), 1u) << "guardrail_escalated events";

  std::size_t escalations = 0;
  for (const auto& event : events) {
    if (event_type(event) == "guardrail_escalated") {
      EXPECT_EQ(event["data"].value("violation_count", std::int64_t{0}), 50)
          << "escalation must fire at the threshold: " << event.dump();
    }
    if (event_type(event) == "safe_mode_changed" &&
        event["data"].value("cause", "") == "escalation") {
      escalations++;
    }
  }
  EXPECT_EQ(escalations, 1u) << "safe_mode_changed events with cause escalation";

  auto tenant = http.get("/v1/tenant", viewer_);
  ASSERT_EQ(tenant.status, 200) << "GET /v1/tenant: " << tenant.describe();
  EXPECT_TRUE(tenant.body_json["safe_mode"].value("enabled", false))
      << "the escalation must switch safe mode on: " << tenant.body;
}

}  // namespace
}  // namespace bulwark::e2e
