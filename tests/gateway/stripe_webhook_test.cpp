// Tests of POST /v1/webhooks/stripe and the tenant's Stripe routes through a real HttpServer on
// 127.0.0.1, with a recording backend in place of the tenant actors.
#include <gtest/gtest.h>

#include <string>

#include "gateway/request_parsing.hpp"
#include "gateway/stripe_signature.hpp"
#include "http_test_support.hpp"

namespace bulwark::gateway::testing {
namespace {

namespace http = boost::beast::http;
using nlohmann::json;

const std::string stripe_secret = "whsec_gateway_test_0123456789abcdef";
const std::string owned_customer = "cus_owned";

// Routes owned_customer to tenant t1, knows no other customer, and can report not_ready.
class StripeBackend : public FakeBackend {
 public:
  [[nodiscard]] StripeCustomerLookup find_stripe_customer(
      const std::string& customer_id) const override {
    if (not_ready_) return {StripeCustomerLookup::Status::not_ready, ""};
    if (customer_id == owned_customer) return {StripeCustomerLookup::Status::found, "t1"};
    return {};
  }
  void set_not_ready(bool value) { not_ready_ = value; }

 private:
  std::atomic<bool> not_ready_{false};
};

std::string event_body(const std::string& id, const std::string& customer = owned_customer) {
  json event = {{"id", id},
                {"object", "event"},
                {"type", "customer.subscription.updated"},
                {"created", test_now_s - 10},
                {"data",
                 {{"object",
                   {{"id", "sub_1"},
                    {"object", "subscription"},
                    {"customer", customer},
                    {"status", "active"}}}}}};
  return event.dump();
}

std::string sign(const std::string& body, std::int64_t t = test_now_s) {
  return "t=" + std::to_string(t) + ",v1=" + stripe_signature_hex(stripe_secret, t, body);
}

class StripeWebhookTest : public ::testing::Test {
 protected:
  void SetUp() override { start(true); }
  void TearDown() override {
    if (server_) server_->stop();
  }

  void start(bool with_stripe) {
    if (server_) server_->stop();
    HttpServer::Options options;
    options.listen = "127.0.0.1:0";
    options.secret_key = test_key;
    options.now = [] { return domain::from_unix_ms(test_now_s * 1000); };
    if (with_stripe) options.stripe_webhooks = StripeWebhookOptions{stripe_secret, {}, 4};
    server_ = std::make_unique<HttpServer>(std::move(options), backend_);
    server_->start();
  }

  TestResponse deliver(const std::string& body, const std::string& signature) {
    TestClient client(server_->port());
    std::vector<std::pair<std::string, std::string>> headers;
    if (!signature.empty()) headers.emplace_back("Stripe-Signature", signature);
    return client.send(http::verb::post, "/v1/webhooks/stripe", "", body, headers);
  }

  StripeBackend backend_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(StripeWebhookTest, SignedEventReachesOwnerTenant) {
  std::string body = event_body("evt_1");
  TestResponse response = deliver(body, sign(body));
  ASSERT_EQ(response.status, 200u) << response.body;
  auto calls = backend_.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].context.tenant, "t1");
  EXPECT_EQ(calls[0].context.principal, "stripe");
  const auto& command = std::get<domain::ReceiveStripeEvent>(std::get<domain::Command>(calls[0].request));
  EXPECT_EQ(command.event_id, "evt_1");
  EXPECT_EQ(command.event_type, "customer.subscription.updated");
  EXPECT_EQ(command.created, test_now_s - 10);
  EXPECT_EQ(command.customer_id, owned_customer);
  EXPECT_EQ(command.raw, body);
  EXPECT_EQ(command.attempts_max, 4);
  EXPECT_EQ(command.body_sha256, sha256_hex(body));
}

TEST_F(StripeWebhookTest, BadSignaturesRejectedWithReason) {
  std::string body = event_body("evt_1");
  std::string changed = body;
  changed[body.find("active")] = 'A';
  struct Case {
    std::string body;
    std::string signature;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {body, "", "missing_header"},
      {body, "nonsense", "malformed_header"},
      {body, "t=" + std::to_string(test_now_s), "no_v1_signature"},
      {body, sign(body, test_now_s - 301), "timestamp_outside_tolerance"},
      {body, sign(body, test_now_s + 301), "timestamp_outside_tolerance"},
      {changed, sign(body), "signature_mismatch"},
  };
  for (const auto& c : cases) {
    TestResponse response = deliver(c.body, c.signature);
    EXPECT_EQ(response.status, 400u) << c.reason;
    EXPECT_EQ(response.error_code(), "invalid_signature") << c.reason;
    EXPECT_EQ(response.json()["error"]["details"].value("reason", ""), c.reason);
  }
  EXPECT_TRUE(backend_.calls().empty());
}

TEST_F(StripeWebhookTest, BearerTokenDoesNotReplaceSignature) {
  std::string body = event_body("evt_1");
  TestClient client(server_->port());
  TestResponse response =
      client.send(http::verb::post, "/v1/webhooks/stripe", make_token(Role::admin), body);
  EXPECT_EQ(response.status, 400u);
  EXPECT_EQ(response.error_code(), "invalid_signature");
  EXPECT_TRUE(backend_.calls().empty());
}

TEST_F(StripeWebhookTest, SignedButInvalidEnvelopeRejected) {
  for (const std::string& body :
       {std::string("[1,2]"), std::string(R"({"type":"x","created":1,"data":{"object":{}}})"),
        std::string(R"({"id":"evt_1","type":"x","created":"1","data":{"object":{}}})"),
        std::string(R"({"id":"evt_1","type":"x","created":1})"),
        std::string(R"({"id":"evt 1","type":"x","created":1,"data":{"object":{"customer":"cus_owned"}}})")}) {
    TestResponse response = deliver(body, sign(body));
    EXPECT_EQ(response.status, 400u) << body;
    EXPECT_EQ(response.error_code(), "invalid_request") << body;
  }
  EXPECT_TRUE(backend_.calls().empty());
}

TEST_F(StripeWebhookTest, UnroutableEventsAnswered200) {
  std::string unknown = event_body("evt_1", "cus_nobody");
  TestResponse response = deliver(unknown, sign(unknown));
  ASSERT_EQ(response.status, 200u) << response.body;
  EXPECT_EQ(response.json().value("reason", ""), "unknown_customer");

  json no_customer = json::parse(event_body("evt_2"));
  no_customer["data"]["object"].erase("customer");
  std::string body = no_customer.dump();
  TestResponse second = deliver(body, sign(body));
  ASSERT_EQ(second.status, 200u) << second.body;
  EXPECT_EQ(second.json().value("reason", ""), "no_customer");
  EXPECT_TRUE(backend_.calls().empty());
}

TEST_F(StripeWebhookTest, RecoveringNodeAsksForRetry) {
  backend_.set_not_ready(true);
  std::string body = event_body("evt_1", "cus_nobody");
  TestResponse response = deliver(body, sign(body));
  EXPECT_EQ(response.status, 503u);
  EXPECT_EQ(response.error_code(), "unavailable");
  EXPECT_EQ(std::string(response.headers["Retry-After"]), "1");
}

TEST_F(StripeWebhookTest, ProcessingFailureIs422) {
  backend_.set_responder([](const RecordedCall&) {
    BackendResult result;
    result.status = BackendResult::Status::rejected;
    result.rejection = domain::Rejection{domain::RejectionCode::webhook_processing_failed,
                                         "processing failed", json::object()};
    return result;
  });
  std::string body = event_body("evt_1");
  TestResponse response = deliver(body, sign(body));
  EXPECT_EQ(response.status, 422u);
  EXPECT_EQ(response.error_code(), "webhook_processing_failed");
}

TEST_F(StripeWebhookTest, UnconfiguredNodeAnswers503) {
  start(false);
  std::string body = event_body("evt_1");
  TestResponse response = deliver(body, sign(body));
  EXPECT_EQ(response.status, 503u);
  EXPECT_EQ(response.error_code(), "unavailable");
}

TEST_F(StripeWebhookTest, TenantRoutesNeedRoles) {
  TestClient client(server_->port());
  std::string customers = R"({"customer_ids":["cus_a"]})";
  EXPECT_EQ(client.send(http::verb::put, "/v1/tenant/stripe", make_token(Role::approver), customers)
                .status,
            403u);
  EXPECT_EQ(client.send(http::verb::put, "/v1/tenant/stripe", make_token(Role::admin), customers)
                .status,
            200u);
  EXPECT_EQ(client.send(http::verb::put, "/v1/tenant/stripe", make_token(Role::admin),
                        R"({"customer_ids":"cus_a"})")
                .error_code(),
            "invalid_request");
  EXPECT_EQ(client.send(http::verb::get, "/v1/subscription", make_token(Role::viewer)).status,
            200u);
  EXPECT_EQ(
      client.send(http::verb::get, "/v1/webhooks/dead-letters", make_token(Role::operator_role))
          .status,
      403u);
  EXPECT_EQ(client.send(http::verb::get, "/v1/webhooks/dead-letters", make_token(Role::admin))
                .status,
            200u);
  EXPECT_EQ(client.send(http::verb::post, "/v1/webhooks/dead-letters/evt_1/requeue",
                        make_token(Role::admin))
                .status,
            200u);
  EXPECT_EQ(client.send(http::verb::post, "/v1/webhooks/dead-letters/evt_1/requeue",
                        make_token(Role::admin), R"({"force":true})")
                .error_code(),
            "invalid_request");
}

}  // namespace
}  // namespace bulwark::gateway::testing
