// Inbound Stripe webhooks against a real node: recorded Stripe events, signed with the test's own
// whsec secret and delivered over HTTP on 127.0.0.1, through concurrency, dead letters and SIGKILL.
#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>

#include "e2e_support.hpp"
#include "gateway/stripe_signature.hpp"

namespace bulwark::e2e {
namespace {

const std::string events_dir = std::string(BULWARK_SHARED_DATA) + "/stripe/events";
const std::string customer = "cus_00000000000000";
const std::string subscription = "sub_000000000000000000000000";
constexpr int attempts_max = 3;

json load_event(const std::string& name) {
  std::ifstream file(events_dir + "/" + name + ".json");
  if (!file) throw std::runtime_error("cannot read recorded Stripe event " + name);
  return json::parse(file);
}

// A recorded subscription event with its own id, `created` and status.
std::string subscription_event(const std::string& file, const std::string& id,
                               std::int64_t created, const std::string& status) {
  json event = load_event(file);
  event["id"] = id;
  event["created"] = created;
  event["data"]["object"]["status"] = status;
  return event.dump(2);
}

// A recorded invoice event pointed at the recorded subscription (its own names none).
std::string invoice_event(const std::string& file, const std::string& id, std::int64_t created) {
  json event = load_event(file);
  event["id"] = id;
  event["created"] = created;
  event["data"]["object"]["subscription"] = subscription;
  return event.dump(2);
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class WebhookE2E : public NodeTest {
 protected:
  void SetUp() override {
    stripe_secret_ = "whsec_e2e_" + std::to_string(unix_now()) + "_Zx81kQ";
    secret_path_ = secret_dir_.path() + "/stripe-secret";
    std::ofstream(secret_path_) << stripe_secret_ << "\n";
    NodeOptions options;
    options.extra_args = {"--stripe-secret-file", secret_path_, "--webhook-attempts-max",
                          std::to_string(attempts_max)};
    ASSERT_NO_FATAL_FAILURE(start_node(options));
    HttpClient http(node_->port());
    auto mapped = http.put("/v1/tenant/stripe", {{"customer_ids", {customer}}}, admin_);
    ASSERT_EQ(mapped.status, 200) << "PUT /v1/tenant/stripe: " << mapped.describe();
  }

  std::string signature(const std::string& body, std::int64_t t, const std::string& secret) {
    return "t=" + std::to_string(t) + ",v1=" + gateway::stripe_signature_hex(secret, t, body);
  }

  HttpResponse deliver_signed(HttpClient& http, const std::string& body,
                              const std::string& header) {
    return http.request("POST", "/v1/webhooks/stripe", "", body, {{"Stripe-Signature", header}});
  }

  // Delivers `body` signed now with the test's secret.
  HttpResponse deliver(const std::string& body) {
    HttpClient http(node_->port());
    return deliver_signed(http, body, signature(body, unix_now(), stripe_secret_));
  }

  std::vector<json> read_events() {
    HttpClient http(node_->port());
    std::string error;
    auto events = fetch_all_events(http, viewer_, error);
    EXPECT_EQ(error, "");
    return events;
  }

  // Number of journal events of `type` about Stripe event `event_id`.
  std::size_t count_for(const std::vector<json>& events, const std::string& type,
                        const std::string& event_id) {
    std::size_t count = 0;
    for (const auto& event : events) {
      if (event_type(event) == type && event.at("data").value("event_id", "") == event_id) ++count;
    }
    return count;
  }

  json read_subscription() {
    HttpClient http(node_->port());
    auto response = http.get("/v1/subscription", viewer_);
    EXPECT_EQ(response.status, 200) << "GET /v1/subscription: " << response.describe();
    return response.body_json;
  }

  json read_dead_letters() {
    HttpClient http(node_->port());
    auto response = http.get("/v1/webhooks/dead-letters", admin_);
    EXPECT_EQ(response.status, 200) << "GET /v1/webhooks/dead-letters: " << response.describe();
    return response.body_json.is_object() ? response.body_json.value("dead_letters", json())
                                          : json();
  }

  // Delivers the failing event until it is dead-lettered: attempts_max - 1 times 422, then 200.
  void dead_letter(const std::string& body) {
    for (int attempt = 1; attempt < attempts_max; ++attempt) {
      auto response = deliver(body);
      ASSERT_EQ(response.status, 422) << "attempt " << attempt << ": " << response.describe();
      ASSERT_EQ(response.error_code(), "webhook_processing_failed");
    }
    auto last = deliver(body);
    ASSERT_EQ(last.status, 200) << "last attempt: " << last.describe();
    ASSERT_EQ(last.body_json.value("status", ""), "dead_lettered") << last.body;
  }

  TempDir secret_dir_;
  std::string secret_path_;
  std::string stripe_secret_;
};

TEST_F(WebhookE2E, ConcurrentDuplicatesAppliedOnce) {
  json recorded = load_event("customer.subscription.created");
  recorded["id"] = "evt_e2e_created";
  const std::string body = recorded.dump(2);
  const std::string header = signature(body, unix_now(), stripe_secret_);
  constexpr int deliveries = 5;

  std::vector<std::unique_ptr<HttpClient>> clients;
  for (int i = 0; i < deliveries; ++i) {
    clients.push_back(std::make_unique<HttpClient>(node_->port()));
    ASSERT_TRUE(clients.back()->connect()) << "connection " << i;
  }
  std::vector<HttpResponse> responses(deliveries);
  StartGate gate;
  std::vector<std::thread> threads;
  for (int i = 0; i < deliveries; ++i) {
    threads.emplace_back([&, i] {
      gate.wait();
      responses[i] = deliver_signed(*clients[i], body, header);
    });
  }
  gate.open();
  for (auto& thread : threads) thread.join();

  for (int i = 0; i < deliveries; ++i) {
    EXPECT_GE(responses[i].status, 200) << "delivery " << i << ": " << responses[i].describe();
    EXPECT_LT(responses[i].status, 300) << "delivery " << i << ": " << responses[i].describe();
    EXPECT_EQ(responses[i].body_json.value("status", ""), "applied") << responses[i].body;
  }
  auto events = read_events();
  EXPECT_EQ(count_for(events, "webhook_applied", "evt_e2e_created"), 1u);
  EXPECT_EQ(count_for(events, "webhook_ignored", "evt_e2e_created"), 0u);
  EXPECT_EQ(check_gap_free(events), "");
  json current = read_subscription();
  EXPECT_EQ(current.value("subscription_id", ""), subscription);
  EXPECT_EQ(current.value("status", ""), "active");
  EXPECT_EQ(current.value("event_id", ""), "evt_e2e_created");
}

TEST_F(WebhookE2E, BadSignaturesRejected) {
  const std::string body = subscription_event("customer.subscription.updated", "evt_e2e_sig",
                                              unix_now(), "active");
  std::string changed = body;
  changed[changed.find("\"active\"") + 1] = 'A';
  HttpClient http(node_->port());
  struct Case {
    std::string name;
    std::string body;
    std::string header;
    std::string reason;
  };
  std::int64_t now = unix_now();
  const std::vector<Case> cases = {
      {"other secret", body, signature(body, now, "whsec_not_the_endpoint_secret"),
       "signature_mismatch"},
      {"one byte changed", changed, signature(body, now, stripe_secret_), "signature_mismatch"},
      {"ten minutes old", body, signature(body, now - 600, stripe_secret_),
       "timestamp_outside_tolerance"},
      {"ten minutes ahead", body, signature(body, now + 600, stripe_secret_),
       "timestamp_outside_tolerance"},
      {"malformed", body, "t=now,v1=abc", "malformed_header"},
      {"v0 only", body, "t=" + std::to_string(now) + ",v0=" +
                            gateway::stripe_signature_hex(stripe_secret_, now, body),
       "no_v1_signature"},
  };
  for (const auto& c : cases) {
    auto response = deliver_signed(http, c.body, c.header);
    EXPECT_EQ(response.status, 400) << c.name << ": " << response.describe();
    EXPECT_EQ(response.error_code(), "invalid_signature") << c.name;
    EXPECT_EQ(response.body_json["error"]["details"].value("reason", ""), c.reason) << c.name;
  }
  auto missing = http.request("POST", "/v1/webhooks/stripe", "", body);
  EXPECT_EQ(missing.status, 400) << missing.describe();
  EXPECT_EQ(missing.error_code(), "invalid_signature");

  auto events = read_events();
  EXPECT_EQ(count_for(events, "webhook_applied", "evt_e2e_sig"), 0u);
  EXPECT_EQ(count_for(events, "webhook_ignored", "evt_e2e_sig"), 0u);
  // The same body with a good signature then applies.
  auto good = deliver(body);
  EXPECT_EQ(good.status, 200) << good.describe();
}

TEST_F(WebhookE2E, InvoicePaidAfterDeletionStaysCanceled) {
  const std::int64_t base = 1'700'000'000;
  ASSERT_EQ(deliver(subscription_event("customer.subscription.created", "evt_e2e_c", base,
                                       "active"))
                .status,
            200);
  ASSERT_EQ(deliver(subscription_event("customer.subscription.deleted", "evt_e2e_d", base + 200,
                                       "canceled"))
                .status,
            200);
  auto paid = deliver(invoice_event("invoice.paid", "evt_e2e_p", base + 100));
  ASSERT_EQ(paid.status, 200) << paid.describe();
  EXPECT_EQ(paid.body_json.value("status", ""), "ignored");
  EXPECT_EQ(paid.body_json.value("reason", ""), "stale");
  auto paid_later = deliver(invoice_event("invoice.payment_succeeded", "evt_e2e_p2", base + 300));
  ASSERT_EQ(paid_later.status, 200) << paid_later.describe();
  EXPECT_EQ(paid_later.body_json.value("reason", ""), "terminal_status");

  json current = read_subscription();
  EXPECT_EQ(current.value("status", ""), "canceled");
  EXPECT_EQ(current.value("event_id", ""), "evt_e2e_d");
  EXPECT_EQ(current.value("event_created", std::int64_t{0}), base + 200);
  auto events = read_events();
  EXPECT_EQ(count_for(events, "webhook_ignored", "evt_e2e_p"), 1u);
  EXPECT_EQ(count_for(events, "webhook_applied", "evt_e2e_p"), 0u);
}

TEST_F(WebhookE2E, FailingEventDeadLettersAndRequeues) {
  const std::int64_t base = 1'700'000'000;
  ASSERT_EQ(deliver(subscription_event("customer.subscription.created", "evt_e2e_c", base,
                                       "incomplete"))
                .status,
            200);
  // incomplete -> past_due is not an allowed change, so this fails on every delivery.
  const std::string failing = subscription_event("customer.subscription.updated", "evt_e2e_f",
                                                 base + 300, "past_due");
  ASSERT_NO_FATAL_FAILURE(dead_letter(failing));

  json dead = read_dead_letters();
  ASSERT_EQ(dead.size(), 1u) << dead.dump();
  EXPECT_EQ(dead[0].value("event_id", ""), "evt_e2e_f");
  EXPECT_EQ(dead[0].value("attempts", 0), attempts_max);
  EXPECT_EQ(dead[0].value("reason", ""), "invalid_transition");
  EXPECT_NE(dead[0].value("last_error", ""), "");
  // Further deliveries of a dead letter get 200 and write nothing.
  auto again = deliver(failing);
  EXPECT_EQ(again.status, 200) << again.describe();

  HttpClient http(node_->port());
  auto operator_requeue =
      http.request("POST", "/v1/webhooks/dead-letters/evt_e2e_f/requeue", operator_);
  EXPECT_EQ(operator_requeue.status, 403) << operator_requeue.describe();
  // Requeued while still failing: dead-lettered again after one more attempt.
  auto still_failing = http.request("POST", "/v1/webhooks/dead-letters/evt_e2e_f/requeue", admin_);
  ASSERT_EQ(still_failing.status, 200) << still_failing.describe();
  EXPECT_EQ(still_failing.body_json.value("status", ""), "dead_lettered");
  EXPECT_EQ(still_failing.body_json.value("attempts", 0), attempts_max + 1);

  // The missing activation arrives; the requeue then applies the event.
  ASSERT_EQ(deliver(subscription_event("customer.subscription.updated", "evt_e2e_a", base + 100,
                                       "active"))
                .status,
            200);
  auto requeued = http.request("POST", "/v1/webhooks/dead-letters/evt_e2e_f/requeue", admin_);
  ASSERT_EQ(requeued.status, 200) << requeued.describe();
  EXPECT_EQ(requeued.body_json.value("status", ""), "applied");
  EXPECT_EQ(read_subscription().value("status", ""), "past_due");
  EXPECT_TRUE(read_dead_letters().empty());
  auto twice = http.request("POST", "/v1/webhooks/dead-letters/evt_e2e_f/requeue", admin_);
  EXPECT_EQ(twice.status, 409) << twice.describe();
  EXPECT_EQ(twice.error_code(), "invalid_transition");
  auto missing = http.request("POST", "/v1/webhooks/dead-letters/evt_none/requeue", admin_);
  EXPECT_EQ(missing.status, 404) << missing.describe();

  auto events = read_events();
  EXPECT_EQ(count_for(events, "webhook_attempt_failed", "evt_e2e_f"),
            static_cast<std::size_t>(attempts_max - 1));
  EXPECT_EQ(count_for(events, "webhook_dead_lettered", "evt_e2e_f"), 2u);
  EXPECT_EQ(count_for(events, "webhook_requeued", "evt_e2e_f"), 2u);
  EXPECT_EQ(count_for(events, "webhook_applied", "evt_e2e_f"), 1u);
}

TEST_F(WebhookE2E, SurvivesKillAndRestart) {
  const std::int64_t base = 1'700'000'000;
  const std::vector<std::string> applied = {
      subscription_event("customer.subscription.created", "evt_k1", base, "incomplete"),
      subscription_event("customer.subscription.updated", "evt_k2", base + 100, "active"),
      invoice_event("invoice.payment_failed", "evt_k3", base + 200),
  };
  for (const auto& body : applied) ASSERT_EQ(deliver(body).status, 200);
  // past_due -> incomplete is never allowed.
  const std::string failing = subscription_event("customer.subscription.updated", "evt_k4",
                                                 base + 300, "incomplete");
  ASSERT_NO_FATAL_FAILURE(dead_letter(failing));
  const std::string half_failed = subscription_event("customer.subscription.updated", "evt_k5",
                                                     base + 300, "trialing");
  ASSERT_EQ(deliver(half_failed).status, 422);
  auto before = read_events();

  node_->kill();
  ASSERT_NO_FATAL_FAILURE(restart_node());
  // Reading the tenant waits for its recovery, which also loads its customers for routing;
  // before that the endpoint returns 503 with Retry-After.
  json current = read_subscription();
  EXPECT_EQ(current.value("status", ""), "past_due");
  EXPECT_EQ(current.value("event_id", ""), "evt_k3");

  // Every redelivery after the restart is a duplicate and writes nothing.
  for (const auto& body : applied) {
    auto response = deliver(body);
    EXPECT_EQ(response.status, 200) << response.describe();
    EXPECT_EQ(response.body_json.value("status", ""), "applied") << response.body;
  }
  EXPECT_EQ(deliver(failing).status, 200);
  auto after = read_events();
  EXPECT_EQ(after.size(), before.size()) << "redeliveries after the restart wrote events";
  for (const std::string id : {"evt_k1", "evt_k2", "evt_k3"}) {
    EXPECT_EQ(count_for(after, "webhook_applied", id), 1u) << id;
  }
  // The body hash survived too: the same id with another body conflicts.
  auto conflict = deliver(subscription_event("customer.subscription.updated", "evt_k2",
                                             base + 100, "unpaid"));
  EXPECT_EQ(conflict.status, 409) << conflict.describe();
  EXPECT_EQ(conflict.error_code(), "idempotency_conflict");

  EXPECT_EQ(read_subscription().value("status", ""), "past_due");
  json dead = read_dead_letters();
  ASSERT_EQ(dead.size(), 1u) << dead.dump();
  EXPECT_EQ(dead[0].value("event_id", ""), "evt_k4");
  // The half-failed event continues its attempt count: two more deliveries dead-letter it.
  auto second = deliver(half_failed);
  EXPECT_EQ(second.status, 422) << second.describe();
  EXPECT_EQ(second.body_json["error"]["details"].value("attempt", 0), 2);
  auto third = deliver(half_failed);
  EXPECT_EQ(third.status, 200) << third.describe();
  EXPECT_EQ(third.body_json.value("status", ""), "dead_lettered");
  EXPECT_EQ(read_dead_letters().size(), 2u);

  HttpClient http(node_->port());
  auto requeued = http.request("POST", "/v1/webhooks/dead-letters/evt_k4/requeue", admin_);
  EXPECT_EQ(requeued.status, 200) << requeued.describe();
  EXPECT_EQ(requeued.body_json.value("attempts", 0), attempts_max + 1);

  EXPECT_EQ(node_->stop(), 0);
  auto verify = NodeProcess::run_tool({"replay", "--data", node_->data_dir(), "--verify"});
  EXPECT_EQ(verify.exit_code, 0) << "replay --verify output:\n" << verify.output;
}

}  // namespace
}  // namespace bulwark::e2e
