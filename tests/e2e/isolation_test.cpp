// Tenant isolation against one real node. Tenant A is set up with real state first. Then every
// HTTP route and the WebSocket are attacked: no token, an expired token and a forged signature;
// claims moved under another token's signature; tenant B's token on A's ids; A named in the body
// or the query; too low a role; a platform token on tenant routes and a tenant token on the
// platform route. Each attempt must get its documented status and error code. None may change
// what A reads.
#include <fstream>
#include <set>

#include "e2e_support.hpp"
#include "gateway/stripe_signature.hpp"
#include "ws_client.hpp"

namespace bulwark::e2e {
namespace {

using gateway::Role;
using ReadStatus = WsClient::ReadStatus;

const std::string tenant_a = "iso-a";
const std::string tenant_b = "iso-b";
// Written only into tenant A's data (an action payload, the safe-mode reason). No response given
// to an attacker may contain it.
const std::string tenant_a_marker = "tenant-a-private";
// Tenant A's resource ids, the targets of tenant B's attempts.
const std::string reservation_a = "r-a-1";
const std::string reservation_a_second = "r-a-2";
const std::string action_a = "a-a-1";
const std::string action_a_second = "a-a-2";
const std::string guardrail_a = "g-a-1";
const std::string dead_letter_a = "evt_iso_dead";
const std::string stripe_customer_a = "cus_00000000000000";  // the recorded events' customer
constexpr int webhook_attempts_max = 2;
// Small pages, so that the journal comparison reads several of them.
constexpr int events_page_limit = 4;

enum class Attack : std::uint8_t {
  no_token,
  expired_token,
  forged_signature,  // one character changed in the middle of the signature
  swapped_payload,   // A's claims under B's signature
  role_too_low,      // A's token with each role below the route's
  platform_token,
  tenant_token,       // A's token, at each tenant role, on the platform route
  other_tenant,       // B's token at the route's role, on A's ids
  tenant_in_body,     // B's token, "tenant": A added to the body
  tenant_id_in_body,  // B's token, "tenant_id": A added to the body
  tenant_in_query,    // B's token, ?tenant=A
};

const char* to_string(Attack attack) {
  switch (attack) {
    case Attack::no_token: return "no_token";
    case Attack::expired_token: return "expired_token";
    case Attack::forged_signature: return "forged_signature";
    case Attack::swapped_payload: return "swapped_payload";
    case Attack::role_too_low: return "role_too_low";
    case Attack::platform_token: return "platform_token";
    case Attack::tenant_token: return "tenant_token";
    case Attack::other_tenant: return "other_tenant";
    case Attack::tenant_in_body: return "tenant_in_body";
    case Attack::tenant_id_in_body: return "tenant_id_in_body";
    case Attack::tenant_in_query: return "tenant_in_query";
  }
  return "unknown";
}

struct Expected {
  int status = 0;
  std::string code;    // error.code, or "" for a success
  std::string reason;  // error.details.reason, checked when not empty
};

// One route of the HTTP API, aimed at tenant A's ids.
struct RouteSpec {
  std::string method;
  std::string target;
  Role role;               // the lowest role that the route admits
  json body;               // a valid body, or null for a route without one
  Expected other_tenant;   // for B's token at `role` on the same target and body
};

struct Case {
  std::string route;  // "METHOD target", as the API lists it with A's ids filled in
  Attack attack;
  std::string method;
  std::string target;
  std::string token;
  std::string body;
  Expected expected;
  std::string token_role = "";  // the token's role, for the attacks that try several
};

std::string describe(const Case& c) {
  std::string attack = to_string(c.attack);
  if (!c.token_role.empty()) attack += " as " + c.token_role;
  std::string text =
      "[" + c.route + " x " + attack + "] expected HTTP " + std::to_string(c.expected.status);
  if (!c.expected.code.empty()) text += " " + c.expected.code;
  if (!c.expected.reason.empty()) text += " (reason " + c.expected.reason + ")";
  return text;
}

// Checks the status, the error code (none for a success), details.reason when expected, and that
// the response neither names tenant A nor carries its data.
void check_response(const Case& c, const HttpResponse& response) {
  EXPECT_EQ(response.status, c.expected.status) << describe(c) << ", got " << response.describe();
  EXPECT_EQ(response.error_code(), c.expected.code)
      << describe(c) << ", got " << response.describe();
  if (!c.expected.reason.empty()) {
    std::string reason = response.body_json.is_object()
                             ? response.body_json.value("/error/details/reason"_json_pointer, "")
                             : "";
    EXPECT_EQ(reason, c.expected.reason) << describe(c) << ", got " << response.describe();
  }
  EXPECT_EQ(response.body.find(tenant_a_marker), std::string::npos)
      << describe(c) << ": the response contains tenant A's data: " << response.describe();
  EXPECT_EQ(response.body.find(tenant_a), std::string::npos)
      << describe(c) << ": the response names tenant A: " << response.describe();
}

// The token's signature part with one character in its middle replaced. The middle is chosen
// because the last character of a base64url signature also carries padding bits.
std::string forge_signature(std::string token) {
  std::size_t signature_start = token.rfind('.') + 1;
  std::size_t middle = signature_start + (token.size() - signature_start) / 2;
  token[middle] = token[middle] == 'A' ? 'B' : 'A';
  return token;
}

// The header and signature of `signer` around the payload of `claims_source`.
std::string swap_payload(const std::string& signer, const std::string& claims_source) {
  std::size_t signer_first = signer.find('.');
  std::size_t signer_last = signer.rfind('.');
  std::size_t source_first = claims_source.find('.');
  std::size_t source_last = claims_source.rfind('.');
  return signer.substr(0, signer_first + 1) +
         claims_source.substr(source_first + 1, source_last - source_first - 1) +
         signer.substr(signer_last);
}

const std::vector<Role> tenant_roles = {Role::viewer, Role::operator_role, Role::approver,
                                        Role::admin};

// The tenant roles that `role` includes, without `role` itself.
std::vector<Role> roles_below(Role role) {
  std::vector<Role> lower;
  for (Role candidate : tenant_roles) {
    if (candidate != role && gateway::role_allows(role, candidate)) lower.push_back(candidate);
  }
  return lower;
}

json with_field(const json& body, const std::string& name, const std::string& value) {
  json object = body.is_null() ? json::object() : body;
  object[name] = value;
  return object;
}

std::string body_text(const json& body) { return body.is_null() ? "" : body.dump(); }

std::string stripe_subscription_event(const std::string& type, const std::string& id,
                                      std::int64_t created, const std::string& status) {
  std::ifstream file(std::string(BULWARK_SHARED_DATA) + "/stripe/events/" + type + ".json");
  if (!file) throw std::runtime_error("cannot read the recorded Stripe event " + type);
  json event = json::parse(file);
  event["id"] = id;
  event["created"] = created;
  event["data"]["object"]["status"] = status;
  return event.dump(2);
}

class IsolationE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    secrets_ = std::make_unique<TempDir>();
    stripe_secret_ = "whsec_isolation_e2e_7Qm2x";
    std::string stripe_secret_path = secrets_->path() + "/stripe-secret";
    std::ofstream(stripe_secret_path) << stripe_secret_ << "\n";

    NodeOptions options;
    options.extra_args = {"--stripe-secret-file", stripe_secret_path, "--webhook-attempts-max",
                          std::to_string(webhook_attempts_max)};
    node_ = std::make_unique<NodeProcess>(options);
    if (!node_->start()) {
      setup_error_ = "node did not start: " + node_->last_error();
      return;
    }
    setup_error_ = set_up_tenants();
  }

  static void TearDownTestSuite() {
    if (node_ && suite_failed_) {
      node_->keep_files();
      std::cerr << "---- node data kept in " << node_->data_dir() << "\n---- node log tail:\n"
                << node_->log_tail() << "----\n";
    }
    node_.reset();
    secrets_.reset();
  }

  void SetUp() override { ASSERT_EQ(setup_error_, "") << "suite set-up failed"; }
  void TearDown() override {
    if (HasFailure()) suite_failed_ = true;
  }

  static std::string token(const std::string& tenant, Role role,
                           std::chrono::seconds ttl = std::chrono::hours(1)) {
    std::string principal = tenant.empty() ? "ops" : tenant + "-" + gateway::to_string(role);
    return node_->token(tenant, principal, role, ttl);
  }

  // Gives tenant A a budget, a guardrail, two reservations, an action, safe mode, a Stripe
  // customer with a subscription and a dead letter, and tenant B a budget. Returns "" on success,
  // or the first failed step.
  static std::string set_up_tenants() {
    HttpClient http(node_->port());
    std::string admin = token(tenant_a, Role::admin);
    std::string operator_token = token(tenant_a, Role::operator_role);
    json budget = {{"daily_limit_minor", 1'000'000}, {"currency", "EUR"}, {"time_zone", "UTC"}};
    json guardrail = {{"rule", "max_amount"}, {"max_amount_minor", 500'000}, {"enforcement", "warn"}};
    struct Step {
      std::string method;
      std::string target;
      std::string token;
      json body;
      int status;
    };
    const std::vector<Step> steps = {
        {"PUT", "/v1/tenant/budget", admin, budget, 200},
        {"PUT", "/v1/guardrails/" + guardrail_a, admin, guardrail, 200},
        {"POST", "/v1/reservations", operator_token,
         {{"reservation_id", reservation_a}, {"amount_minor", 3000}, {"ttl_s", 3600}}, 201},
        {"POST", "/v1/reservations", operator_token,
         {{"reservation_id", reservation_a_second}, {"amount_minor", 2000}, {"ttl_s", 3600}}, 201},
        {"POST", "/v1/actions", operator_token,
         {{"action_id", action_a},
          {"kind", "create_po"},
          {"amount_minor", 5000},
          {"payload", {{"note", tenant_a_marker}}}},
         201},
        {"PUT", "/v1/safe-mode", admin, {{"enabled", true}, {"reason", tenant_a_marker}}, 200},
        {"PUT", "/v1/tenant/stripe", admin, {{"customer_ids", {stripe_customer_a}}}, 200},
        {"PUT", "/v1/tenant/budget", token(tenant_b, Role::admin), budget, 200},
    };
    for (const auto& step : steps) {
      auto response = http.request(step.method, step.target, step.token, body_text(step.body));
      if (response.status != step.status) {
        return step.method + " " + step.target + ": " + response.describe();
      }
    }

    // An incomplete subscription cannot become past_due, so that update fails on every
    // delivery and is dead-lettered after webhook_attempts_max deliveries.
    const std::int64_t created = 1'700'000'000;
    if (auto error = deliver(stripe_subscription_event("customer.subscription.created",
                                                       "evt_iso_created", created, "incomplete"),
                             200);
        !error.empty()) {
      return error;
    }
    const std::string failing = stripe_subscription_event(
        "customer.subscription.updated", dead_letter_a, created + 300, "past_due");
    for (int attempt = 1; attempt < webhook_attempts_max; ++attempt) {
      if (auto error = deliver(failing, 422); !error.empty()) return error;
    }
    if (auto error = deliver(failing, 200); !error.empty()) return error;
    auto dead_letters = http.get("/v1/webhooks/dead-letters", admin);
    if (dead_letters.body.find(dead_letter_a) == std::string::npos) {
      return "the dead letter is missing: " + dead_letters.describe();
    }
    return "";
  }

  // Delivers a signed Stripe event. Returns "" when the status is `status`.
  static std::string deliver(const std::string& body, int status) {
    HttpClient http(node_->port());
    std::int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
    std::string signature = "t=" + std::to_string(now_s) +
                            ",v1=" + gateway::stripe_signature_hex(stripe_secret_, now_s, body);
    auto response =
        http.request("POST", "/v1/webhooks/stripe", "", body, {{"Stripe-Signature", signature}});
    if (response.status == status) return "";
    return "Stripe delivery answered " + response.describe() + ", expected " +
           std::to_string(status);
  }

  // Every route of the HTTP API, aimed at tenant A's ids. The bodies are valid, so that only the
  // attack decides the outcome. Where tenant B's token acts on B's own namespace (with ids that
  // A also uses), the route succeeds for B and A's state must still be unchanged.
  static std::vector<RouteSpec> tenant_routes() {
    const Expected own_ok{200, "", ""};
    const Expected own_created{201, "", ""};
    const Expected not_found{404, "not_found", ""};
    json reserve = {{"reservation_id", reservation_a_second}, {"amount_minor", 2000}, {"ttl_s", 60}};
    json propose = {{"action_id", action_a_second}, {"kind", "create_po"}, {"amount_minor", 100}};
    json guardrail = {{"rule", "max_amount"}, {"max_amount_minor", 9}, {"enforcement", "block"}};
    json regime = {{"series", "wti"},
                   {"thresholds", {{"excess_below_minor", 1000}, {"shortage_above_minor", 10000}}},
                   {"hysteresis", {{"band_minor", 200}}}};
    json limit = {{"rate_per_minute", 100}, {"burst", 10}};
    json rate_limits = {{"approvals", {{"per_principal", limit}, {"per_tenant", limit}}}};
    return {
        {"GET", "/v1/tenant", Role::viewer, nullptr, own_ok},
        {"PUT", "/v1/tenant/budget", Role::admin,
         {{"daily_limit_minor", 900'000}, {"currency", "USD"}, {"time_zone", "UTC"}}, own_ok},
        {"POST", "/v1/reservations", Role::operator_role, reserve, own_created},
        {"POST", "/v1/reservations/" + reservation_a + "/commit", Role::operator_role,
         {{"amount_minor", 100}}, not_found},
        {"POST", "/v1/reservations/" + reservation_a + "/release", Role::operator_role, nullptr,
         not_found},
        {"PUT", "/v1/safe-mode", Role::admin, {{"enabled", false}, {"reason", "attack"}}, own_ok},
        {"POST", "/v1/actions", Role::operator_role, propose, own_created},
        {"POST", "/v1/actions/" + action_a + "/approve", Role::approver, nullptr, not_found},
        {"POST", "/v1/actions/" + action_a + "/reject", Role::approver, nullptr, not_found},
        {"POST", "/v1/actions/" + action_a + "/execute", Role::approver, nullptr, not_found},
        {"GET", "/v1/actions", Role::viewer, nullptr, own_ok},
        {"GET", "/v1/guardrails", Role::viewer, nullptr, own_ok},
        {"PUT", "/v1/guardrails/" + guardrail_a, Role::admin, guardrail, own_ok},
        {"GET", "/v1/events", Role::viewer, nullptr, own_ok},
        // A customer belongs to one tenant: B cannot claim A's.
        {"PUT", "/v1/tenant/stripe", Role::admin, {{"customer_ids", {stripe_customer_a}}},
         {409, "customer_conflict", ""}},
        {"GET", "/v1/subscription", Role::viewer, nullptr, own_ok},
        {"GET", "/v1/webhooks/dead-letters", Role::admin, nullptr, own_ok},
        {"POST", "/v1/webhooks/dead-letters/" + dead_letter_a + "/requeue", Role::admin, nullptr,
         not_found},
        {"PUT", "/v1/tenant/alerts", Role::admin, {{"url", "http://127.0.0.1:9/alerts"}}, own_ok},
        {"PUT", "/v1/tenant/regime", Role::admin, regime, own_ok},
        {"GET", "/v1/outbox", Role::viewer, nullptr, own_ok},
        {"PUT", "/v1/tenant/rate-limits", Role::admin, rate_limits, own_ok},
    };
  }

  // The cases of one tenant route: every attack that applies to it.
  static std::vector<Case> cases_for(const RouteSpec& spec) {
    std::string route = spec.method + " " + spec.target;
    std::string body = body_text(spec.body);
    std::string a_token = token(tenant_a, spec.role);
    std::string b_token = token(tenant_b, spec.role);
    const Expected tenant_mismatch{403, "tenant_mismatch", ""};
    const Expected forbidden{403, "forbidden", ""};

    std::vector<Case> cases = {
        {route, Attack::no_token, spec.method, spec.target, "", body,
         {401, "unauthenticated", "missing"}},
        {route, Attack::expired_token, spec.method, spec.target,
         token(tenant_a, spec.role, std::chrono::seconds(-60)), body,
         {401, "unauthenticated", "expired"}},
        {route, Attack::forged_signature, spec.method, spec.target, forge_signature(a_token), body,
         {401, "unauthenticated", "bad_signature"}},
        {route, Attack::swapped_payload, spec.method, spec.target, swap_payload(b_token, a_token),
         body, {401, "unauthenticated", "bad_signature"}},
        {route, Attack::platform_token, spec.method, spec.target, token("", Role::platform), body,
         forbidden},
        {route, Attack::other_tenant, spec.method, spec.target, b_token, body, spec.other_tenant},
        {route, Attack::tenant_in_body, spec.method, spec.target, b_token,
         with_field(spec.body, "tenant", tenant_a).dump(), tenant_mismatch},
        {route, Attack::tenant_id_in_body, spec.method, spec.target, b_token,
         with_field(spec.body, "tenant_id", tenant_a).dump(), tenant_mismatch},
        {route, Attack::tenant_in_query, spec.method, spec.target + "?tenant=" + tenant_a,
         b_token, body, tenant_mismatch},
    };
    for (Role lower : roles_below(spec.role)) {
      cases.push_back({route, Attack::role_too_low, spec.method, spec.target,
                       token(tenant_a, lower), body, forbidden, gateway::to_string(lower)});
    }
    return cases;
  }

  static std::vector<Case> platform_stats_cases() {
    const std::string route = "GET /v1/platform/stats";
    const std::string target = "/v1/platform/stats";
    std::string platform = token("", Role::platform);
    std::vector<Case> cases = {
        {route, Attack::no_token, "GET", target, "", "", {401, "unauthenticated", "missing"}},
        {route, Attack::expired_token, "GET", target,
         token("", Role::platform, std::chrono::seconds(-60)), "",
         {401, "unauthenticated", "expired"}},
        {route, Attack::forged_signature, "GET", target, forge_signature(platform), "",
         {401, "unauthenticated", "bad_signature"}},
        {route, Attack::swapped_payload, "GET", target,
         swap_payload(token(tenant_a, Role::admin), platform), "",
         {401, "unauthenticated", "bad_signature"}},
    };
    for (Role role : tenant_roles) {
      cases.push_back({route, Attack::tenant_token, "GET", target, token(tenant_a, role), "",
                       {403, "forbidden", ""}, gateway::to_string(role)});
    }
    return cases;
  }

  // The bodies of everything tenant A can read, with every page of its journal, in order.
  static std::vector<std::pair<std::string, std::string>> read_tenant_a() {
    HttpClient http(node_->port());
    std::string admin = token(tenant_a, Role::admin);
    std::vector<std::pair<std::string, std::string>> reads;
    for (const char* target : {"/v1/tenant", "/v1/actions", "/v1/guardrails", "/v1/subscription",
                               "/v1/webhooks/dead-letters", "/v1/outbox"}) {
      auto response = http.get(target, admin);
      reads.emplace_back(target, std::to_string(response.status) + " " + response.body);
    }
    std::uint64_t after = 0;
    for (int page = 0; page < 100; ++page) {
      std::string target =
          "/v1/events?after=" + std::to_string(after) + "&limit=" + std::to_string(events_page_limit);
      auto response = http.get(target, admin);
      reads.emplace_back(target, std::to_string(response.status) + " " + response.body);
      if (response.status != 200 || !response.body_json.contains("events")) break;
      const json& events = response.body_json["events"];
      if (events.size() < static_cast<std::size_t>(events_page_limit)) break;
      after = events.back().at("seq").get<std::uint64_t>();
    }
    return reads;
  }

  static std::unique_ptr<NodeProcess> node_;
  static std::unique_ptr<TempDir> secrets_;
  static std::string stripe_secret_;
  static std::string setup_error_;
  static bool suite_failed_;
};

std::unique_ptr<NodeProcess> IsolationE2E::node_;
std::unique_ptr<TempDir> IsolationE2E::secrets_;
std::string IsolationE2E::stripe_secret_;
std::string IsolationE2E::setup_error_;
bool IsolationE2E::suite_failed_ = false;

TEST_F(IsolationE2E, HttpMatrixLeavesTenantAUnchanged) {
  auto before = read_tenant_a();
  ASSERT_GE(before.size(), 8u);
  ASSERT_EQ(before.back().second.rfind("200 ", 0), 0u) << before.back().second;
  ASSERT_EQ(before[1].first, "/v1/actions");
  ASSERT_NE(before[1].second.find(action_a), std::string::npos)
      << "tenant A's action is missing: " << before[1].second;

  std::vector<Case> cases;
  for (const auto& spec : tenant_routes()) {
    for (auto& c : cases_for(spec)) cases.push_back(std::move(c));
  }
  for (auto& c : platform_stats_cases()) cases.push_back(std::move(c));
  std::set<std::string> routes;
  for (const auto& c : cases) routes.insert(c.route);
  EXPECT_EQ(routes.size(), 23u) << "every HTTP route of the API except the Stripe webhook";

  HttpClient http(node_->port());
  for (const auto& c : cases) {
    check_response(c, http.request(c.method, c.target, c.token, c.body));
  }

  auto after = read_tenant_a();
  ASSERT_EQ(after.size(), before.size()) << "the number of journal pages changed";
  for (std::size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(after[i].first, before[i].first);
    EXPECT_EQ(after[i].second, before[i].second) << "GET " << before[i].first << " changed";
  }
}

// Refused upgrades, sent as plain HTTP so that the error code in the body can be checked. The
// lowest role (viewer) may open /v1/ws, so no role is too low for it. A platform token opens a
// platform session, which IsolationE2E.WebSocketOtherTenantGetsNoFrames checks.
TEST_F(IsolationE2E, WebSocketUpgradeAttacks) {
  const std::string route = "GET /v1/ws";
  std::string a_token = token(tenant_a, Role::viewer);
  std::string b_token = token(tenant_b, Role::viewer);
  const std::vector<Case> cases = {
      {route, Attack::no_token, "GET", "/v1/ws", "", "", {401, "unauthenticated", "missing"}},
      {route, Attack::expired_token, "GET", "/v1/ws",
       token(tenant_a, Role::viewer, std::chrono::seconds(-60)), "",
       {401, "unauthenticated", "expired"}},
      {route, Attack::forged_signature, "GET", "/v1/ws", forge_signature(a_token), "",
       {401, "unauthenticated", "bad_signature"}},
      {route, Attack::swapped_payload, "GET", "/v1/ws", swap_payload(b_token, a_token), "",
       {401, "unauthenticated", "bad_signature"}},
      // A session never names a tenant: after is its only query parameter.
      {route, Attack::tenant_in_query, "GET", "/v1/ws?tenant=" + tenant_a, b_token, "",
       {403, "tenant_mismatch", ""}},
  };
  const std::vector<std::pair<std::string, std::string>> upgrade_headers = {
      {"Connection", "Upgrade"},
      {"Upgrade", "websocket"},
      {"Sec-WebSocket-Version", "13"},
      {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}};
  for (const auto& c : cases) {
    HttpClient http(node_->port());
    check_response(c, http.request(c.method, c.target, c.token, c.body, upgrade_headers));
    if (c.token.empty()) continue;

    // Browsers send the token as the subprotocols "bearer, <token>", which must be checked alike.
    auto headers = upgrade_headers;
    headers.emplace_back("Sec-WebSocket-Protocol", "bearer, " + c.token);
    Case subprotocol_case = c;
    subprotocol_case.route += " (token as subprotocol)";
    HttpClient browser(node_->port());
    check_response(subprotocol_case, browser.request(c.method, c.target, "", c.body, headers));
  }
}

TEST_F(IsolationE2E, WebSocketReplayIsOwnJournal) {
  std::string b_operator = token(tenant_b, Role::operator_role);
  HttpClient http(node_->port());
  auto reserved = http.post(
      "/v1/reservations",
      {{"reservation_id", "r-b-replay"}, {"amount_minor", 10}, {"ttl_s", 3600}}, b_operator);
  ASSERT_EQ(reserved.status, 201) << reserved.describe();
  std::string error;
  auto journal_b = fetch_all_events(http, token(tenant_b, Role::viewer), error);
  ASSERT_EQ(error, "");
  ASSERT_FALSE(journal_b.empty());

  // A session of B from the start replays B's journal exactly, and nothing of A's.
  WsClient socket_b;
  WsClient::Options options;
  options.token = token(tenant_b, Role::viewer);
  ASSERT_TRUE(socket_b.connect(node_->port(), "/v1/ws?after=0", options))
      << "upgrade answered " << socket_b.http_status();
  std::vector<json> frames;
  for (std::size_t i = 0; i <= journal_b.size(); ++i) {
    auto read = socket_b.read(i < journal_b.size() ? 10s : 500ms);
    if (read.status != ReadStatus::frame) break;
    EXPECT_EQ(read.text.find(tenant_a_marker), std::string::npos) << read.text;
    frames.push_back(json::parse(read.text));
  }
  ASSERT_EQ(frames.size(), journal_b.size()) << "frames replayed to tenant B's session";
  for (std::size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i], journal_b[i]) << "frame " << i << " differs from B's journal";
  }
}

TEST_F(IsolationE2E, WebSocketOtherTenantGetsNoFrames) {
  auto open = [this](const std::string& session_token) {
    auto client = std::make_unique<WsClient>();
    WsClient::Options options;
    options.token = session_token;
    EXPECT_TRUE(client->connect(node_->port(), "/v1/ws", options))
        << "upgrade answered " << client->http_status();
    return client;
  };
  auto socket_a = open(token(tenant_a, Role::viewer));
  auto socket_b = open(token(tenant_b, Role::viewer));
  auto socket_platform = open(token("", Role::platform));

  constexpr int writes = 3;
  HttpClient http(node_->port());
  for (int i = 0; i < writes; ++i) {
    auto response = http.post("/v1/reservations",
                              {{"reservation_id", "r-a-ws-" + std::to_string(i)},
                               {"amount_minor", 10},
                               {"ttl_s", 3600}},
                              token(tenant_a, Role::operator_role));
    ASSERT_EQ(response.status, 201) << response.describe();
  }

  // A's own session receives the writes, so they were pushed while B's session was open.
  for (int i = 0; i < writes; ++i) {
    auto read = socket_a->read();
    ASSERT_EQ(read.status, ReadStatus::frame) << "tenant A's session, frame " << i;
    EXPECT_EQ(event_type(json::parse(read.text)), "spend_reserved") << read.text;
  }
  int frames_b = 0;
  while (socket_b->read(500ms).status == ReadStatus::frame && frames_b < 100) frames_b++;
  EXPECT_EQ(frames_b, 0) << "tenant B's session received tenant A's events";

  // The platform session gets statistics only, with no tenant's name or data in them.
  for (int frames = 0; frames < 10; ++frames) {
    auto read = socket_platform->read(500ms);
    if (read.status != ReadStatus::frame) break;
    EXPECT_EQ(event_type(json::parse(read.text)), "platform_stats") << read.text;
    EXPECT_EQ(read.text.find(tenant_a), std::string::npos) << read.text;
    EXPECT_EQ(read.text.find("r-a-ws-"), std::string::npos) << read.text;
  }
}

TEST_F(IsolationE2E, WebSocketMessageNamingTenantACloses) {
  for (const std::string field : {"tenant", "tenant_id"}) {
    WsClient socket_b;
    WsClient::Options options;
    options.token = token(tenant_b, Role::viewer);
    ASSERT_TRUE(socket_b.connect(node_->port(), "/v1/ws", options))
        << "upgrade answered " << socket_b.http_status();
    json message = {{"op", "filter"}, {"types", json::array()}, {field, tenant_a}};
    ASSERT_TRUE(socket_b.write(message.dump())) << field;
    auto read = socket_b.read();
    ASSERT_EQ(read.status, ReadStatus::closed) << field << " naming tenant A: " << read.text;
    EXPECT_EQ(read.close_code, 1008u) << field << " naming tenant A";
  }
}

}  // namespace
}  // namespace bulwark::e2e
