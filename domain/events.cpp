#include "domain/events.hpp"

#include <array>
#include <stdexcept>
#include <type_traits>

#include "domain/lease.hpp"
#include "domain/outbox.hpp"
#include "domain/rate_limit.hpp"
#include "domain/webhooks.hpp"

namespace bulwark::domain {
namespace {

using nlohmann::json;

struct TypeEntry {
  EventType type;
  const char* name;
};

constexpr TypeEntry type_table[] = {
    {EventType::budget_set, "budget_set"},
    {EventType::spend_reserved, "spend_reserved"},
    {EventType::spend_committed, "spend_committed"},
    {EventType::spend_released, "spend_released"},
    {EventType::spend_expired, "spend_expired"},
    {EventType::safe_mode_changed, "safe_mode_changed"},
    {EventType::guardrail_set, "guardrail_set"},
    {EventType::guardrail_violated, "guardrail_violated"},
    {EventType::guardrail_escalated, "guardrail_escalated"},
    {EventType::action_proposed, "action_proposed"},
    {EventType::action_approved, "action_approved"},
    {EventType::action_rejected, "action_rejected"},
    {EventType::action_execution_started, "action_execution_started"},
    {EventType::action_executed, "action_executed"},
    {EventType::action_failed, "action_failed"},
    {EventType::webhook_applied, "webhook_applied"},
    {EventType::webhook_ignored, "webhook_ignored"},
    {EventType::webhook_attempt_failed, "webhook_attempt_failed"},
    {EventType::webhook_dead_lettered, "webhook_dead_lettered"},
    {EventType::webhook_requeued, "webhook_requeued"},
    {EventType::stripe_customers_set, "stripe_customers_set"},
    {EventType::outbox_enqueued, "outbox_enqueued"},
    {EventType::outbox_delivered, "outbox_delivered"},
    {EventType::outbox_attempt_failed, "outbox_attempt_failed"},
    {EventType::alerts_target_set, "alerts_target_set"},
    {EventType::regime_set, "regime_set"},
    {EventType::regime_changed, "regime_changed"},
    {EventType::rate_limits_set, "rate_limits_set"},
    {EventType::lease_acquired, "lease_acquired"},
    {EventType::lease_renewed, "lease_renewed"},
    {EventType::lease_released, "lease_released"},
    {EventType::retention_applied, "retention_applied"},
};

// Reads a required field with the expected JSON type, so a damaged journal never decodes into
// default values.
template <typename T>
T field(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end()) {
    throw std::invalid_argument(std::string("missing event field '") + name + "'");
  }
  if constexpr (std::is_same_v<T, std::string>) {
    if (!it->is_string()) throw std::invalid_argument(std::string("field '") + name + "' is not a string");
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!it->is_boolean()) throw std::invalid_argument(std::string("field '") + name + "' is not a boolean");
  } else {
    if (!it->is_number_integer()) {
      throw std::invalid_argument(std::string("field '") + name + "' is not an integer");
    }
  }
  return it->get<T>();
}

std::vector<std::string> string_list(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_array()) {
    throw std::invalid_argument(std::string("field '") + name + "' is not an array");
  }
  std::vector<std::string> values;
  for (const auto& item : *it) {
    if (!item.is_string()) throw std::invalid_argument(std::string("field '") + name + "' has a non-string item");
    values.push_back(item.get<std::string>());
  }
  return values;
}

TimePoint time_field(const json& object, const char* name) {
  auto parsed = parse_rfc3339(field<std::string>(object, name));
  if (!parsed) throw std::invalid_argument(std::string("field '") + name + "' is not an RFC 3339 time");
  return *parsed;
}

template <typename E>
E enum_field(const json& object, const char* name,
             std::optional<E> (*from_string)(std::string_view)) {
  auto value = from_string(field<std::string>(object, name));
  if (!value) throw std::invalid_argument(std::string("field '") + name + "' has an unknown value");
  return *value;
}

GuardrailRule rule_from_json(const json& data) {
  GuardrailRule rule;
  rule.kind = enum_field<GuardrailRuleKind>(data, "rule", rule_kind_from_string);
  rule.enforcement = enum_field<Enforcement>(data, "enforcement", enforcement_from_string);
  switch (rule.kind) {
    case GuardrailRuleKind::max_amount:
      rule.max_amount_minor = field<MinorUnits>(data, "max_amount_minor");
      break;
    case GuardrailRuleKind::max_actions_per_hour:
      rule.max_actions = field<std::int64_t>(data, "max_actions");
      break;
    case GuardrailRuleKind::allowed_kinds:
      rule.allowed_kinds = string_list(data, "kinds");
      break;
  }
  if (rule.enforcement == Enforcement::escalate) {
    rule.escalation_threshold = field<std::int64_t>(data, "escalation_threshold");
  }
  return rule;
}

struct ToJson {
  json operator()(const BudgetSet& e) const {
    return {{"daily_limit_minor", e.daily_limit_minor},
            {"currency", e.currency},
            {"time_zone", e.time_zone}};
  }
  json operator()(const SpendReserved& e) const {
    json out = {{"reservation_id", e.reservation_id},
                {"amount_minor", e.amount_minor},
                {"budget_day", e.budget_day},
                {"expires_at", format_rfc3339(e.expires_at)},
                {"ttl_s", e.ttl_s}};
    if (!e.action_id.empty()) out["action_id"] = e.action_id;
    return out;
  }
  json operator()(const SpendCommitted& e) const {
    return {{"reservation_id", e.reservation_id}, {"amount_minor", e.amount_minor}};
  }
  json operator()(const SpendReleased& e) const { return {{"reservation_id", e.reservation_id}}; }
  json operator()(const SpendExpired& e) const { return {{"reservation_id", e.reservation_id}}; }
  json operator()(const SafeModeChanged& e) const {
    json out = {{"enabled", e.enabled}, {"reason", e.reason}, {"cause", e.cause}};
    if (e.high_stakes_kinds) out["high_stakes_kinds"] = *e.high_stakes_kinds;
    return out;
  }
  json operator()(const GuardrailSet& e) const {
    json out = guardrail_rule_to_json(e.rule);
    out["guardrail_id"] = e.guardrail_id;
    return out;
  }
  json operator()(const GuardrailViolated& e) const {
    return {{"guardrail_id", e.guardrail_id},
            {"action_id", e.action_id},
            {"violation_count", e.violation_count},
            {"enforcement", to_string(e.enforcement)}};
  }
  json operator()(const GuardrailEscalated& e) const {
    return {{"guardrail_id", e.guardrail_id}, {"violation_count", e.violation_count}};
  }
  json operator()(const ActionProposed& e) const {
    return {{"action_id", e.action_id},     {"kind", e.kind},
            {"amount_minor", e.amount_minor}, {"payload_sha256", e.payload_sha256},
            {"payload", e.payload},         {"status", to_string(e.status)}};
  }
  json operator()(const ActionApproved& e) const {
    return {{"action_id", e.action_id}, {"payload_sha256", e.payload_sha256}};
  }
  json operator()(const ActionRejected& e) const {
    return {{"action_id", e.action_id}, {"payload_sha256", e.payload_sha256}};
  }
  json operator()(const ActionExecutionStarted& e) const {
    return {{"action_id", e.action_id}, {"reservation_id", e.reservation_id}};
  }
  json operator()(const ActionExecuted& e) const { return {{"action_id", e.action_id}}; }
  json operator()(const ActionFailed& e) const {
    return {{"action_id", e.action_id}, {"reason", e.reason}};
  }
  json operator()(const WebhookApplied& e) const { return webhook_event_to_json(e); }
  json operator()(const WebhookIgnored& e) const { return webhook_event_to_json(e); }
  json operator()(const WebhookAttemptFailed& e) const { return webhook_event_to_json(e); }
  json operator()(const WebhookDeadLettered& e) const { return webhook_event_to_json(e); }
  json operator()(const WebhookRequeued& e) const { return webhook_event_to_json(e); }
  json operator()(const StripeCustomersSet& e) const { return webhook_event_to_json(e); }
  json operator()(const OutboxEnqueued& e) const { return integration_event_to_json(e); }
  json operator()(const OutboxDelivered& e) const { return integration_event_to_json(e); }
  json operator()(const OutboxAttemptFailed& e) const { return integration_event_to_json(e); }
  json operator()(const AlertsTargetSet& e) const { return integration_event_to_json(e); }
  json operator()(const RegimeSet& e) const { return integration_event_to_json(e); }
  json operator()(const RegimeChanged& e) const { return integration_event_to_json(e); }
  json operator()(const RateLimitsSet& e) const { return rate_limits_to_json(e.config); }
  json operator()(const LeaseAcquired& e) const { return lease_event_to_json(e); }
  json operator()(const LeaseRenewed& e) const { return lease_event_to_json(e); }
  json operator()(const LeaseReleased& e) const { return lease_event_to_json(e); }
  json operator()(const RetentionApplied& e) const { return lease_event_to_json(e); }
};

struct TypeOf {
  EventType operator()(const BudgetSet&) const { return EventType::budget_set; }
  EventType operator()(const SpendReserved&) const { return EventType::spend_reserved; }
  EventType operator()(const SpendCommitted&) const { return EventType::spend_committed; }
  EventType operator()(const SpendReleased&) const { return EventType::spend_released; }
  EventType operator()(const SpendExpired&) const { return EventType::spend_expired; }
  EventType operator()(const SafeModeChanged&) const { return EventType::safe_mode_changed; }
  EventType operator()(const GuardrailSet&) const { return EventType::guardrail_set; }
  EventType operator()(const GuardrailViolated&) const { return EventType::guardrail_violated; }
  EventType operator()(const GuardrailEscalated&) const { return EventType::guardrail_escalated; }
  EventType operator()(const ActionProposed&) const { return EventType::action_proposed; }
  EventType operator()(const ActionApproved&) const { return EventType::action_approved; }
  EventType operator()(const ActionRejected&) const { return EventType::action_rejected; }
  EventType operator()(const ActionExecutionStarted&) const {
    return EventType::action_execution_started;
  }
  EventType operator()(const ActionExecuted&) const { return EventType::action_executed; }
  EventType operator()(const ActionFailed&) const { return EventType::action_failed; }
  EventType operator()(const WebhookApplied&) const { return EventType::webhook_applied; }
  EventType operator()(const WebhookIgnored&) const { return EventType::webhook_ignored; }
  EventType operator()(const WebhookAttemptFailed&) const {
    return EventType::webhook_attempt_failed;
  }
  EventType operator()(const WebhookDeadLettered&) const {
    return EventType::webhook_dead_lettered;
  }
  EventType operator()(const WebhookRequeued&) const { return EventType::webhook_requeued; }
  EventType operator()(const StripeCustomersSet&) const { return EventType::stripe_customers_set; }
  EventType operator()(const OutboxEnqueued&) const { return EventType::outbox_enqueued; }
  EventType operator()(const OutboxDelivered&) const { return EventType::outbox_delivered; }
  EventType operator()(const OutboxAttemptFailed&) const {
    return EventType::outbox_attempt_failed;
  }
  EventType operator()(const AlertsTargetSet&) const { return EventType::alerts_target_set; }
  EventType operator()(const RegimeSet&) const { return EventType::regime_set; }
  EventType operator()(const RegimeChanged&) const { return EventType::regime_changed; }
  EventType operator()(const RateLimitsSet&) const { return EventType::rate_limits_set; }
  EventType operator()(const LeaseAcquired&) const { return EventType::lease_acquired; }
  EventType operator()(const LeaseRenewed&) const { return EventType::lease_renewed; }
  EventType operator()(const LeaseReleased&) const { return EventType::lease_released; }
  EventType operator()(const RetentionApplied&) const { return EventType::retention_applied; }
};

}  // namespace

bool GuardrailRule::operator==(const GuardrailRule& other) const {
  return kind == other.kind && max_amount_minor == other.max_amount_minor &&
         max_actions == other.max_actions && allowed_kinds == other.allowed_kinds &&
         enforcement == other.enforcement && escalation_threshold == other.escalation_threshold;
}

EventType type_of(const EventData& data) { return std::visit(TypeOf{}, data); }

const char* type_name(EventType type) {
  for (const auto& entry : type_table) {
    if (entry.type == type) return entry.name;
  }
  return "unknown";
}

std::optional<EventType> event_type_from_id(std::uint16_t id) {
  for (const auto& entry : type_table) {
    if (static_cast<std::uint16_t>(entry.type) == id) return entry.type;
  }
  return std::nullopt;
}

std::optional<EventType> event_type_from_name(std::string_view name) {
  for (const auto& entry : type_table) {
    if (name == entry.name) return entry.type;
  }
  return std::nullopt;
}

const char* to_string(Enforcement e) {
  switch (e) {
    case Enforcement::warn: return "warn";
    case Enforcement::block: return "block";
    case Enforcement::escalate: return "escalate";
  }
  return "unknown";
}

const char* to_string(GuardrailRuleKind k) {
  switch (k) {
    case GuardrailRuleKind::max_amount: return "max_amount";
    case GuardrailRuleKind::max_actions_per_hour: return "max_actions_per_hour";
    case GuardrailRuleKind::allowed_kinds: return "allowed_kinds";
  }
  return "unknown";
}

const char* to_string(ActionStatus s) {
  switch (s) {
    case ActionStatus::queued: return "queued";
    case ActionStatus::pending_approval: return "pending_approval";
    case ActionStatus::approved: return "approved";
    case ActionStatus::rejected: return "rejected";
    case ActionStatus::executing: return "executing";
    case ActionStatus::executed: return "executed";
    case ActionStatus::failed: return "failed";
  }
  return "unknown";
}

std::optional<Enforcement> enforcement_from_string(std::string_view s) {
  for (auto e : {Enforcement::warn, Enforcement::block, Enforcement::escalate}) {
    if (s == to_string(e)) return e;
  }
  return std::nullopt;
}

std::optional<GuardrailRuleKind> rule_kind_from_string(std::string_view s) {
  for (auto k : {GuardrailRuleKind::max_amount, GuardrailRuleKind::max_actions_per_hour,
                 GuardrailRuleKind::allowed_kinds}) {
    if (s == to_string(k)) return k;
  }
  return std::nullopt;
}

std::optional<ActionStatus> action_status_from_string(std::string_view s) {
  for (auto status : {ActionStatus::queued, ActionStatus::pending_approval,
                      ActionStatus::approved, ActionStatus::rejected, ActionStatus::executing,
                      ActionStatus::executed, ActionStatus::failed}) {
    if (s == to_string(status)) return status;
  }
  return std::nullopt;
}

json guardrail_rule_to_json(const GuardrailRule& rule) {
  json out = {{"rule", to_string(rule.kind)}, {"enforcement", to_string(rule.enforcement)}};
  switch (rule.kind) {
    case GuardrailRuleKind::max_amount:
      out["max_amount_minor"] = rule.max_amount_minor;
      break;
    case GuardrailRuleKind::max_actions_per_hour:
      out["max_actions"] = rule.max_actions;
      break;
    case GuardrailRuleKind::allowed_kinds:
      out["kinds"] = rule.allowed_kinds;
      break;
  }
  if (rule.enforcement == Enforcement::escalate) {
    out["escalation_threshold"] = rule.escalation_threshold;
  }
  return out;
}

json event_data_to_json(const EventData& data) { return std::visit(ToJson{}, data); }

EventData event_data_from_json(EventType type, const json& d) {
  if (!d.is_object()) throw std::invalid_argument("event data is not a JSON object");
  switch (type) {
    case EventType::budget_set:
      return BudgetSet{field<MinorUnits>(d, "daily_limit_minor"), field<std::string>(d, "currency"),
                       field<std::string>(d, "time_zone")};
    case EventType::spend_reserved: {
      SpendReserved e;
      e.reservation_id = field<std::string>(d, "reservation_id");
      e.amount_minor = field<MinorUnits>(d, "amount_minor");
      e.budget_day = field<std::string>(d, "budget_day");
      e.expires_at = time_field(d, "expires_at");
      e.ttl_s = field<std::int64_t>(d, "ttl_s");
      if (d.contains("action_id")) e.action_id = field<std::string>(d, "action_id");
      return e;
    }
    case EventType::spend_committed:
      return SpendCommitted{field<std::string>(d, "reservation_id"),
                            field<MinorUnits>(d, "amount_minor")};
    case EventType::spend_released:
      return SpendReleased{field<std::string>(d, "reservation_id")};
    case EventType::spend_expired:
      return SpendExpired{field<std::string>(d, "reservation_id")};
    case EventType::safe_mode_changed: {
      SafeModeChanged e;
      e.enabled = field<bool>(d, "enabled");
      e.reason = field<std::string>(d, "reason");
      e.cause = field<std::string>(d, "cause");
      if (d.contains("high_stakes_kinds")) e.high_stakes_kinds = string_list(d, "high_stakes_kinds");
      return e;
    }
    case EventType::guardrail_set:
      return GuardrailSet{field<std::string>(d, "guardrail_id"), rule_from_json(d)};
    case EventType::guardrail_violated:
      return GuardrailViolated{field<std::string>(d, "guardrail_id"),
                               field<std::string>(d, "action_id"),
                               field<std::int64_t>(d, "violation_count"),
                               enum_field<Enforcement>(d, "enforcement", enforcement_from_string)};
    case EventType::guardrail_escalated:
      return GuardrailEscalated{field<std::string>(d, "guardrail_id"),
                                field<std::int64_t>(d, "violation_count")};
    case EventType::action_proposed: {
      ActionProposed e;
      e.action_id = field<std::string>(d, "action_id");
      e.kind = field<std::string>(d, "kind");
      e.amount_minor = field<MinorUnits>(d, "amount_minor");
      e.payload_sha256 = field<std::string>(d, "payload_sha256");
      e.payload = d.contains("payload") ? d.at("payload") : json::object();
      if (!e.payload.is_object()) throw std::invalid_argument("field 'payload' is not an object");
      e.status = enum_field<ActionStatus>(d, "status", action_status_from_string);
      return e;
    }
    case EventType::action_approved:
      return ActionApproved{field<std::string>(d, "action_id"),
                            field<std::string>(d, "payload_sha256")};
    case EventType::action_rejected:
      return ActionRejected{field<std::string>(d, "action_id"),
                            field<std::string>(d, "payload_sha256")};
    case EventType::action_execution_started:
      return ActionExecutionStarted{field<std::string>(d, "action_id"),
                                    field<std::string>(d, "reservation_id")};
    case EventType::action_executed:
      return ActionExecuted{field<std::string>(d, "action_id")};
    case EventType::action_failed:
      return ActionFailed{field<std::string>(d, "action_id"), field<std::string>(d, "reason")};
    case EventType::webhook_applied:
    case EventType::webhook_ignored:
    case EventType::webhook_attempt_failed:
    case EventType::webhook_dead_lettered:
    case EventType::webhook_requeued:
    case EventType::stripe_customers_set:
      return webhook_event_from_json(type, d);
    case EventType::outbox_enqueued:
    case EventType::outbox_delivered:
    case EventType::outbox_attempt_failed:
    case EventType::alerts_target_set:
    case EventType::regime_set:
    case EventType::regime_changed:
      return *integration_event_from_json(type, d);
    case EventType::rate_limits_set:
      return rate_limits_set_from_json(d);
    case EventType::lease_acquired:
    case EventType::lease_renewed:
    case EventType::lease_released:
    case EventType::retention_applied:
      return *lease_event_from_json(type, d);
  }
  throw std::invalid_argument("unknown event type id " +
                              std::to_string(static_cast<unsigned>(type)));
}

json event_to_json(const Event& event) {
  return {{"seq", event.seq},
          {"type", type_name(type_of(event.data))},
          {"ts", format_rfc3339(event.ts)},
          {"principal", event.principal},
          {"data", event_data_to_json(event.data)}};
}

}  // namespace bulwark::domain
