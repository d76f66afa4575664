#include "domain/events.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace bulwark::domain {
namespace {

using nlohmann::json;
using testing::at;
using testing::payload_hash;

TEST(EventCodec, TypeIdsAndNamesStable) {
  struct Case {
    EventType type;
    std::uint16_t id;
    const char* name;
  };
  const Case cases[] = {
      {EventType::budget_set, 1, "budget_set"},
      {EventType::spend_reserved, 2, "spend_reserved"},
      {EventType::spend_committed, 3, "spend_committed"},
      {EventType::spend_released, 4, "spend_released"},
      {EventType::spend_expired, 5, "spend_expired"},
      {EventType::safe_mode_changed, 6, "safe_mode_changed"},
      {EventType::guardrail_set, 7, "guardrail_set"},
      {EventType::guardrail_violated, 8, "guardrail_violated"},
      {EventType::guardrail_escalated, 9, "guardrail_escalated"},
      {EventType::action_proposed, 10, "action_proposed"},
      {EventType::action_approved, 11, "action_approved"},
      {EventType::action_rejected, 12, "action_rejected"},
      {EventType::action_execution_started, 13, "action_execution_started"},
      {EventType::action_executed, 14, "action_executed"},
      {EventType::action_failed, 15, "action_failed"},
      {EventType::outbox_enqueued, 16, "outbox_enqueued"},
      {EventType::outbox_delivered, 17, "outbox_delivered"},
      {EventType::outbox_attempt_failed, 18, "outbox_attempt_failed"},
      {EventType::alerts_target_set, 19, "alerts_target_set"},
      {EventType::regime_set, 20, "regime_set"},
      {EventType::regime_changed, 21, "regime_changed"},
      {EventType::webhook_applied, 24, "webhook_applied"},
      {EventType::webhook_ignored, 25, "webhook_ignored"},
      {EventType::webhook_attempt_failed, 26, "webhook_attempt_failed"},
      {EventType::webhook_dead_lettered, 27, "webhook_dead_lettered"},
      {EventType::webhook_requeued, 28, "webhook_requeued"},
      {EventType::stripe_customers_set, 29, "stripe_customers_set"},
      {EventType::rate_limits_set, 32, "rate_limits_set"},
      {EventType::lease_acquired, 34, "lease_acquired"},
      {EventType::lease_renewed, 35, "lease_renewed"},
      {EventType::lease_released, 36, "lease_released"},
      {EventType::retention_applied, 37, "retention_applied"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(static_cast<std::uint16_t>(c.type), c.id);
    EXPECT_STREQ(type_name(c.type), c.name);
    EXPECT_EQ(event_type_from_id(c.id), c.type);
    EXPECT_EQ(event_type_from_name(c.name), c.type);
  }
  EXPECT_EQ(event_type_from_id(0), std::nullopt);
  EXPECT_EQ(event_type_from_id(22), std::nullopt);  // reserved, unassigned
  EXPECT_EQ(event_type_from_id(30), std::nullopt);
  EXPECT_EQ(event_type_from_name("spend_reserve"), std::nullopt);
  EXPECT_EQ(event_type_from_name(""), std::nullopt);
}

GuardrailRule rule_of(GuardrailRuleKind kind, Enforcement enforcement) {
  GuardrailRule rule;
  rule.kind = kind;
  rule.enforcement = enforcement;
  switch (kind) {
    case GuardrailRuleKind::max_amount: rule.max_amount_minor = 25000; break;
    case GuardrailRuleKind::max_actions_per_hour: rule.max_actions = 12; break;
    case GuardrailRuleKind::allowed_kinds: rule.allowed_kinds = {"create_po", "reorder"}; break;
  }
  if (enforcement == Enforcement::escalate) rule.escalation_threshold = 7;
  return rule;
}

// One sample of every event type, with every field set to a value other than its default.
std::vector<EventData> samples() {
  const TimePoint expires = at("2026-12-04T10:05:00.123Z");
  return {
      BudgetSet{100000, "EUR", "Europe/Berlin"},
      SpendReserved{"r-1", 3000, "2026-12-04", expires, 300, ""},
      SpendReserved{"action:a-1", 5000, "2026-12-04", expires, 3600, "a-1"},
      SpendCommitted{"r-1", 2900},
      SpendReleased{"r-1"},
      SpendExpired{"r-1"},
      SafeModeChanged{true, "quarter close", "manual", std::nullopt},
      SafeModeChanged{true, "", "escalation", std::vector<std::string>{"wire", "create_po"}},
      SafeModeChanged{false, "done", "manual", std::vector<std::string>{}},
      GuardrailSet{"g-1", rule_of(GuardrailRuleKind::max_amount, Enforcement::warn)},
      GuardrailSet{"g-2", rule_of(GuardrailRuleKind::max_actions_per_hour, Enforcement::block)},
      GuardrailSet{"g-3", rule_of(GuardrailRuleKind::allowed_kinds, Enforcement::escalate)},
      GuardrailViolated{"g-1", "a-1", 3, Enforcement::escalate},
      GuardrailEscalated{"g-1", 7},
      ActionProposed{"a-1", "create_po", 5000, payload_hash('c'),
                     json{{"supplier", "acme"}, {"lines", json::array({1, 2})}},
                     ActionStatus::pending_approval},
      ActionApproved{"a-1", payload_hash('c')},
      ActionRejected{"a-1", payload_hash('d')},
      ActionExecutionStarted{"a-1", "action:a-1"},
      ActionExecuted{"a-1"},
      ActionFailed{"a-1", "released"},
      RateLimitsSet{RateLimitConfig{{{10, 3}, {20, 6}}, {{5, 1}, {7, 2}}, {{1, 1}, {2, 2}}}},
      LeaseAcquired{"retention", "node-b", 4, expires, "node-a"},
      LeaseRenewed{"retention", "node-b", 4, expires},
      LeaseReleased{"retention", "node-b", 4},
      RetentionApplied{"retention", "node-b", 4, "t-1", 1200, 901, 900},
  };
}

TEST(EventCodec, DataRoundTripsEveryType) {
  std::vector<EventType> covered;
  for (const EventData& data : samples()) {
    EventType type = type_of(data);
    SCOPED_TRACE(type_name(type));
    json encoded = event_data_to_json(data);
    EventData decoded = event_data_from_json(type, encoded);
    EXPECT_EQ(decoded.index(), data.index());
    EXPECT_EQ(event_data_to_json(decoded), encoded);
    covered.push_back(type);
  }
  for (std::uint16_t id = 1; id <= 15; ++id) {
    EXPECT_NE(std::find(covered.begin(), covered.end(), *event_type_from_id(id)), covered.end())
        << "no sample for " << type_name(*event_type_from_id(id));
  }
}

TEST(EventCodec, DecodedFieldsMatch) {
  auto reserved = std::get<SpendReserved>(event_data_from_json(
      EventType::spend_reserved, event_data_to_json(samples()[2])));
  EXPECT_EQ(reserved.reservation_id, "action:a-1");
  EXPECT_EQ(reserved.amount_minor, 5000);
  EXPECT_EQ(reserved.budget_day, "2026-12-04");
  EXPECT_EQ(reserved.expires_at, at("2026-12-04T10:05:00.123Z"));
  EXPECT_EQ(reserved.ttl_s, 3600);
  EXPECT_EQ(reserved.action_id, "a-1");

  auto changed = std::get<SafeModeChanged>(
      event_data_from_json(EventType::safe_mode_changed, event_data_to_json(samples()[7])));
  EXPECT_TRUE(changed.enabled);
  EXPECT_EQ(changed.cause, "escalation");
  EXPECT_EQ(changed.high_stakes_kinds, (std::vector<std::string>{"wire", "create_po"}));

  const std::vector<EventData> all = samples();
  for (std::size_t i : {9u, 10u, 11u}) {
    const auto& original = std::get<GuardrailSet>(all[i]);
    auto decoded = std::get<GuardrailSet>(
        event_data_from_json(EventType::guardrail_set, event_data_to_json(original)));
    EXPECT_EQ(decoded.guardrail_id, original.guardrail_id);
    EXPECT_TRUE(decoded.rule == original.rule) << original.guardrail_id;
  }

  auto proposed = std::get<ActionProposed>(
      event_data_from_json(EventType::action_proposed, event_data_to_json(samples()[14])));
  EXPECT_EQ(proposed.payload.at("lines"), json::array({1, 2}));
  EXPECT_EQ(proposed.status, ActionStatus::pending_approval);
}

TEST(EventCodec, AuditFieldNames) {
  json reserved = event_data_to_json(samples()[1]);
  for (const char* key : {"reservation_id", "amount_minor", "budget_day", "expires_at"}) {
    EXPECT_TRUE(reserved.contains(key)) << key;
  }
  EXPECT_FALSE(reserved.contains("action_id"));
  EXPECT_EQ(reserved.at("expires_at"), "2026-12-04T10:05:00.123Z");
  EXPECT_EQ(event_data_to_json(samples()[2]).at("action_id"), "a-1");

  json violated = event_data_to_json(samples()[12]);
  EXPECT_EQ(violated, (json{{"guardrail_id", "g-1"},
                            {"action_id", "a-1"},
                            {"violation_count", 3},
                            {"enforcement", "escalate"}}));
  json set = event_data_to_json(samples()[9]);
  EXPECT_EQ(set.at("guardrail_id"), "g-1");
  EXPECT_EQ(set.at("enforcement"), "warn");
  json proposed = event_data_to_json(samples()[14]);
  EXPECT_EQ(proposed.at("status"), "pending_approval");
  EXPECT_EQ(proposed.at("payload_sha256"), payload_hash('c'));
}

bool is_optional(EventType type, const std::string& key) {
  return (type == EventType::spend_reserved && key == "action_id") ||
         (type == EventType::safe_mode_changed && key == "high_stakes_kinds") ||
         (type == EventType::action_proposed && key == "payload");
}

TEST(EventCodec, MissingFieldThrows) {
  int checked = 0;
  for (const EventData& data : samples()) {
    EventType type = type_of(data);
    json encoded = event_data_to_json(data);
    for (const auto& item : encoded.items()) {
      if (is_optional(type, item.key())) continue;
      json damaged = encoded;
      damaged.erase(item.key());
      EXPECT_THROW((void)event_data_from_json(type, damaged), std::invalid_argument)
          << type_name(type) << " without " << item.key();
      ++checked;
    }
  }
  EXPECT_GT(checked, 40);
}

// Replaces a value with one of another JSON type.
json mistyped(const json& value) {
  if (value.is_string()) return 42;
  if (value.is_boolean()) return "true";
  if (value.is_number()) return std::to_string(value.get<std::int64_t>());
  if (value.is_array()) return "create_po";
  return json::array({1});
}

TEST(EventCodec, MistypedFieldThrows) {
  for (const EventData& data : samples()) {
    EventType type = type_of(data);
    json encoded = event_data_to_json(data);
    for (const auto& item : encoded.items()) {
      json damaged = encoded;
      damaged[item.key()] = mistyped(item.value());
      EXPECT_THROW((void)event_data_from_json(type, damaged), std::invalid_argument)
          << type_name(type) << " with mistyped " << item.key() << " = " << damaged[item.key()];
    }
  }
}

TEST(EventCodec, RejectsBadValues) {
  json fractional = event_data_to_json(SpendCommitted{"r-1", 2900});
  fractional["amount_minor"] = 2900.5;
  EXPECT_THROW((void)event_data_from_json(EventType::spend_committed, fractional),
               std::invalid_argument);

  json bad_time = event_data_to_json(samples()[1]);
  bad_time["expires_at"] = "tomorrow";
  EXPECT_THROW((void)event_data_from_json(EventType::spend_reserved, bad_time),
               std::invalid_argument);

  json bad_enum = event_data_to_json(samples()[12]);
  bad_enum["enforcement"] = "shout";
  EXPECT_THROW((void)event_data_from_json(EventType::guardrail_violated, bad_enum),
               std::invalid_argument);

  json bad_kinds = event_data_to_json(samples()[11]);
  bad_kinds["kinds"] = json::array({"create_po", 3});
  EXPECT_THROW((void)event_data_from_json(EventType::guardrail_set, bad_kinds),
               std::invalid_argument);

  for (const json& not_object : {json(nullptr), json::array(), json("x"), json(1)}) {
    EXPECT_THROW((void)event_data_from_json(EventType::spend_released, not_object),
                 std::invalid_argument);
  }
  EXPECT_THROW((void)event_data_from_json(static_cast<EventType>(99), json::object()),
               std::invalid_argument);
}

TEST(EventCodec, EnvelopeShape) {
  Event event;
  event.seq = 12;
  event.ts = at("2026-12-04T10:00:00.123Z");
  event.principal = "alice";
  event.causation_id = "req-7";
  event.data = SpendReleased{"r-1"};
  json encoded = event_to_json(event);
  EXPECT_EQ(encoded, (json{{"seq", 12},
                           {"type", "spend_released"},
                           {"ts", "2026-12-04T10:00:00.123Z"},
                           {"principal", "alice"},
                           {"data", {{"reservation_id", "r-1"}}}}));
}

TEST(EventCodec, EnumStringsRoundTrip) {
  for (auto e : {Enforcement::warn, Enforcement::block, Enforcement::escalate}) {
    EXPECT_EQ(enforcement_from_string(to_string(e)), e);
  }
  for (auto k : {GuardrailRuleKind::max_amount, GuardrailRuleKind::max_actions_per_hour,
                 GuardrailRuleKind::allowed_kinds}) {
    EXPECT_EQ(rule_kind_from_string(to_string(k)), k);
  }
  for (auto s : {ActionStatus::queued, ActionStatus::pending_approval, ActionStatus::approved,
                 ActionStatus::rejected, ActionStatus::executing, ActionStatus::executed,
                 ActionStatus::failed}) {
    EXPECT_EQ(action_status_from_string(to_string(s)), s);
  }
  EXPECT_EQ(enforcement_from_string("Warn"), std::nullopt);
  EXPECT_EQ(action_status_from_string("done"), std::nullopt);
}

}  // namespace
}  // namespace bulwark::domain
