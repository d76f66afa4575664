#include "domain/webhooks.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <stdexcept>

#include "domain/ids.hpp"

namespace bulwark::domain {
namespace {

using nlohmann::json;

constexpr std::size_t event_type_length_max = 128;

struct Transition {
  std::string_view from;
  std::array<std::string_view, 5> to;
};

// The table documented in webhooks.hpp. Empty slots pad the fixed-size arrays.
constexpr std::array<Transition, 6> transitions{{
    {"incomplete", {"active", "incomplete_expired", "canceled", "", ""}},
    {"trialing", {"active", "past_due", "unpaid", "canceled", "paused"}},
    {"active", {"past_due", "unpaid", "canceled", "", ""}},
    {"past_due", {"active", "unpaid", "canceled", "", ""}},
    {"unpaid", {"active", "canceled", "", "", ""}},
    {"paused", {"active", "canceled", "", "", ""}},
}};

constexpr std::array<std::string_view, 8> statuses{
    "incomplete", "incomplete_expired", "trialing", "active",
    "past_due",   "unpaid",             "canceled", "paused"};

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

WebhookProcessing applied() {
  WebhookProcessing out;
  out.kind = WebhookProcessing::Kind::applied;
  return out;
}

WebhookProcessing ignored(std::string reason) {
  WebhookProcessing out;
  out.kind = WebhookProcessing::Kind::ignored;
  out.reason = std::move(reason);
  return out;
}

WebhookProcessing failed(std::string reason, std::string error) {
  WebhookProcessing out;
  out.kind = WebhookProcessing::Kind::failed;
  out.reason = std::move(reason);
  out.error = std::move(error);
  return out;
}

// A field that holds an id, either as a string or, when Stripe expanded it, as an object with
// an "id". Returns "" when the field is absent or null, nullopt when it is mistyped.
std::optional<std::string> id_field(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return std::string();
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object()) {
    auto id = it->find("id");
    if (id != it->end() && id->is_string()) return id->get<std::string>();
  }
  return std::nullopt;
}

// The subscription an invoice belongs to: `subscription` in API versions before 2025, or
// `parent.subscription_details.subscription` after.
std::optional<std::string> invoice_subscription(const json& invoice) {
  auto direct = id_field(invoice, "subscription");
  if (!direct || !direct->empty()) return direct;
  auto parent = invoice.find("parent");
  if (parent == invoice.end() || !parent->is_object()) return std::string();
  auto details = parent->find("subscription_details");
  if (details == parent->end() || !details->is_object()) return std::string();
  return id_field(*details, "subscription");
}

// The status an invoice event moves its subscription to from `current`, or "" for no change.
std::string invoice_target(std::string_view event_type, std::string_view current) {
  bool paid = event_type == "invoice.paid" || event_type == "invoice.payment_succeeded";
  if (paid && (current == "incomplete" || current == "past_due" || current == "unpaid")) {
    return "active";
  }
  if (event_type == "invoice.payment_failed" && current == "active") return "past_due";
  return "";
}

bool is_invoice_type(std::string_view type) {
  return type == "invoice.paid" || type == "invoice.payment_succeeded" ||
         type == "invoice.payment_failed";
}

// Checks the ordering and the transition table for a subscription that already exists.
WebhookProcessing check_change(const SubscriptionState& current, std::int64_t created,
                               const std::string& target) {
  if (created < current.last_created) return ignored("stale");
  if (target == current.status) return applied();
  if (is_terminal_status(current.status)) return ignored("terminal_status");
  if (!is_allowed_transition(current.status, target)) {
    return failed("invalid_transition", "subscription " + current.id + " cannot change from " +
                                            current.status + " to " + target);
  }
  return applied();
}

Rejection rejection(RejectionCode code, std::string message, json details = json::object()) {
  return Rejection{code, std::move(message), std::move(details)};
}

Rejection invalid(const char* field, std::string message) {
  return rejection(RejectionCode::invalid_request, std::move(message), {{"field", field}});
}

InboxEntry& entry_for(WebhookInbox& inbox, const std::string& event_id,
                      const std::string& event_type) {
  InboxEntry& entry = inbox.events[event_id];
  entry.event_id = event_id;
  entry.event_type = event_type;
  return entry;
}

template <typename T>
T field(const json& object, const char* name);

bool is_final(InboxStatus status) { return status != InboxStatus::failed; }

bool is_lower_hex_sha256(const std::string& text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// Records the delivered body's hash. Events from journals written before hashes were recorded
// carry none, and they leave the stored hash as it is.
void remember_body(InboxEntry& entry, const std::string& body_sha256) {
  if (!body_sha256.empty()) entry.body_sha256 = body_sha256;
}

// Reads the optional body_sha256 field of a webhook event.
std::string body_sha256_field(const json& object) {
  return object.contains("body_sha256") ? field<std::string>(object, "body_sha256") : "";
}

void add_body_sha256(json& out, const std::string& body_sha256) {
  if (!body_sha256.empty()) out["body_sha256"] = body_sha256;
}

template <typename T>
T field(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end()) {
    throw std::invalid_argument(std::string("missing webhook field '") + name + "'");
  }
  try {
    if constexpr (std::is_same_v<T, std::string>) {
      if (!it->is_string()) throw std::invalid_argument("not a string");
    } else {
      if (!it->is_number_integer()) throw std::invalid_argument("not an integer");
    }
    return it->get<T>();
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("webhook field '") + name + "': " + e.what());
  }
}

std::optional<InboxStatus> inbox_status_from_string(std::string_view text) {
  for (auto status : {InboxStatus::failed, InboxStatus::applied, InboxStatus::ignored,
                      InboxStatus::dead_lettered}) {
    if (text == to_string(status)) return status;
  }
  return std::nullopt;
}

json entry_view(const InboxEntry& entry) {
  json out = {{"event_id", entry.event_id},
              {"event_type", entry.event_type},
              {"status", to_string(entry.status)},
              {"attempts", entry.attempts}};
  if (!entry.reason.empty()) out["reason"] = entry.reason;
  if (!entry.last_error.empty()) out["last_error"] = entry.last_error;
  return out;
}

json subscription_json(const SubscriptionState& s) {
  return {{"subscription_id", s.id},
          {"customer_id", s.customer_id},
          {"status", s.status},
          {"event_id", s.status_event_id},
          {"event_created", s.status_event_created},
          {"event_created_at", format_rfc3339(from_unix_ms(s.status_event_created * 1000))}};
}

}  // namespace

bool is_subscription_status(std::string_view status) {
  return std::find(statuses.begin(), statuses.end(), status) != statuses.end();
}

bool is_terminal_status(std::string_view status) {
  return status == "canceled" || status == "incomplete_expired";
}

bool is_allowed_transition(std::string_view from, std::string_view to) {
  if (to.empty()) return false;
  for (const auto& row : transitions) {
    if (row.from != from) continue;
    return std::find(row.to.begin(), row.to.end(), to) != row.to.end();
  }
  return false;
}

const char* to_string(InboxStatus status) {
  switch (status) {
    case InboxStatus::failed: return "failed";
    case InboxStatus::applied: return "applied";
    case InboxStatus::ignored: return "ignored";
    case InboxStatus::dead_lettered: return "dead_lettered";
  }
  return "unknown";
}

WebhookProcessing process_stripe_event(const WebhookInbox& inbox, const std::string& event_id,
                                       const std::string& event_type, std::int64_t created,
                                       const std::string& raw) {
  bool subscription_event = starts_with(event_type, "customer.subscription.");
  if (!subscription_event && !is_invoice_type(event_type)) return ignored("unsupported_type");

  json event = json::parse(raw, nullptr, /*allow_exceptions=*/false);
  if (event.is_discarded() || !event.is_object()) {
    return failed("malformed_event", "the event is not a JSON object");
  }
  auto data = event.find("data");
  if (data == event.end() || !data->is_object() || !data->contains("object") ||
      !data->at("object").is_object()) {
    return failed("malformed_object", "the event has no data.object");
  }
  const json& object = data->at("object");
  auto customer = id_field(object, "customer");
  if (!customer) return failed("malformed_object", "data.object.customer is mistyped");

  WebhookProcessing out = applied();
  out.applied.event_id = event_id;
  out.applied.event_type = event_type;
  out.applied.created = created;
  out.applied.customer_id = *customer;

  if (subscription_event) {
    auto id = id_field(object, "id");
    if (!id || id->empty()) return failed("malformed_object", "data.object.id is missing");
    auto status = object.find("status");
    if (status == object.end() || !status->is_string()) {
      return failed("malformed_object", "data.object.status is missing or not a string");
    }
    std::string target = status->get<std::string>();
    if (!is_subscription_status(target)) {
      return failed("unknown_status", "unknown subscription status '" + target + "'");
    }
    out.applied.subscription_id = *id;
    out.applied.status = target;
    auto it = inbox.subscriptions.find(*id);
    if (it == inbox.subscriptions.end()) return out;
    WebhookProcessing checked = check_change(it->second, created, target);
    if (checked.kind != WebhookProcessing::Kind::applied) return checked;
    out.applied.previous_status = it->second.status;
    return out;
  }

  auto subscription = invoice_subscription(object);
  if (!subscription) return failed("malformed_object", "data.object.subscription is mistyped");
  if (subscription->empty()) return ignored("no_subscription");
  auto it = inbox.subscriptions.find(*subscription);
  if (it == inbox.subscriptions.end()) return ignored("unknown_subscription");
  const SubscriptionState& current = it->second;
  if (created < current.last_created) return ignored("stale");
  if (is_terminal_status(current.status)) return ignored("terminal_status");
  std::string target = invoice_target(event_type, current.status);
  if (target.empty()) return ignored("no_status_change");
  WebhookProcessing checked = check_change(current, created, target);
  if (checked.kind != WebhookProcessing::Kind::applied) return checked;
  out.applied.subscription_id = *subscription;
  out.applied.status = target;
  out.applied.previous_status = current.status;
  return out;
}

std::optional<Rejection> validate_webhook_command(const SetStripeCustomers& c) {
  if (c.customer_ids.size() > stripe_customers_count_max) {
    return invalid("customer_ids", "too many customer ids: at most " +
                                       std::to_string(stripe_customers_count_max));
  }
  std::set<std::string> seen;
  for (const auto& id : c.customer_ids) {
    if (!is_valid_entity_id(id)) {
      return invalid("customer_ids", "invalid customer id '" + id + "': use [A-Za-z0-9_.:-]{1,128}");
    }
    if (!seen.insert(id).second) {
      return invalid("customer_ids", "customer id '" + id + "' is listed twice");
    }
  }
  return std::nullopt;
}

std::optional<Rejection> validate_webhook_command(const ReceiveStripeEvent& c) {
  if (!is_valid_entity_id(c.event_id)) {
    return invalid("id", "invalid event id: use [A-Za-z0-9_.:-]{1,128}");
  }
  if (c.event_type.empty() || c.event_type.size() > event_type_length_max) {
    return invalid("type", "the event type must be 1 to 128 characters");
  }
  if (c.raw.size() > webhook_raw_bytes_max) return invalid("body", "the event is too large");
  if (c.attempts_max < 1 || c.attempts_max > webhook_attempts_max_limit) {
    return invalid("attempts_max", "attempts_max must be 1 to 100");
  }
  if (!c.body_sha256.empty() && !is_lower_hex_sha256(c.body_sha256)) {
    return invalid("body_sha256", "body_sha256 must be 64 lowercase hex digits");
  }
  return std::nullopt;
}

std::optional<Rejection> validate_webhook_command(const RequeueWebhook& c) {
  if (!is_valid_entity_id(c.event_id)) {
    return invalid("event_id", "invalid event id: use [A-Za-z0-9_.:-]{1,128}");
  }
  return std::nullopt;
}

Decision decide_webhook_command(const TenantState& state, const SetStripeCustomers& c) {
  std::vector<std::string> ids = c.customer_ids;
  std::sort(ids.begin(), ids.end());
  if (ids == state.webhooks.customer_ids) return Decision{};
  return Decision{{StripeCustomersSet{std::move(ids)}}, std::nullopt};
}

Decision decide_webhook_command(const TenantState& state, const ReceiveStripeEvent& c) {
  std::int64_t attempts = 0;
  if (auto it = state.webhooks.events.find(c.event_id); it != state.webhooks.events.end()) {
    if (it->second.event_type != c.event_type) {
      return Decision{{},
                      rejection(RejectionCode::idempotency_conflict,
                                "event " + c.event_id + " was received before with type " +
                                    it->second.event_type,
                                {{"event_id", c.event_id}})};
    }
    const std::string& first_hash = it->second.body_sha256;
    if (!first_hash.empty() && !c.body_sha256.empty() && first_hash != c.body_sha256) {
      return Decision{{},
                      rejection(RejectionCode::idempotency_conflict,
                                "event " + c.event_id +
                                    " was received before with a different body; a redelivery "
                                    "must repeat the body byte for byte",
                                {{"event_id", c.event_id}})};
    }
    if (is_final(it->second.status)) return Decision{};
    attempts = it->second.attempts;
  }

  WebhookProcessing result =
      process_stripe_event(state.webhooks, c.event_id, c.event_type, c.created, c.raw);
  switch (result.kind) {
    case WebhookProcessing::Kind::applied:
      result.applied.body_sha256 = c.body_sha256;
      return Decision{{std::move(result.applied)}, std::nullopt};
    case WebhookProcessing::Kind::ignored:
      return Decision{
          {WebhookIgnored{c.event_id, c.event_type, c.created, result.reason, c.body_sha256}},
          std::nullopt};
    case WebhookProcessing::Kind::failed:
      break;
  }
  std::int64_t attempt = attempts + 1;
  if (attempt >= c.attempts_max) {
    return Decision{{WebhookDeadLettered{c.event_id, c.event_type, c.created, attempt,
                                         result.reason, result.error, c.raw, c.body_sha256}},
                    std::nullopt};
  }
  json details = {{"event_id", c.event_id},
                  {"reason", result.reason},
                  {"attempt", attempt},
                  {"attempts_max", c.attempts_max}};
  return Decision{
      {WebhookAttemptFailed{c.event_id, c.event_type, c.created, attempt, result.reason,
                            result.error, c.body_sha256}},
      rejection(RejectionCode::webhook_processing_failed,
                "processing event " + c.event_id + " failed (" + result.error + "); attempt " +
                    std::to_string(attempt) + " of " + std::to_string(c.attempts_max),
                std::move(details))};
}

Decision decide_webhook_command(const TenantState& state, const RequeueWebhook& c) {
  auto it = state.webhooks.events.find(c.event_id);
  if (it == state.webhooks.events.end()) {
    return Decision{{},
                    rejection(RejectionCode::not_found, "no inbound event " + c.event_id,
                              {{"event_id", c.event_id}})};
  }
  const InboxEntry& entry = it->second;
  if (entry.status != InboxStatus::dead_lettered) {
    return Decision{{},
                    rejection(RejectionCode::invalid_transition,
                              "event " + c.event_id + " is " + to_string(entry.status) +
                                  ", not dead-lettered",
                              {{"event_id", c.event_id}, {"status", to_string(entry.status)}})};
  }

  Decision decision;
  decision.events.push_back(WebhookRequeued{entry.event_id, entry.event_type});
  WebhookProcessing result = process_stripe_event(state.webhooks, entry.event_id,
                                                  entry.event_type, entry.created, entry.raw);
  switch (result.kind) {
    case WebhookProcessing::Kind::applied:
      result.applied.body_sha256 = entry.body_sha256;
      decision.events.push_back(std::move(result.applied));
      break;
    case WebhookProcessing::Kind::ignored:
      decision.events.push_back(WebhookIgnored{entry.event_id, entry.event_type, entry.created,
                                               result.reason, entry.body_sha256});
      break;
    case WebhookProcessing::Kind::failed:
      decision.events.push_back(WebhookDeadLettered{
          entry.event_id, entry.event_type, entry.created, entry.attempts + 1, result.reason,
          result.error, entry.raw, entry.body_sha256});
      break;
  }
  return decision;
}

void apply_webhook_event(WebhookInbox& inbox, const Event& event, const WebhookApplied& e) {
  InboxEntry& entry = entry_for(inbox, e.event_id, e.event_type);
  entry.created = e.created;
  entry.status = InboxStatus::applied;
  entry.reason.clear();
  entry.raw.clear();
  remember_body(entry, e.body_sha256);

  SubscriptionState& s = inbox.subscriptions[e.subscription_id];
  s.id = e.subscription_id;
  if (!e.customer_id.empty()) s.customer_id = e.customer_id;
  if (s.status != e.status) {
    s.status = e.status;
    s.status_event_id = e.event_id;
    s.status_event_created = e.created;
  }
  s.last_created = std::max(s.last_created, e.created);
  s.updated_seq = event.seq;
}

void apply_webhook_event(WebhookInbox& inbox, const Event&, const WebhookIgnored& e) {
  InboxEntry& entry = entry_for(inbox, e.event_id, e.event_type);
  entry.created = e.created;
  entry.status = InboxStatus::ignored;
  entry.reason = e.reason;
  entry.raw.clear();
  remember_body(entry, e.body_sha256);
}

void apply_webhook_event(WebhookInbox& inbox, const Event&, const WebhookAttemptFailed& e) {
  InboxEntry& entry = entry_for(inbox, e.event_id, e.event_type);
  entry.created = e.created;
  entry.status = InboxStatus::failed;
  entry.attempts = e.attempt;
  entry.reason = e.reason;
  entry.last_error = e.error;
  remember_body(entry, e.body_sha256);
}

void apply_webhook_event(WebhookInbox& inbox, const Event&, const WebhookDeadLettered& e) {
  InboxEntry& entry = entry_for(inbox, e.event_id, e.event_type);
  entry.created = e.created;
  entry.status = InboxStatus::dead_lettered;
  entry.attempts = e.attempts;
  entry.reason = e.reason;
  entry.last_error = e.error;
  entry.raw = e.raw;
  remember_body(entry, e.body_sha256);
}

void apply_webhook_event(WebhookInbox& inbox, const Event&, const WebhookRequeued& e) {
  auto it = inbox.events.find(e.event_id);
  if (it == inbox.events.end() || it->second.status != InboxStatus::dead_lettered) {
    throw std::logic_error("requeue of event '" + e.event_id + "' that is not dead-lettered");
  }
  // The outcome event of the same append follows at once and sets the final status; the raw
  // event stays until then because that outcome may dead-letter it again.
  it->second.status = InboxStatus::failed;
}

void apply_webhook_event(WebhookInbox& inbox, const Event&, const StripeCustomersSet& e) {
  inbox.customer_ids = e.customer_ids;
}

json webhook_event_to_json(const WebhookApplied& e) {
  json out = {{"event_id", e.event_id},       {"event_type", e.event_type},
              {"created", e.created},         {"customer_id", e.customer_id},
              {"subscription_id", e.subscription_id}, {"status", e.status}};
  if (!e.previous_status.empty()) out["previous_status"] = e.previous_status;
  add_body_sha256(out, e.body_sha256);
  return out;
}

json webhook_event_to_json(const WebhookIgnored& e) {
  json out = {{"event_id", e.event_id},
              {"event_type", e.event_type},
              {"created", e.created},
              {"reason", e.reason}};
  add_body_sha256(out, e.body_sha256);
  return out;
}

json webhook_event_to_json(const WebhookAttemptFailed& e) {
  json out = {{"event_id", e.event_id}, {"event_type", e.event_type}, {"created", e.created},
              {"attempt", e.attempt},   {"reason", e.reason},         {"error", e.error}};
  add_body_sha256(out, e.body_sha256);
  return out;
}

json webhook_event_to_json(const WebhookDeadLettered& e) {
  json out = {{"event_id", e.event_id}, {"event_type", e.event_type}, {"created", e.created},
              {"attempts", e.attempts}, {"reason", e.reason},         {"error", e.error},
              {"raw", e.raw}};
  add_body_sha256(out, e.body_sha256);
  return out;
}

json webhook_event_to_json(const WebhookRequeued& e) {
  return {{"event_id", e.event_id}, {"event_type", e.event_type}};
}

json webhook_event_to_json(const StripeCustomersSet& e) {
  return {{"customer_ids", e.customer_ids}};
}

EventData webhook_event_from_json(EventType type, const json& d) {
  using S = std::string;
  using I = std::int64_t;
  switch (type) {
    case EventType::webhook_applied: {
      WebhookApplied e{field<S>(d, "event_id"),       field<S>(d, "event_type"),
                       field<I>(d, "created"),        field<S>(d, "customer_id"),
                       field<S>(d, "subscription_id"), field<S>(d, "status"), "",
                       body_sha256_field(d)};
      if (d.contains("previous_status")) e.previous_status = field<S>(d, "previous_status");
      return e;
    }
    case EventType::webhook_ignored:
      return WebhookIgnored{field<S>(d, "event_id"), field<S>(d, "event_type"),
                            field<I>(d, "created"), field<S>(d, "reason"), body_sha256_field(d)};
    case EventType::webhook_attempt_failed:
      return WebhookAttemptFailed{field<S>(d, "event_id"), field<S>(d, "event_type"),
                                  field<I>(d, "created"),  field<I>(d, "attempt"),
                                  field<S>(d, "reason"),   field<S>(d, "error"),
                                  body_sha256_field(d)};
    case EventType::webhook_dead_lettered:
      return WebhookDeadLettered{field<S>(d, "event_id"), field<S>(d, "event_type"),
                                 field<I>(d, "created"),  field<I>(d, "attempts"),
                                 field<S>(d, "reason"),   field<S>(d, "error"),
                                 field<S>(d, "raw"),      body_sha256_field(d)};
    case EventType::webhook_requeued:
      return WebhookRequeued{field<S>(d, "event_id"), field<S>(d, "event_type")};
    case EventType::stripe_customers_set: {
      auto it = d.find("customer_ids");
      if (it == d.end() || !it->is_array()) {
        throw std::invalid_argument("webhook field 'customer_ids' is not an array");
      }
      StripeCustomersSet e;
      for (const auto& id : *it) {
        if (!id.is_string()) throw std::invalid_argument("customer_ids has a non-string item");
        e.customer_ids.push_back(id.get<S>());
      }
      return e;
    }
    default:
      break;
  }
  throw std::invalid_argument("not a webhook event type");
}

json webhook_inbox_to_json(const WebhookInbox& inbox) {
  json events = json::array();
  for (const auto& [id, entry] : inbox.events) {
    events.push_back({{"event_id", entry.event_id},
                      {"event_type", entry.event_type},
                      {"created", entry.created},
                      {"status", to_string(entry.status)},
                      {"attempts", entry.attempts},
                      {"reason", entry.reason},
                      {"last_error", entry.last_error},
                      {"raw", entry.raw},
                      {"body_sha256", entry.body_sha256}});
  }
  json subscriptions = json::array();
  for (const auto& [id, s] : inbox.subscriptions) {
    subscriptions.push_back({{"id", s.id},
                             {"customer_id", s.customer_id},
                             {"status", s.status},
                             {"status_event_id", s.status_event_id},
                             {"status_event_created", s.status_event_created},
                             {"last_created", s.last_created},
                             {"updated_seq", s.updated_seq}});
  }
  return {{"customer_ids", inbox.customer_ids},
          {"events", std::move(events)},
          {"subscriptions", std::move(subscriptions)}};
}

WebhookInbox webhook_inbox_from_json(const json& j) {
  try {
    WebhookInbox inbox;
    inbox.customer_ids = j.at("customer_ids").get<std::vector<std::string>>();
    for (const json& item : j.at("events")) {
      InboxEntry entry;
      entry.event_id = item.at("event_id").get<std::string>();
      entry.event_type = item.at("event_type").get<std::string>();
      entry.created = item.at("created").get<std::int64_t>();
      auto status = inbox_status_from_string(item.at("status").get<std::string>());
      if (!status) throw std::invalid_argument("unknown inbox status");
      entry.status = *status;
      entry.attempts = item.at("attempts").get<std::int64_t>();
      entry.reason = item.at("reason").get<std::string>();
      entry.last_error = item.at("last_error").get<std::string>();
      entry.raw = item.at("raw").get<std::string>();
      entry.body_sha256 = item.value("body_sha256", std::string());
      inbox.events.emplace(entry.event_id, std::move(entry));
    }
    for (const json& item : j.at("subscriptions")) {
      SubscriptionState s;
      s.id = item.at("id").get<std::string>();
      s.customer_id = item.at("customer_id").get<std::string>();
      s.status = item.at("status").get<std::string>();
      s.status_event_id = item.at("status_event_id").get<std::string>();
      s.status_event_created = item.at("status_event_created").get<std::int64_t>();
      s.last_created = item.at("last_created").get<std::int64_t>();
      s.updated_seq = item.at("updated_seq").get<std::uint64_t>();
      inbox.subscriptions.emplace(s.id, std::move(s));
    }
    return inbox;
  } catch (const json::exception& e) {
    throw std::invalid_argument(std::string("malformed webhook inbox snapshot: ") + e.what());
  }
}

json subscription_view(const TenantState& state) {
  const SubscriptionState* current = nullptr;
  json all = json::array();
  for (const auto& [id, s] : state.webhooks.subscriptions) {
    if (current == nullptr || s.updated_seq > current->updated_seq) current = &s;
    all.push_back(subscription_json(s));
  }
  json out = current ? subscription_json(*current)
                     : json{{"subscription_id", nullptr}, {"status", nullptr}};
  out["subscriptions"] = std::move(all);
  return out;
}

json dead_letters_view(const TenantState& state) {
  json list = json::array();
  for (const auto& [id, entry] : state.webhooks.events) {
    if (entry.status != InboxStatus::dead_lettered) continue;
    list.push_back({{"event_id", entry.event_id},
                    {"event_type", entry.event_type},
                    {"created", entry.created},
                    {"attempts", entry.attempts},
                    {"reason", entry.reason},
                    {"last_error", entry.last_error}});
  }
  return {{"dead_letters", std::move(list)}};
}

json webhook_outcome_view(const TenantState& state, const SetStripeCustomers&) {
  return {{"customer_ids", state.webhooks.customer_ids}};
}

json webhook_outcome_view(const TenantState& state, const ReceiveStripeEvent& c) {
  auto it = state.webhooks.events.find(c.event_id);
  if (it == state.webhooks.events.end()) return {{"event_id", c.event_id}};
  return entry_view(it->second);
}

json webhook_outcome_view(const TenantState& state, const RequeueWebhook& c) {
  auto it = state.webhooks.events.find(c.event_id);
  if (it == state.webhooks.events.end()) return {{"event_id", c.event_id}};
  return entry_view(it->second);
}

WebhookViolation check_webhook_event(const TenantState& before, const EventData& data) {
  const WebhookInbox& inbox = before.webhooks;
  auto final_before = [&](const std::string& event_id) {
    auto it = inbox.events.find(event_id);
    return it != inbox.events.end() && is_final(it->second.status);
  };
  auto twice = [](const std::string& event_id) -> WebhookViolation {
    return std::make_pair("webhook_once",
                          "event " + event_id + " reached a final outcome twice without a requeue");
  };

  if (const auto* e = std::get_if<WebhookApplied>(&data)) {
    if (final_before(e->event_id)) return twice(e->event_id);
    auto it = inbox.subscriptions.find(e->subscription_id);
    if (it == inbox.subscriptions.end()) return std::nullopt;
    const SubscriptionState& s = it->second;
    if (e->created < s.last_created) {
      return std::make_pair("webhook_allowed_transition",
                            "event " + e->event_id + " is older than subscription " + s.id +
                                "'s newest applied event");
    }
    if (e->status != s.status && !is_allowed_transition(s.status, e->status)) {
      return std::make_pair("webhook_allowed_transition",
                            "event " + e->event_id + " moved subscription " + s.id + " from " +
                                s.status + " to " + e->status);
    }
    return std::nullopt;
  }
  if (const auto* e = std::get_if<WebhookIgnored>(&data)) {
    if (final_before(e->event_id)) return twice(e->event_id);
  }
  if (const auto* e = std::get_if<WebhookDeadLettered>(&data)) {
    if (final_before(e->event_id)) return twice(e->event_id);
  }
  if (const auto* e = std::get_if<WebhookAttemptFailed>(&data)) {
    if (final_before(e->event_id)) return twice(e->event_id);
  }
  if (const auto* e = std::get_if<WebhookRequeued>(&data)) {
    auto it = inbox.events.find(e->event_id);
    if (it == inbox.events.end() || it->second.status != InboxStatus::dead_lettered) {
      return std::make_pair("webhook_requeue_dead_letter",
                            "event " + e->event_id + " was requeued but is not dead-lettered");
    }
  }
  return std::nullopt;
}

}  // namespace bulwark::domain
